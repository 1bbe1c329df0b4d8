// The listener: accepts connections and hands each to an http_session on its
// own strand (http_session.cpp).
#include "signaling/http_server.hpp"

#include "signaling/hls_board.hpp"
#include "signaling/server_context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <system_error>

namespace vr::signaling {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// After a failed accept (out of file descriptors, say) wait before the next one
// rather than spin.
constexpr auto accept_backoff = std::chrono::milliseconds(100);

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  net::io_context& io;
  net::strand<net::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  net::steady_timer backoff;
  std::shared_ptr<server_context> ctx;

  impl(net::io_context& io, std::shared_ptr<server_context> c)
      : io(io),
        strand(net::make_strand(io)),
        acceptor(strand),
        backoff(strand),
        ctx(std::move(c)) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io),
                          [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
                            if (!self->acceptor.is_open())
                              return;  // stopped
                            if (!ec) {
                              // Signaling is small request/reply frames: Nagle plus delayed ACKs
                              // would hold a reply for 40 ms.
                              boost::system::error_code ignored;
                              s.set_option(tcp::no_delay{true}, ignored);
                              run_http(std::move(s), self->ctx);
                              return self->accept();
                            }
                            self->backoff.expires_after(accept_backoff);
                            self->backoff.async_wait([self](boost::system::error_code ec) {
                              if (!ec && self->acceptor.is_open())
                                self->accept();
                            });
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
  ctx->stats->describe("vr_http_requests_total", "counter", "HTTP requests by path class");
  ctx->stats->describe("vr_refused_total", "counter",
                       "Connections, requests, frames and joins refused by a limit, by reason");
  impl_ = std::make_shared<impl>(io, std::move(ctx));
}

http_server::~http_server() = default;

void http_server::start() {
  auto& a = impl_->acceptor;
  const auto& o = impl_->ctx->options;
  try {
    tcp::endpoint ep{net::ip::make_address(o.host), o.port};
    a.open(ep.protocol());
    a.set_option(net::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    boost::system::error_code ignored;
    a.close(ignored);
    throw std::system_error(e.code(), o.host + ":" + std::to_string(o.port));
  }
  impl_->accept();
}

std::uint16_t http_server::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void http_server::stop() {
  net::post(impl_->strand, [self = impl_] {
    boost::system::error_code ec;
    self->acceptor.close(ec);
    self->backoff.cancel();
    self->ctx->sessions.stop_all();
    if (self->ctx->options.hls)
      self->ctx->options.hls->shutdown();
  });
}

}  // namespace vr::signaling
