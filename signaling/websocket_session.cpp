#include "signaling/websocket_session.hpp"

#include "signaling/server_context.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
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
// Time for the opening and the closing handshakes.
constexpr auto handshake_timeout = std::chrono::seconds(10);

// socket.max-messages-per-second is an average: the bucket holds this many
// seconds' worth, so a burst (a page's first ICE candidates, a reconnect) passes.
constexpr double burst_seconds = 5.0;

template <class Stream>
class websocket_session : public ws_connection,
                          public closable,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
  using std::enable_shared_from_this<websocket_session<Stream>>::shared_from_this;
  using std::enable_shared_from_this<websocket_session<Stream>>::weak_from_this;

public:
  websocket_session(Stream stream, std::shared_ptr<server_context> ctx, ip_counter::slot slot,
                    std::shared_ptr<void> keep)
      : ws_(std::move(stream)),
        ctx_(std::move(ctx)),
        slot_(std::move(slot)),
        keep_(std::move(keep)) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void run(http_request req) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    // Idleness is timed by timer_, which closes with a close frame (Beast's own
    // idle timeout just drops the connection). Phoenix clients send heartbeats,
    // so no pings of ours.
    websocket::stream_base::timeout t;
    t.handshake_timeout = handshake_timeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    // The frame limit is ours (see on_read): Beast 1.74 enforces its own by a
    // teardown that stops draining early, so the peer often sees a reset instead
    // of the 1009 close frame.
    ws_.read_message_max(0);
    ws_.async_accept(req,
                     beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
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
    if (!ctx_->sessions.add(shared_from_this(), ctx_->options.max_connections))
      return close_now(websocket::close_code::try_again_later, "server full or stopping");
    registered_ = true;
    ctx_->stats->add("vr_sockets", 1);
    try {
      handler_ = ctx_->on_ws(shared_from_this());
    } catch (...) {
      // A failing factory must not take an io thread down: this socket alone ends.
    }
    if (!handler_)
      return close_now(websocket::close_code::internal_error, "");
    arm_timer(ctx_->options.idle_timeout);
    read();
  }

  // One timer: while open it is the idle timeout, once closing the deadline by
  // which the peer must have taken the close frame.
  void arm_timer(std::chrono::steady_clock::duration d) {
    timer_.expires_after(d);
    timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (auto self = weak.lock(); self && !ec)
        self->on_timer();
    });
  }

  void on_timer() {
    // A wait that completed just before the timer was re-armed is stale.
    if (finished_ || timer_.expiry() > std::chrono::steady_clock::now())
      return;
    if (!closing_)
      return close_now(websocket::close_code::going_away, "idle");
    // Beast times the closing handshake only once the close frame is written, and
    // a peer that reads nothing stalls that write forever: drop the connection.
    beast::get_lowest_layer(ws_).close();
    finish();
  }

  void read() {
    ws_.async_read_some(buffer_, read_chunk,
                        beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec || finished_)
      return finish();
    if (buffer_.size() > ctx_->options.max_frame_bytes) {
      // async_close drains the rest of the message and waits for the peer's
      // close frame, so the peer does read 1009 (see close_now).
      ctx_->stats->add("vr_bad_frames_total", 1);
      buffer_.consume(buffer_.size());
      return close_now(websocket::close_code::too_big, "frame too big", true);
    }
    if (!ws_.is_message_done())
      return read();
    if (!closing_ && !take_token()) {
      ctx_->refused("message_rate");
      buffer_.consume(buffer_.size());
      return close_now(websocket::close_code::policy_error, "too many messages", true);
    }
    if (!closing_) {  // once closing, what the peer says no longer matters
      arm_timer(ctx_->options.idle_timeout);
      ctx_->stats->add("vr_frames_in_total", 1);
      if (ws_.got_text()) {
        handler_->on_text(beast::buffers_to_string(buffer_.data()));
      } else {
        ctx_->stats->add("vr_bad_frames_total", 1);
        handler_->on_binary(buffer_.size());
      }
    }
    buffer_.consume(buffer_.size());
    read();
  }

  // Token bucket of socket.max-messages-per-second; false when it is empty.
  bool take_token() {
    const auto rate = static_cast<double>(ctx_->options.max_messages_per_second);
    if (rate <= 0)
      return true;
    const double capacity = rate * burst_seconds;
    auto now = std::chrono::steady_clock::now();
    if (!bucket_started_) {
      bucket_started_ = true;
      tokens_ = capacity;
    } else {
      std::chrono::duration<double> elapsed = now - refilled_;
      tokens_ = std::min(capacity, tokens_ + elapsed.count() * rate);
    }
    refilled_ = now;
    if (tokens_ < 1)
      return false;
    tokens_ -= 1;
    return true;
  }

  void enqueue(std::string text) {
    if (closing_)
      return;
    if (queued_bytes_ + text.size() > max_queued_bytes)
      return close_now(websocket::close_code::policy_error, "too slow", true);
    queued_bytes_ += text.size();
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
      return finish();
    }
    ctx_->stats->add("vr_frames_out_total", 1);
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty())
      write();
    else if (closing_)
      send_close();
  }

  // Stops taking frames to send and closes once the queue is written (so a kick's
  // last words go out first); `drop_queue` skips what is not yet being written.
  void close_now(unsigned short code, std::string reason, bool drop_queue = false) {
    if (closing_)
      return;
    closing_ = true;
    close_reason_ = {static_cast<websocket::close_code>(code), std::move(reason)};
    if (drop_queue && queue_.size() > 1)
      queue_.resize(1);  // the front one is in async_write's hands
    arm_timer(2 * handshake_timeout);
    if (queue_.empty())
      send_close();
  }

  void send_close() {
    if (close_sent_ || finished_)
      return;
    close_sent_ = true;
    // Completes once the peer's close frame is read (or on error, or Beast's
    // close timeout); a pending read, if any, ends too.
    ws_.async_close(close_reason_,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }

  // Every way out of the connection ends here, once.
  void finish() {
    if (finished_)
      return;
    finished_ = closing_ = true;
    timer_.cancel();
    slot_.release();
    if (registered_) {
      ctx_->sessions.remove(this);
      ctx_->stats->add("vr_sockets", -1);
    }
    if (handler_)
      handler_->on_close();
    handler_.reset();  // breaks the handler ↔ connection cycle
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<server_context> ctx_;
  ip_counter::slot slot_;
  std::shared_ptr<void> keep_;  // the TLS context, for a TLS stream
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_;
  bool bucket_started_ = false;
  net::steady_timer timer_{ws_.get_executor()};
  std::shared_ptr<ws_handler> handler_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::string remote_;
  websocket::close_reason close_reason_;
  bool registered_ = false, closing_ = false, close_sent_ = false, finished_ = false;
};

}  // namespace

template <class Stream>
void run_websocket(Stream stream, http_request req, std::shared_ptr<server_context> ctx,
                   ip_counter::slot slot, std::shared_ptr<void> keep) {
  std::make_shared<websocket_session<Stream>>(std::move(stream), std::move(ctx), std::move(slot),
                                              std::move(keep))
    ->run(std::move(req));
}

template void run_websocket<beast::tcp_stream>(beast::tcp_stream, http_request,
                                               std::shared_ptr<server_context>, ip_counter::slot,
                                               std::shared_ptr<void>);
template void run_websocket<beast::ssl_stream<beast::tcp_stream>>(
  beast::ssl_stream<beast::tcp_stream>, http_request, std::shared_ptr<server_context>,
  ip_counter::slot, std::shared_ptr<void>);

}  // namespace vr::signaling
