// One HTTP connection: routes requests, serves static files, and hands a
// /socket/websocket upgrade over to a websocket_session.
#include "signaling/server_context.hpp"
#include "signaling/static_files.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <optional>

namespace vr::signaling {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A client that opens a connection and says nothing is dropped after this.
constexpr auto request_timeout = std::chrono::seconds(15);
// A refused client (server full) gets less time to send the request it is refused.
constexpr auto refused_timeout = std::chrono::seconds(5);
constexpr std::size_t max_body_bytes = 64 * 1024;

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

class http_session : public closable, public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, std::shared_ptr<server_context> ctx)
      : stream_(std::move(socket)), executor_(stream_.get_executor()), ctx_(std::move(ctx)) {}

  void run() {
    // Full or stopping: the request is still read, briefly, to be answered 503
    // (closing with it unread would reset the connection and lose the answer).
    registered_ = ctx_->sessions.add(shared_from_this(), ctx_->options.max_connections);
    net::dispatch(executor_, beast::bind_front_handler(&http_session::read, shared_from_this()));
  }

  void shutdown() override {
    // executor_, not stream_: the stream may be moving into a WebSocket meanwhile.
    net::post(executor_, [self = shared_from_this()] {
      if (self->upgraded_)
        return;  // the WebSocket is shut down on its own
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

  ~http_session() override {
    if (registered_ && !upgraded_)
      ctx_->sessions.remove(this);
  }

private:
  void read() {
    parser_.emplace();
    parser_->body_limit(max_body_bytes);
    stream_.expires_after(registered_ ? request_timeout : refused_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return close();
    auto req = parser_->release();
    if (!registered_) {
      req.keep_alive(false);
      return text_response(req, http::status::service_unavailable, "text/plain", "server full\n",
                           [this](auto&& res) { write(std::move(res)); });
    }
    if (beast::websocket::is_upgrade(req) && target_path(req) == "/socket/websocket") {
      // The WebSocket registers itself; this HTTP session steps aside.
      ctx_->sessions.remove(this);
      upgraded_ = true;
      run_websocket(std::move(stream_), std::move(req), ctx_);
      return;
    }
    if (auto rest = hls_rest(req)) {
      auto self = shared_from_this();
      auto path = std::string{*rest};
      return serve_hls(std::move(req), path, ctx_, executor_,
                       {[self](auto res) { self->write(std::move(res)); },
                        [self](auto res) { self->write(std::move(res)); }});
    }
    route(req, *ctx_, [this](auto&& res) { write(std::move(res)); });
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
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned](beast::error_code ec, std::size_t) {
                        if (ec || !owned->keep_alive())
                          return self->close();
                        self->read();
                      });
  }

  void close() {
    // Shutting down the send side lets the client read the whole answer; the
    // socket itself closes with this session.
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  net::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<server_context> ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool registered_ = false, upgraded_ = false;
};

}  // namespace

void run_http(tcp::socket socket, std::shared_ptr<server_context> ctx) {
  std::make_shared<http_session>(std::move(socket), std::move(ctx))->run();
}

}  // namespace vr::signaling
