#include "signaling/websocket_session.hpp"

#include "signaling/server_context.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>

namespace vr::signaling {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

// A slow reader may not make us buffer without bound: past this it is dropped.
constexpr std::size_t max_queued_bytes = 8 << 20;
// Bytes read at a time, so a message's size is checked as it arrives.
constexpr std::size_t read_chunk = 64 * 1024;

class websocket_session : public ws_connection,
                          public closable,
                          public std::enable_shared_from_this<websocket_session> {
public:
  websocket_session(beast::tcp_stream stream, std::shared_ptr<server_context> ctx)
    : ws_(std::move(stream)), ctx_(std::move(ctx)) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void run(http_request req) {
    beast::get_lowest_layer(ws_).expires_never();
    // Idleness is timed by idle_timer_, which closes with a close frame (Beast's
    // own idle timeout just drops the connection). Phoenix clients send
    // heartbeats, so no pings of ours.
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    // The frame limit is ours (see on_read): Beast 1.74 enforces its own by a
    // teardown that stops draining early, so the peer often sees a reset instead
    // of the 1009 close frame.
    ws_.read_message_max(0);
    ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept,
                                                    shared_from_this()));
  }

  // ws_connection
  void send(std::string text) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      self->enqueue(std::move(text));
    });
  }

  void close(unsigned short code, std::string reason) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)] {
      self->close_now(code, reason);
    });
  }

  std::string remote() const override { return remote_; }

  // closable
  void shutdown() override { close(websocket::close_code::going_away, "server stopping"); }

private:
  void on_accept(beast::error_code ec) {
    if (ec)
      return finish();
    if (!ctx_->sessions.add(shared_from_this(), ctx_->options.max_connections)) {
      close_now(websocket::close_code::try_again_later, "server full or stopping");
      return;
    }
    registered_ = true;
    ctx_->stats->add("vr_sockets", 1);
    handler_ = ctx_->on_ws(shared_from_this());
    arm_idle_timer();
    read();
  }

  void arm_idle_timer() {
    idle_timer_.expires_after(ctx_->options.idle_timeout);
    idle_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (auto self = weak.lock(); self && !ec)
        self->close_now(websocket::close_code::going_away, "idle");
    });
  }

  void read() {
    ws_.async_read_some(buffer_, read_chunk,
                        beast::bind_front_handler(&websocket_session::on_read,
                                                  shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return finish();
    if (buffer_.size() > ctx_->options.max_frame_bytes) {
      // async_close drains the rest of the message and waits for the peer's
      // close frame; the read side then ends with error::closed.
      ctx_->stats->add("vr_bad_frames_total", 1);
      buffer_.consume(buffer_.size());
      closing_ = true;
      ws_.async_close(websocket::close_code::too_big,
                      [self = shared_from_this()](beast::error_code) { self->finish(); });
      return;
    }
    if (!ws_.is_message_done())
      return read();
    arm_idle_timer();
    ctx_->stats->add("vr_frames_in_total", 1);
    if (ws_.got_text()) {
      handler_->on_text(beast::buffers_to_string(buffer_.data()));
    } else {
      ctx_->stats->add("vr_bad_frames_total", 1);
      handler_->on_binary(buffer_.size());
    }
    buffer_.consume(buffer_.size());
    read();
  }

  void enqueue(std::string text) {
    if (closing_)
      return;
    queued_bytes_ += text.size();
    if (queued_bytes_ > max_queued_bytes) {
      close_now(websocket::close_code::policy_error, "too slow");
      return;
    }
    queue_.push_back(std::move(text));
    if (queue_.size() == 1)
      write();
  }

  void write() {
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) {
      queue_.clear();
      return;  // the read side sees the error too and finishes
    }
    ctx_->stats->add("vr_frames_out_total", 1);
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty())
      write();
    else if (close_pending_)
      close_now(close_code_, close_reason_);
  }

  void close_now(unsigned short code, const std::string& reason) {
    if (closing_)
      return;
    // Let queued frames (a kick's last words) go out before the close frame.
    if (!queue_.empty()) {
      close_pending_ = true;
      close_code_ = code;
      close_reason_ = reason;
      return;
    }
    closing_ = true;
    ws_.async_close(websocket::close_reason{static_cast<websocket::close_code>(code), reason},
                    [self = shared_from_this()](beast::error_code) {});
  }

  void finish() {
    if (finished_)
      return;
    finished_ = true;
    closing_ = true;
    idle_timer_.cancel();
    if (registered_) {
      ctx_->sessions.remove(this);
      ctx_->stats->add("vr_sockets", -1);
    }
    if (handler_)
      handler_->on_close();
    handler_.reset();  // breaks the handler ↔ connection cycle
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<server_context> ctx_;
  net::steady_timer idle_timer_{ws_.get_executor()};
  std::shared_ptr<ws_handler> handler_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::string remote_;
  bool registered_ = false, closing_ = false, finished_ = false, close_pending_ = false;
  unsigned short close_code_ = 0;
  std::string close_reason_;
};

}  // namespace

void run_websocket(beast::tcp_stream stream, http_request req,
                   std::shared_ptr<server_context> ctx) {
  std::make_shared<websocket_session>(std::move(stream), std::move(ctx))->run(std::move(req));
}

}  // namespace vr::signaling
