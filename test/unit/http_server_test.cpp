// http_server over real sockets: a server on port 0 run by two io threads, Beast
// clients on their own io_context. Every client wait has a deadline, so a server
// that hangs fails the test instead of hanging it.
#include "signaling/http_server.hpp"
#include "signaling/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using vr::signaling::http_options;
using vr::signaling::http_server;
using vr::signaling::metrics;
using vr::signaling::ws_connection;
using vr::signaling::ws_handler;

namespace {

// What the server's handlers saw, shared with the test thread.
struct recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> texts;
  std::size_t binary_bytes = 0;
  int opened = 0, closed = 0;
  bool closed_twice = false;
  std::vector<std::weak_ptr<ws_connection>> conns;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock{m};
    return cv.wait_for(lock, limit, pred);
  }
  std::shared_ptr<ws_connection> conn(std::size_t i) {
    std::lock_guard lock{m};
    return conns.at(i).lock();
  }
  template <class F>
  void update(F f) {
    {
      std::lock_guard lock{m};
      f();
    }
    cv.notify_all();
  }
};

// Echoes "echo:TEXT"; "close" gets "bye" and then close code 4000.
class echo_handler : public ws_handler {
public:
  echo_handler(std::shared_ptr<recorder> rec, std::shared_ptr<ws_connection> conn)
      : rec_(std::move(rec)), conn_(std::move(conn)) {}
  void on_text(std::string text) override {
    rec_->update([&] { rec_->texts.push_back(text); });
    if (text == "close") {
      conn_->send("bye");
      conn_->close(4000, "done");
    } else {
      conn_->send("echo:" + text);
    }
  }
  void on_binary(std::size_t bytes) override {
    rec_->update([&] { rec_->binary_bytes += bytes; });
  }
  void on_close() override {
    rec_->update([&] {
      rec_->closed_twice = rec_->closed_twice || closed_;
      closed_ = true;
      ++rec_->closed;
    });
  }

private:
  std::shared_ptr<recorder> rec_;
  std::shared_ptr<ws_connection> conn_;  // as the actor layer holds it: a cycle the session breaks
  bool closed_ = false;
};

class server_fixture {
public:
  explicit server_fixture(http_options o = {}) {
    static std::atomic<int> counter;
    root_ = fs::temp_directory_path() /
            ("vr-http-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(root_ / "dist" / "sub");
    write(root_ / "dist" / "index.html", "<h1>home</h1>");
    write(root_ / "dist" / "room.html", "<h1>room</h1>");
    write(root_ / "dist" / "app.js", "console.log(1);");
    write(root_ / "dist" / "sub" / "live.m3u8", "#EXTM3U\n");
    write(root_ / "secret.txt", "secret");
    o.host = "127.0.0.1";
    o.port = 0;
    o.static_dir = (root_ / "dist").string();
    server_ = std::make_unique<http_server>(
      io_, o,
      [rec = rec](std::shared_ptr<ws_connection> conn) {
        rec->update([&] {
          ++rec->opened;
          rec->conns.push_back(conn);
        });
        return std::make_shared<echo_handler>(rec, std::move(conn));
      },
      stats);
    server_->start();
    port = server_->port();
    for (int i = 0; i < 2; ++i)
      threads_.emplace_back([this] {
        io_.run();
        running_.update([&] { ++returned_; });
      });
  }

  ~server_fixture() {
    if (!stop_and_join(15s))
      io_.stop();  // a failure already reported; do not hang the suite
    for (auto& t : threads_)
      t.join();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Stops the server; true when every io thread's run() returned within `limit`.
  bool stop_and_join(std::chrono::milliseconds limit) {
    server_->stop();
    return running_.wait([&] { return returned_ == static_cast<int>(threads_.size()); }, limit);
  }

  http_server& server() { return *server_; }
  const fs::path& root() const { return root_; }

  std::shared_ptr<metrics> stats = std::make_shared<metrics>();
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  std::uint16_t port = 0;

private:
  static void write(const fs::path& p, std::string_view text) { std::ofstream{p} << text; }

  fs::path root_;
  net::io_context io_;
  std::unique_ptr<http_server> server_;
  std::vector<std::thread> threads_;
  recorder running_;
  int returned_ = 0;
};

// Starts an async operation with a completion handler and runs `ioc` until it
// completes or 10 s pass. The result lives on the heap: a timed-out operation
// may still complete later.
template <class Start>
beast::error_code wait_for(net::io_context& ioc, Start start) {
  auto result = std::make_shared<std::optional<beast::error_code>>();
  start([result](beast::error_code ec, auto&&...) { *result = ec; });
  ioc.restart();
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !*result && std::chrono::steady_clock::now() < deadline;)
    ioc.run_one_for(100ms);
  return result->value_or(beast::error::timeout);
}

// Polls `pred` for up to 2 s: for effects that follow what the client already saw.
template <class Pred>
bool eventually(Pred pred) {
  for (auto deadline = std::chrono::steady_clock::now() + 2s; !pred();) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

tcp::endpoint local(std::uint16_t port) { return {net::ip::make_address("127.0.0.1"), port}; }

struct http_client {
  explicit http_client(std::uint16_t port) {
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { stream.async_connect(local(port), h); }));
  }

  http::response<http::string_body> request(http::verb verb, std::string target) {
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { http::async_write(stream, req, h); }));
    http::response_parser<http::string_body> parser;
    parser.skip(verb == http::verb::head);  // HEAD announces a body it does not send
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { http::async_read(stream, buffer, parser, h); }));
    return parser.release();
  }

  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

http::response<http::string_body> get(std::uint16_t port, std::string target,
                                      http::verb verb = http::verb::get) {
  return http_client{port}.request(verb, std::move(target));
}

struct ws_client {
  beast::error_code open(std::uint16_t port, std::string target = "/socket/websocket?vsn=2.0.0") {
    if (auto ec =
          wait_for(ioc, [&](auto h) { beast::get_lowest_layer(ws).async_connect(local(port), h); }))
      return ec;
    return wait_for(ioc, [&](auto h) { ws.async_handshake(response, "127.0.0.1", target, h); });
  }

  beast::error_code write(std::string_view data, bool binary = false) {
    ws.binary(binary);
    return wait_for(ioc, [&](auto h) { ws.async_write(net::buffer(data), h); });
  }

  // The next message, or "" with `ec` set (error::closed once the server closed).
  std::string read(beast::error_code& ec) {
    buffer.clear();
    ec = wait_for(ioc, [&](auto h) { ws.async_read(buffer, h); });
    return ec ? std::string{} : beast::buffers_to_string(buffer.data());
  }

  std::string read() {
    beast::error_code ec;
    auto text = read(ec);
    REQUIRE_FALSE(ec);
    return text;
  }

  // Reads until the server closes; the close code it sent, or 0 on any other end.
  unsigned close_code() {
    beast::error_code ec;
    while (!ec)
      read(ec);
    return ec == websocket::error::closed ? ws.reason().code : 0;
  }

  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  websocket::response_type response;
  beast::flat_buffer buffer;
};

}  // namespace

TEST_CASE("healthz and metrics", "[http]") {
  server_fixture srv;
  auto health = get(srv.port, "/healthz");
  CHECK(health.result() == http::status::ok);
  CHECK(health.body() == "ok\n");

  auto m = get(srv.port, "/metrics");
  CHECK(m.result() == http::status::ok);
  CHECK(m[http::field::content_type] == "text/plain; version=0.0.4");
  CHECK(m.body().find("# TYPE vr_sockets gauge\n") != std::string::npos);
  CHECK(m.body().find("# TYPE vr_frames_in_total counter\n") != std::string::npos);
  CHECK(m.body().find("vr_http_requests_total{path_class=\"healthz\"} 1\n") != std::string::npos);

  CHECK(get(srv.port, "/healthz", http::verb::post).result() == http::status::method_not_allowed);
  CHECK(get(srv.port, "/socket/websocket").result() == http::status::bad_request);
}

TEST_CASE("static files: pages, content types, HEAD, 404, no traversal", "[http]") {
  server_fixture srv;
  REQUIRE(fs::exists(srv.root() / "secret.txt"));

  auto home = get(srv.port, "/");
  CHECK(home.result() == http::status::ok);
  CHECK(home.body() == "<h1>home</h1>");
  CHECK(home[http::field::content_type] == "text/html; charset=utf-8");
  CHECK(get(srv.port, "/room/abc?display_name=Zo%C3%AB").body() == "<h1>room</h1>");

  auto js = get(srv.port, "/app.js?v=1");
  CHECK(js.body() == "console.log(1);");
  CHECK(js[http::field::content_type] == "text/javascript; charset=utf-8");
  auto playlist = get(srv.port, "/sub/live.m3u8");
  CHECK(playlist.body() == "#EXTM3U\n");
  CHECK(playlist[http::field::content_type] == "application/vnd.apple.mpegurl");

  auto head = get(srv.port, "/app.js", http::verb::head);
  CHECK(head.result() == http::status::ok);
  CHECK(head[http::field::content_length] == "15");
  CHECK(head.body().empty());

  for (auto target : {"/missing.js", "/sub", "/sub/", "/../secret.txt", "/sub/../../secret.txt",
                      "/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt", "/..%5csecret.txt"}) {
    INFO(target);
    auto res = get(srv.port, target);
    CHECK(res.result() == http::status::not_found);
    CHECK(res.body().find("secret") == std::string::npos);
  }
  CHECK(get(srv.port, "/", http::verb::delete_).result() == http::status::method_not_allowed);
}

TEST_CASE("keep-alive: several requests on one connection", "[http]") {
  server_fixture srv;
  http_client c{srv.port};
  CHECK(c.request(http::verb::get, "/healthz").body() == "ok\n");
  CHECK(c.request(http::verb::get, "/app.js").body() == "console.log(1);");
  CHECK(c.request(http::verb::get, "/nope").result() == http::status::not_found);
}

TEST_CASE("WebSocket: text echo, server sends from any thread, binary frames, close once",
          "[http][ws]") {
  server_fixture srv;
  ws_client c;
  REQUIRE_FALSE(c.open(srv.port));
  REQUIRE(srv.rec->wait([&] { return srv.rec->opened == 1; }));
  CHECK(srv.stats->get("vr_sockets") == 1);

  REQUIRE_FALSE(c.write("hello"));
  CHECK(c.read() == "echo:hello");

  // send() from a foreign thread goes through the strand, in order.
  auto conn = srv.rec->conn(0);
  REQUIRE(conn);
  CHECK(conn->remote().starts_with("127.0.0.1:"));
  for (int i = 0; i < 100; ++i)
    conn->send(std::to_string(i));
  conn.reset();
  for (int i = 0; i < 100; ++i)
    REQUIRE(c.read() == std::to_string(i));

  REQUIRE_FALSE(c.write(std::string(10, '\xff'), true));
  REQUIRE(srv.rec->wait([&] { return srv.rec->binary_bytes == 10; }));
  CHECK(srv.stats->get("vr_bad_frames_total") == 1);
  REQUIRE_FALSE(c.write("still here"));  // a binary frame does not end the socket
  CHECK(c.read() == "echo:still here");
  CHECK(srv.stats->get("vr_frames_in_total") == 3);
  // Counted when the write completes, which may be just after the client read it.
  CHECK(eventually([&] { return srv.stats->get("vr_frames_out_total") == 102; }));

  SECTION("the client closes") {
    REQUIRE_FALSE(
      wait_for(c.ioc, [&](auto h) { c.ws.async_close(websocket::close_code::normal, h); }));
  }
  SECTION("the handler closes after its last words") {
    REQUIRE_FALSE(c.write("close"));
    CHECK(c.read() == "bye");
    CHECK(c.close_code() == 4000);
    CHECK(c.ws.reason().reason == "done");
  }
  REQUIRE(srv.rec->wait([&] { return srv.rec->closed == 1; }));
  CHECK(srv.stats->get("vr_sockets") == 0);
  // No handler ↔ connection cycle is left: the session is gone.
  CHECK(srv.rec->wait([&] { return srv.rec->conns.at(0).expired(); }, 2s));
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(srv.rec->closed_twice);
}

TEST_CASE("WebSocket: a frame over max_frame_bytes closes with 1009", "[http][ws]") {
  http_options o;
  o.max_frame_bytes = 1024;
  server_fixture srv{o};
  ws_client c;
  REQUIRE_FALSE(c.open(srv.port));
  REQUIRE_FALSE(c.write(std::string(1024, 'a')));  // at the limit: fine
  CHECK(c.read().size() == 5 + 1024);

  // A little over the limit, and far over it (the server drains what is still coming).
  auto size = GENERATE(1025, 300 * 1024);
  INFO(size);
  REQUIRE_FALSE(c.write(std::string(size, 'b')));
  CHECK(c.close_code() == 1009);
  REQUIRE(srv.rec->wait([&] { return srv.rec->closed == 1; }));
  CHECK(srv.rec->texts.size() == 1);
  CHECK(srv.stats->get("vr_bad_frames_total") == 1);
}

TEST_CASE("WebSocket: a message in fragments counts as a whole against the limit", "[http][ws]") {
  http_options o;
  o.max_frame_bytes = 1024;
  server_fixture srv{o};
  ws_client c;
  REQUIRE_FALSE(c.open(srv.port));
  std::string part(600, 'x');
  REQUIRE_FALSE(
    wait_for(c.ioc, [&](auto h) { c.ws.async_write_some(false, net::buffer(part), h); }));
  REQUIRE_FALSE(
    wait_for(c.ioc, [&](auto h) { c.ws.async_write_some(true, net::buffer(part), h); }));
  CHECK(c.close_code() == 1009);
}

TEST_CASE("WebSocket: an idle socket is closed, an active one is not", "[http][ws]") {
  http_options o;
  o.idle_timeout = 400ms;
  server_fixture srv{o};
  ws_client c;
  REQUIRE_FALSE(c.open(srv.port));
  for (int i = 0; i < 5; ++i) {  // 1 s of traffic, a frame every 200 ms
    std::this_thread::sleep_for(200ms);
    REQUIRE_FALSE(c.write("hb"));
    REQUIRE(c.read() == "echo:hb");
  }
  auto quiet_since = std::chrono::steady_clock::now();
  CHECK(c.close_code() == 1001);
  CHECK(c.ws.reason().reason == "idle");
  auto quiet = std::chrono::steady_clock::now() - quiet_since;
  CHECK(quiet >= 300ms);
  CHECK(quiet < 3s);
  CHECK(srv.rec->wait([&] { return srv.rec->closed == 1; }));
}

TEST_CASE("WebSocket: a client that does not read is closed with 1008", "[http][ws]") {
  server_fixture srv;
  ws_client c;
  REQUIRE_FALSE(c.open(srv.port));
  REQUIRE(srv.rec->wait([&] { return srv.rec->opened == 1; }));
  auto conn = srv.rec->conn(0);
  REQUIRE(conn);
  // 32 MiB: more than the socket buffers and the 8 MiB queue bound together.
  const std::string chunk(256 * 1024, 'z');
  for (int i = 0; i < 128; ++i)
    conn->send(chunk);
  conn.reset();
  std::this_thread::sleep_for(500ms);
  std::size_t received = 0;
  beast::error_code ec;
  while (!ec)
    received += c.read(ec).size();
  CHECK(ec == websocket::error::closed);
  CHECK(c.ws.reason().code == 1008);
  CHECK(received < 128 * chunk.size());
  CHECK(srv.rec->wait([&] { return srv.rec->closed == 1; }));
}

TEST_CASE("max_connections: beyond it HTTP gets 503 and upgrades are refused", "[http][ws]") {
  http_options o;
  o.max_connections = 1;
  server_fixture srv{o};
  ws_client c;
  REQUIRE_FALSE(c.open(srv.port));
  REQUIRE(srv.rec->wait([&] { return srv.rec->opened == 1; }));

  CHECK(get(srv.port, "/healthz").result() == http::status::service_unavailable);
  ws_client refused;
  CHECK(refused.open(srv.port) == websocket::error::upgrade_declined);
  CHECK(refused.response.result() == http::status::service_unavailable);

  REQUIRE_FALSE(
    wait_for(c.ioc, [&](auto h) { c.ws.async_close(websocket::close_code::normal, h); }));
  REQUIRE(srv.rec->wait([&] { return srv.rec->closed == 1; }));
  CHECK(get(srv.port, "/healthz").result() == http::status::ok);
}

TEST_CASE("stop() closes open sockets with 1001 and lets run() return", "[http][ws]") {
  server_fixture srv;
  ws_client a, b;
  REQUIRE_FALSE(a.open(srv.port));
  REQUIRE_FALSE(b.open(srv.port));
  http_client keep_alive{srv.port};  // an idle HTTP/1.1 connection after one request
  CHECK(keep_alive.request(http::verb::get, "/healthz").result() == http::status::ok);
  http_client half_open{srv.port};  // connected, never sends a request
  REQUIRE(srv.rec->wait([&] { return srv.rec->opened == 2; }));

  srv.server().stop();
  srv.server().stop();  // idempotent
  CHECK(a.close_code() == 1001);
  CHECK(b.close_code() == 1001);
  CHECK(srv.stop_and_join(5s));
  CHECK(srv.rec->closed == 2);
  CHECK(srv.stats->get("vr_sockets") == 0);

  beast::error_code ec;
  net::io_context ioc;
  tcp::socket s{ioc};
  s.connect(local(srv.port), ec);
  CHECK(ec);  // nobody listens any more
}

// Sends `text` on a fresh connection and returns what the server sent until it
// closed (or 10 s passed).
std::string raw_exchange(std::uint16_t port, std::string_view text) {
  net::io_context ioc;
  beast::tcp_stream s{ioc};
  REQUIRE_FALSE(wait_for(ioc, [&](auto h) { s.async_connect(local(port), h); }));
  REQUIRE_FALSE(wait_for(ioc, [&](auto h) { net::async_write(s, net::buffer(text), h); }));
  std::string got;
  std::array<char, 4096> chunk;
  for (;;) {
    std::size_t n = 0;
    auto ec = wait_for(ioc, [&](auto h) {
      s.async_read_some(net::buffer(chunk), [&n, h](beast::error_code ec, std::size_t k) mutable {
        n = k;
        h(ec);
      });
    });
    got.append(chunk.data(), n);
    if (ec)
      break;
  }
  return got;
}

TEST_CASE("limits: request head and body sizes get 431 and 413, counted", "[http][limits]") {
  http_options o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 100;
  server_fixture srv{o};
  auto ok =
    raw_exchange(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(500, 'a') +
                             "\r\nConnection: close\r\n\r\n");
  CHECK(ok.starts_with("HTTP/1.1 200 "));
  auto head = raw_exchange(
    srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(3000, 'a') + "\r\n\r\n");
  CHECK(head.starts_with("HTTP/1.1 431 "));
  CHECK(head.find("request head larger than 1024 bytes") != std::string::npos);
  auto body =
    raw_exchange(srv.port, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" +
                             std::string(500, 'b'));
  CHECK(body.starts_with("HTTP/1.1 413 "));
  CHECK(srv.stats->get("vr_refused_total", {{"reason", "header_size"}}) == 1);
  CHECK(srv.stats->get("vr_refused_total", {{"reason", "body_size"}}) == 1);
  CHECK(get(srv.port, "/healthz").result() == http::status::ok);
}

TEST_CASE("limits: a stalled request head is dropped after request_timeout", "[http][limits]") {
  http_options o;
  o.request_timeout = 300ms;
  server_fixture srv{o};
  auto t0 = std::chrono::steady_clock::now();
  auto got = raw_exchange(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never ends
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(got.empty());
  CHECK(took >= 250ms);
  CHECK(took < 3s);
  CHECK(eventually([&] {
    return srv.stats->get("vr_refused_total", {{"reason", "request_timeout"}}) == 1;
  }));
  CHECK(get(srv.port, "/healthz").result() == http::status::ok);
}

TEST_CASE("limits: connections per IP beyond the limit get 429", "[http][limits]") {
  http_options o;
  o.max_connections_per_ip = 2;
  server_fixture srv{o};
  ws_client a;
  REQUIRE_FALSE(a.open(srv.port));
  http_client idle{srv.port};
  REQUIRE(srv.rec->wait([&] { return srv.rec->opened == 1; }));
  CHECK(get(srv.port, "/healthz").result() == http::status::too_many_requests);
  ws_client refused;
  CHECK(refused.open(srv.port) == websocket::error::upgrade_declined);
  CHECK(refused.response.result() == http::status::too_many_requests);
  CHECK(srv.stats->get("vr_refused_total", {{"reason", "connections_per_ip"}}) == 2);
  REQUIRE_FALSE(a.write("still"));
  CHECK(a.read() == "echo:still");
  REQUIRE_FALSE(
    wait_for(a.ioc, [&](auto h) { a.ws.async_close(websocket::close_code::normal, h); }));
  REQUIRE(srv.rec->wait([&] { return srv.rec->closed == 1; }));
  CHECK(eventually([&] {
    return http_client{srv.port}.request(http::verb::get, "/healthz").result() == http::status::ok;
  }));
}

TEST_CASE("limits: a WebSocket over max_messages_per_second is closed with 1008",
          "[http][ws][limits]") {
  http_options o;
  o.max_messages_per_second = 10;  // bursts of 50
  server_fixture srv{o};
  ws_client steady, flood;
  REQUIRE_FALSE(steady.open(srv.port));
  REQUIRE_FALSE(flood.open(srv.port));
  for (int i = 0; i < 200; ++i)
    REQUIRE_FALSE(flood.write("x"));
  CHECK(flood.close_code() == 1008);
  CHECK(flood.ws.reason().reason == "too many messages");
  CHECK(srv.stats->get("vr_refused_total", {{"reason", "message_rate"}}) == 1);
  REQUIRE_FALSE(steady.write("fine"));
  CHECK(steady.read() == "echo:fine");
}
