#include "signaling/http_server.hpp"

#include "signaling/server_context.hpp"
#include "signaling/static_files.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace vr::signaling {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A client that opens a connection and says nothing is dropped after this.
constexpr auto request_timeout = std::chrono::seconds(15);

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
  res.content_length(size);
  send(std::move(res));
}

template <class Send>
void serve_file(const http_request& req, const server_context& ctx, Send&& send) {
  std::string_view target{req.target().data(), req.target().size()};
  auto file = resolve_static(ctx.options.static_dir, target);
  beast::error_code ec;
  http::file_body::value_type body;
  if (file)
    body.open(file->c_str(), beast::file_mode::scan, ec);
  if (!file || ec)
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
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return text_response(req, http::status::method_not_allowed, "text/plain",
                         "method not allowed\n", send);
  auto path = target_path(req);
  if (path == "/healthz")
    return text_response(req, http::status::ok, "text/plain", "ok\n", send);
  if (path == "/metrics")
    return text_response(req, http::status::ok, "text/plain; version=0.0.4",
                         ctx.stats->render(), send);
  serve_file(req, ctx, send);
}

class http_session : public closable, public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, std::shared_ptr<server_context> ctx)
    : stream_(std::move(socket)), ctx_(std::move(ctx)) {}

  void run() {
    if (!ctx_->sessions.add(shared_from_this(), ctx_->options.max_connections))
      return;  // full or stopping: the socket closes as this goes out of scope
    registered_ = true;
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&http_session::read, shared_from_this()));
  }

  void shutdown() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
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
    parser_->body_limit(64 * 1024);
    stream_.expires_after(request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return close();
    auto req = parser_->release();
    if (beast::websocket::is_upgrade(req) && target_path(req) == "/socket/websocket") {
      // The WebSocket registers itself; this HTTP session steps aside.
      ctx_->sessions.remove(this);
      upgraded_ = true;
      run_websocket(std::move(stream_), std::move(req), ctx_);
      return;
    }
    route(req, *ctx_, [this](auto&& res) { write(std::move(res)); });
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
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<server_context> ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool registered_ = false, upgraded_ = false;
};

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  net::io_context& io;
  tcp::acceptor acceptor;
  std::shared_ptr<server_context> ctx;

  impl(net::io_context& io, std::shared_ptr<server_context> c)
    : io(io), acceptor(net::make_strand(io)), ctx(std::move(c)) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](
                                                  beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open())
        return;
      if (!ec)
        std::make_shared<http_session>(std::move(socket), self->ctx)->run();
      self->accept();
    });
  }
};

http_server::http_server(net::io_context& io, http_options opts, ws_factory on_ws,
                         std::shared_ptr<metrics> m) {
  auto ctx = std::make_shared<server_context>();
  ctx->options = std::move(opts);
  ctx->on_ws = std::move(on_ws);
  ctx->stats = std::move(m);
  ctx->stats->describe("vr_sockets", "gauge", "Open WebSockets");
  ctx->stats->describe("vr_frames_in_total", "counter", "WebSocket frames received");
  ctx->stats->describe("vr_frames_out_total", "counter", "WebSocket frames sent");
  ctx->stats->describe("vr_bad_frames_total", "counter", "Frames refused as malformed");
  impl_ = std::make_shared<impl>(io, std::move(ctx));
}

http_server::~http_server() = default;

void http_server::start() {
  auto& a = impl_->acceptor;
  tcp::endpoint ep{net::ip::make_address(impl_->ctx->options.host), impl_->ctx->options.port};
  a.open(ep.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(net::socket_base::max_listen_connections);
  impl_->accept();
}

std::uint16_t http_server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void http_server::stop() {
  net::post(impl_->acceptor.get_executor(), [self = impl_] {
    beast::error_code ec;
    self->acceptor.close(ec);
    self->ctx->sessions.stop_all();
  });
}

}  // namespace vr::signaling
