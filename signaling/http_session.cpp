// One HTTP connection: routes requests, serves static files, and hands a
// /socket/websocket upgrade over to a websocket_session. With TLS configured,
// a connection first goes through tls_detector: a TLS handshake, or a 400 for
// plain HTTP. The limits of http_options are enforced here: connections per
// IP, request head and body size, request time.
#include "signaling/server_context.hpp"
#include "signaling/static_files.hpp"
#include "signaling/tls.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <optional>
#include <type_traits>

namespace vr::signaling {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

namespace ssl = net::ssl;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// A refused client (server full) gets less time to send the request it is refused.
constexpr auto refused_timeout = std::chrono::seconds(5);
// After the last answer on a connection: time for the client to read it and
// close (what it still sends is read and dropped, so no reset loses the answer).
constexpr auto linger_timeout = std::chrono::seconds(2);

// Why a connection is answered with an error whatever it asks.
enum class refusal {
  none,
  full,          // max_connections: 503
  per_ip,        // max_connections_per_ip: 429
  plain_on_tls,  // plain HTTP on the TLS port: 400
};

std::string_view target_path(const http_request& req) {
  std::string_view t{req.target().data(), req.target().size()};
  return t.substr(0, t.find('?'));
}

template <class Body>
void common_headers(http::response<Body>& res, const http_request& req, std::string_view type) {
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(req.keep_alive());
}

// Answers `req` through `send`, which takes any http::response by value
// (Boost 1.74 has no message_generator to erase the body type).
template <class Send>
void text_response(const http_request& req, http::status status, std::string_view type,
                   std::string body, Send&& send) {
  http::response<http::string_body> res{status, req.version()};
  common_headers(res, req, type);
  auto size = body.size();
  if (req.method() != http::verb::head)
    res.body() = std::move(body);
  res.content_length(size);  // HEAD announces the size it does not send
  send(std::move(res));
}

template <class Send>
void serve_file(const http_request& req, const server_context& ctx, Send&& send) {
  std::string_view target{req.target().data(), req.target().size()};
  auto file = resolve_static(ctx.options.static_dir, target);
  std::error_code fs_ec;
  beast::error_code ec;
  http::file_body::value_type body;
  if (file && !std::filesystem::is_directory(*file, fs_ec))
    body.open(file->c_str(), beast::file_mode::scan, ec);
  if (!body.is_open())
    return text_response(req, http::status::not_found, "text/plain", "not found\n", send);
  auto size = body.size();
  if (req.method() == http::verb::head) {
    http::response<http::empty_body> head{http::status::ok, req.version()};
    common_headers(head, req, mime_type(*file));
    head.content_length(size);
    return send(std::move(head));
  }
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, req.version())};
  common_headers(res, req, mime_type(*file));
  res.content_length(size);
  send(std::move(res));
}

template <class Send>
void route(const http_request& req, const server_context& ctx, Send&& send) {
  auto path = target_path(req);
  auto count = [&](const char* path_class) {
    ctx.stats->add("vr_http_requests_total", 1, {{"path_class", path_class}});
  };
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    count("other");
    return text_response(req, http::status::method_not_allowed, "text/plain",
                         "method not allowed\n", send);
  }
  if (path == "/healthz") {
    count("healthz");
    auto& detail = ctx.options.health_detail;
    return text_response(req, http::status::ok, "text/plain",
                         detail ? "ok\n" + detail() : std::string{"ok\n"}, send);
  }
  if (path == "/metrics") {
    count("metrics");
    return text_response(req, http::status::ok, "text/plain; version=0.0.4", ctx.stats->render(),
                         send);
  }
  if (path == "/socket/websocket") {
    count("socket");
    return text_response(req, http::status::bad_request, "text/plain",
                         "expected a WebSocket upgrade\n", send);
  }
  count("static");
  serve_file(req, ctx, send);
}

template <class Stream>
class http_session : public closable, public std::enable_shared_from_this<http_session<Stream>> {
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

public:
  // `buffer` holds what was read already (by TLS detection); `keep` what the
  // stream needs alive (its TLS context).
  http_session(Stream stream, std::shared_ptr<server_context> ctx, ip_counter::slot slot,
               beast::flat_buffer buffer, std::shared_ptr<void> keep, bool plain_on_tls)
      : stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        ctx_(std::move(ctx)),
        slot_(std::move(slot)),
        buffer_(std::move(buffer)),
        keep_(std::move(keep)) {
    if (plain_on_tls)
      refusal_ = refusal::plain_on_tls;
  }

  void run() {
    // Full or stopping: the request is still read, briefly, to be answered 503
    // (closing with it unread would reset the connection and lose the answer).
    registered_ = ctx_->sessions.add(this->shared_from_this(), ctx_->options.max_connections);
    if (!slot_) {
      refusal_ = refusal::per_ip;
      ctx_->refused("connections_per_ip");
    } else if (!registered_) {
      refusal_ = refusal::full;
    } else if (refusal_ == refusal::plain_on_tls) {
      ctx_->refused("not_tls");
    }
    net::dispatch(executor_,
                  beast::bind_front_handler(&http_session::read, this->shared_from_this()));
  }

  void shutdown() override {
    // executor_, not stream_: the stream may be moving into a WebSocket meanwhile.
    net::post(executor_, [self = this->shared_from_this()] {
      if (self->upgraded_)
        return;  // the WebSocket is shut down on its own
      beast::error_code ec;
      self->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      self->lowest().close();
    });
  }

  ~http_session() override {
    if (registered_ && !upgraded_)
      ctx_->sessions.remove(this);
  }

private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    const auto& o = ctx_->options;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
    parser_->body_limit(o.max_body_bytes);
    lowest().expires_after(refusal_ == refusal::none ? o.request_timeout
                                                     : std::min<std::chrono::milliseconds>(
                                                         o.request_timeout, refused_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    const auto& o = ctx_->options;
    if (ec == http::error::header_limit) {
      ctx_->refused("header_size");
      return refuse(http::status::request_header_fields_too_large,
                    "request head larger than " + std::to_string(o.max_header_bytes) + " bytes\n");
    }
    if (ec == http::error::body_limit) {
      ctx_->refused("body_size");
      return refuse(http::status::payload_too_large,
                    "request body larger than " + std::to_string(o.max_body_bytes) + " bytes\n");
    }
    if (ec == beast::error::timeout) {
      // Beast closed the socket. A client that began a request and stalled (a
      // slowloris) is counted; an idle kept-alive connection is not.
      if (parser_->got_some())
        ctx_->refused("request_timeout");
      return;
    }
    if (ec)
      return close();
    auto req = parser_->release();
    switch (refusal_) {
      case refusal::none:
        break;
      case refusal::full:
        req.keep_alive(false);
        return text_response(req, http::status::service_unavailable, "text/plain", "server full\n",
                             [this](auto&& res) { write(std::move(res)); });
      case refusal::per_ip:
        req.keep_alive(false);
        return text_response(req, http::status::too_many_requests, "text/plain",
                             "too many connections from your address (at most " +
                               std::to_string(o.max_connections_per_ip) + ")\n",
                             [this](auto&& res) { write(std::move(res)); });
      case refusal::plain_on_tls: {
        req.keep_alive(false);
        std::string host{req[http::field::host]};
        std::string hint =
          host.empty() ? std::string{"https://"} : "https://" + host + std::string{req.target()};
        return text_response(req, http::status::bad_request, "text/plain",
                             "this port speaks HTTPS only: use " + hint + " (wss:// for sockets)\n",
                             [this](auto&& res) { write(std::move(res)); });
      }
    }
    if (beast::websocket::is_upgrade(req) && target_path(req) == "/socket/websocket") {
      // The WebSocket registers itself; this HTTP session steps aside.
      ctx_->sessions.remove(this);
      upgraded_ = true;
      run_websocket<Stream>(std::move(stream_), std::move(req), ctx_, std::move(slot_),
                            std::move(keep_));
      return;
    }
    if (auto rest = hls_rest(req)) {
      auto self = this->shared_from_this();
      auto path = std::string{*rest};
      return serve_hls(std::move(req), path, ctx_, executor_,
                       {[self](auto res) { self->write(std::move(res)); },
                        [self](auto res) { self->write(std::move(res)); }});
    }
    route(req, *ctx_, [this](auto&& res) { write(std::move(res)); });
  }

  // Answers a request that could not be read whole, then closes.
  void refuse(http::status status, std::string text) {
    http_request req{http::verb::get, "/", 11};
    req.keep_alive(false);
    text_response(req, status, "text/plain", std::move(text),
                  [this](auto&& res) { write(std::move(res)); });
  }

  // The part after /<stage>/live/ of a GET or HEAD for an HLS stream.
  std::optional<std::string_view> hls_rest(const http_request& req) const {
    const auto& o = ctx_->options;
    if (!o.hls || (req.method() != http::verb::get && req.method() != http::verb::head))
      return std::nullopt;
    auto path = target_path(req);
    const std::string prefix = "/" + o.hls_stage + "/live/";
    if (path.substr(0, prefix.size()) != prefix)
      return std::nullopt;
    return path.substr(prefix.size());
  }

  template <class Response>
  void write(Response res) {
    // The response must live until the write completes.
    auto owned = std::make_shared<Response>(std::move(res));
    lowest().expires_after(ctx_->options.request_timeout);
    http::async_write(stream_, *owned,
                      [self = this->shared_from_this(), owned](beast::error_code ec, std::size_t) {
                        if (ec || !owned->keep_alive())
                          return self->close();
                        self->read();
                      });
  }

  void close() {
    slot_.release();
    lowest().expires_after(linger_timeout);
    if constexpr (is_tls) {
      // close_notify, then the peer's (or the timeout); the socket closes with
      // this session.
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ec;
        self->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      });
    } else {
      // Shutting down the send side lets the client read the whole answer;
      // what it still sends is read and dropped until it closes.
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      drain();
    }
  }

  void drain() {
    lowest().async_read_some(net::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               if (!ec)
                                 self->drain();
                             });
  }

  Stream stream_;
  net::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<server_context> ctx_;
  ip_counter::slot slot_;
  beast::flat_buffer buffer_;
  std::shared_ptr<void> keep_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> scratch_;
  refusal refusal_ = refusal::none;
  bool registered_ = false, upgraded_ = false;
};

// The first bytes of a connection to a TLS port: a TLS handshake goes on as
// HTTPS, anything else is answered 400 in plain HTTP.
// Registered (beyond max_connections: the session after it enforces that) so
// that stop() ends a handshake in progress too.
class tls_detector : public closable, public std::enable_shared_from_this<tls_detector> {
public:
  tls_detector(tcp::socket socket, std::shared_ptr<server_context> ctx, ip_counter::slot slot)
      : stream_(std::move(socket)),
        executor_(stream_.get_executor()),
        ctx_(std::move(ctx)),
        slot_(std::move(slot)) {}

  ~tls_detector() override {
    if (registered_)
      ctx_->sessions.remove(this);
  }

  void shutdown() override {
    net::post(executor_, [self = shared_from_this()] {
      if (self->handed_over_)
        return;
      auto& s = self->tls_ ? beast::get_lowest_layer(*self->tls_) : self->stream_;
      beast::error_code ec;
      s.socket().shutdown(tcp::socket::shutdown_both, ec);
      s.close();
    });
  }

  void run() {
    registered_ = ctx_->sessions.add(shared_from_this(), static_cast<std::size_t>(-1));
    if (!registered_)
      return;  // stopping
    stream_.expires_after(ctx_->options.request_timeout);
    beast::async_detect_ssl(
      stream_, buffer_, beast::bind_front_handler(&tls_detector::on_detect, shared_from_this()));
  }

private:
  void on_detect(beast::error_code ec, bool is_tls) {
    if (ec) {
      if (ec == beast::error::timeout && buffer_.size() > 0)
        ctx_->refused("request_timeout");
      return;
    }
    if (!is_tls) {
      hand_over();
      std::make_shared<http_session<plain_stream>>(std::move(stream_), ctx_, std::move(slot_),
                                                   std::move(buffer_), nullptr, true)
        ->run();
      return;
    }
    // The context of the moment: a reload later does not touch this connection.
    auto context = ctx_->options.tls->current();
    tls_.emplace(std::move(stream_), *context);
    keep_ = context;
    tls_->async_handshake(
      ssl::stream_base::server, buffer_.data(),
      beast::bind_front_handler(&tls_detector::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec, std::size_t used) {
    if (ec) {
      ctx_->stats->add("vr_tls_handshake_errors_total", 1);
      return;
    }
    buffer_.consume(used);
    hand_over();
    std::make_shared<http_session<tls_stream>>(std::move(*tls_), ctx_, std::move(slot_),
                                               std::move(buffer_), std::move(keep_), false)
      ->run();
  }

  // The session that takes the connection over registers itself.
  void hand_over() {
    handed_over_ = true;
    if (registered_)
      ctx_->sessions.remove(this);
    registered_ = false;
  }

  beast::tcp_stream stream_;
  net::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<server_context> ctx_;
  ip_counter::slot slot_;
  beast::flat_buffer buffer_;
  std::optional<tls_stream> tls_;
  std::shared_ptr<void> keep_;
  bool registered_ = false, handed_over_ = false;
};

}  // namespace

void run_http(tcp::socket socket, std::shared_ptr<server_context> ctx) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  auto slot = ctx->ips->acquire(ec ? std::string{"?"} : ep.address().to_string(),
                                ctx->options.max_connections_per_ip);
  if (ctx->options.tls) {
    std::make_shared<tls_detector>(std::move(socket), std::move(ctx), std::move(slot))->run();
    return;
  }
  std::make_shared<http_session<plain_stream>>(plain_stream{std::move(socket)}, std::move(ctx),
                                               std::move(slot), beast::flat_buffer{}, nullptr,
                                               false)
    ->run();
}

}  // namespace vr::signaling
