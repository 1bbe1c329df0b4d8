#include "test/protocol_peer/ws_client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <future>
#include <thread>

namespace vr::test {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Everything below runs on the io thread, except what is marked otherwise.
// Handlers capture the raw `this`: the io thread ends (shutdown) before the
// impl is destroyed, and handlers never run after that.
struct ws_client::impl {
  callbacks cb;
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard = net::make_work_guard(io);
  websocket::stream<beast::tcp_stream> ws{io};
  net::steady_timer beat{io};
  beast::flat_buffer buffer;
  std::deque<std::string> out;
  std::atomic<bool> is_open{false};
  bool closed_reported = false;
  std::function<std::string()> beat_frame;
  std::chrono::milliseconds beat_every{0};
  std::thread thread;  // last: started once the members above exist

  explicit impl(callbacks c) : cb(std::move(c)), thread([this] { io.run(); }) {}

  void closed(const beast::error_code& ec) {
    is_open = false;
    beat.cancel();
    out.clear();
    if (closed_reported)
      return;
    closed_reported = true;
    if (cb.on_closed)
      cb.on_closed(ec.message());
  }

  void read() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec)
        return closed(ec);
      auto text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (cb.on_text)
        cb.on_text(std::move(text));
      read();
    });
  }

  void write() {
    ws.async_write(net::buffer(out.front()), [this](beast::error_code ec, std::size_t) {
      if (ec)
        return closed(ec);
      out.pop_front();
      if (!out.empty())
        write();
    });
  }

  void tick() {
    beat.expires_after(beat_every);
    beat.async_wait([this](beast::error_code ec) {
      if (ec || !is_open)
        return;
      enqueue(beat_frame());
      tick();
    });
  }

  void enqueue(std::string text) {
    if (!is_open)
      return;
    out.push_back(std::move(text));
    if (out.size() == 1)
      write();
  }

  void drop() {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws).socket().close(ec);
    beat.cancel();
  }
};

ws_client::ws_client(callbacks cb) : impl_(std::make_shared<impl>(std::move(cb))) {}

ws_client::~ws_client() { shutdown(); }

std::optional<std::string> ws_client::connect(const std::string& host, std::uint16_t port,
                                              const std::string& target,
                                              std::chrono::milliseconds timeout,
                                              const std::string& subprotocol) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  auto* d = impl_.get();
  if (!subprotocol.empty())
    d->ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
  net::post(d->io, [d, done, host, port, target, timeout] {
    beast::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec)
      return done->set_value("bad address: " + ec.message());
    // The stream's own deadline bounds connect and handshake together.
    beast::get_lowest_layer(d->ws).expires_after(timeout);
    beast::get_lowest_layer(d->ws).async_connect(
      tcp::endpoint{address, port}, [d, done, host, port, target](beast::error_code ec) {
        if (ec)
          return done->set_value("connect: " + ec.message());
        beast::error_code ignored;  // as browsers do: no Nagle delay on small frames
        beast::get_lowest_layer(d->ws).socket().set_option(tcp::no_delay{true}, ignored);
        d->ws.async_handshake(host + ":" + std::to_string(port), target,
                              [d, done](beast::error_code ec) {
                                if (ec)
                                  return done->set_value("handshake: " + ec.message());
                                beast::get_lowest_layer(d->ws).expires_never();
                                d->ws.text(true);
                                d->is_open = true;
                                d->read();
                                done->set_value("");
                              });
      });
  });
  if (result.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) {
    net::post(d->io, [d] { d->drop(); });
    return "connect: no answer";
  }
  auto error = result.get();
  if (error.empty())
    return std::nullopt;
  return error;
}

void ws_client::keep_alive(std::chrono::milliseconds every,
                           std::function<std::string()> make_frame) {
  auto* d = impl_.get();
  net::post(d->io, [d, every, f = std::move(make_frame)]() mutable {
    d->beat_every = every;
    d->beat_frame = std::move(f);
    if (d->is_open)
      d->tick();
  });
}

void ws_client::send(std::string text) {
  auto* d = impl_.get();
  net::post(d->io, [d, text = std::move(text)]() mutable { d->enqueue(std::move(text)); });
}

void ws_client::close_abruptly() {
  auto* d = impl_.get();
  net::post(d->io, [d] { d->drop(); });
  // The read handler sees the close and reports it; wait for that (bounded).
  for (int i = 0; i < 200 && d->is_open; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void ws_client::shutdown() {
  auto* d = impl_.get();
  if (!d->thread.joinable())
    return;
  net::post(d->io, [d] { d->drop(); });
  // With the guard gone, run() returns once the aborted read/write/timer
  // handlers have run: nothing is left pending on a dead io_context.
  d->guard.reset();
  d->thread.join();
}

bool ws_client::open() const { return impl_->is_open; }

}  // namespace vr::test
