// http_server with TLS (signaling/tls): certificates made with the openssl
// command in a temp dir; a Beast ssl_stream client on its own io_context.
// HTTPS answers, plain HTTP gets the 400, reload() changes the certificate of
// new connections only, bad files throw tls_error naming the file.
#include "signaling/tls.hpp"
#include "signaling/http_server.hpp"
#include "signaling/metrics.hpp"
#include "test/support/hls_files.hpp"

#include <openssl/x509.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using vr::signaling::http_options;
using vr::signaling::http_server;
using vr::signaling::metrics;
using vr::signaling::tls_config;
using vr::signaling::tls_error;

namespace {

// The shared temp_dir (test/support), created at once: openssl writes into it.
struct temp_dir : vr::test::temp_dir {
  temp_dir() : vr::test::temp_dir("vr-tls-test-") { fs::create_directories(path); }
};

// A self-signed pair NAME.crt / NAME.key in `dir` (openssl command).
void make_cert(const fs::path& dir, const std::string& name) {
  auto cmd =
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
    "-subj /CN=" +
    name + " -keyout '" + (dir / (name + ".key")).string() + "' -out '" +
    (dir / (name + ".crt")).string() + "' 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

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

tcp::endpoint local(std::uint16_t port) { return {net::ip::make_address("127.0.0.1"), port}; }

// One HTTPS connection (kept alive); does not verify the certificate, it reads
// its common name instead.
struct https_client {
  explicit https_client(std::uint16_t port) {
    REQUIRE_FALSE(wait_for(
      ioc, [&](auto h) { beast::get_lowest_layer(stream).async_connect(local(port), h); }));
    REQUIRE_FALSE(
      wait_for(ioc, [&](auto h) { stream.async_handshake(ssl::stream_base::client, h); }));
  }

  std::string common_name() {
    X509* cert = SSL_get_peer_certificate(stream.native_handle());
    REQUIRE(cert);
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

  http::response<http::string_body> get(std::string target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { http::async_write(stream, req, h); }));
    http::response<http::string_body> res;
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { http::async_read(stream, buffer, res, h); }));
    return res;
  }

  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
  beast::flat_buffer buffer;
};

class tls_server {
public:
  explicit tls_server(std::shared_ptr<tls_config> tls) {
    http_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.static_dir = fs::temp_directory_path().string();
    o.tls = std::move(tls);
    server_ = std::make_unique<http_server>(
      io_, o, [](auto) { return nullptr; }, stats);
    server_->start();
    port = server_->port();
    thread_ = std::thread{[this] { io_.run(); }};
  }
  ~tls_server() {
    server_->stop();
    thread_.join();
  }
  std::shared_ptr<metrics> stats = std::make_shared<metrics>();
  std::uint16_t port = 0;

private:
  net::io_context io_;
  std::unique_ptr<http_server> server_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("tls_config: missing, non-PEM and mismatched files name the file", "[tls]") {
  temp_dir d;
  make_cert(d.path, "a");
  make_cert(d.path, "b");
  auto a_crt = (d.path / "a.crt").string(), a_key = (d.path / "a.key").string();
  auto b_key = (d.path / "b.key").string(), missing = (d.path / "none.pem").string();
  std::ofstream{d.path / "junk.pem"} << "junk\n";
  auto junk = (d.path / "junk.pem").string();
  CHECK_NOTHROW(tls_config{a_crt, a_key});
  auto file_of = [](auto make) -> std::string {
    try {
      make();
    } catch (const tls_error& e) {
      CHECK(std::string{e.what()}.find("'" + e.file() + "'") != std::string::npos);
      return e.file();
    }
    return "(no error)";
  };
  CHECK(file_of([&] { tls_config{missing, a_key}; }) == missing);
  CHECK(file_of([&] { tls_config{a_crt, missing}; }) == missing);
  CHECK(file_of([&] { tls_config{junk, a_key}; }) == junk);
  CHECK(file_of([&] { tls_config{a_crt, junk}; }) == junk);
  CHECK(file_of([&] { tls_config{a_crt, b_key}; }) == b_key);
}

TEST_CASE("TLS: HTTPS answers, plain HTTP gets 400, reload reaches new connections only",
          "[tls][http]") {
  temp_dir d;
  make_cert(d.path, "first");
  make_cert(d.path, "second");
  auto live_crt = d.path / "live.crt", live_key = d.path / "live.key";
  fs::copy_file(d.path / "first.crt", live_crt);
  fs::copy_file(d.path / "first.key", live_key);
  auto tls = std::make_shared<tls_config>(live_crt.string(), live_key.string());
  auto desc = tls->describe();
  CHECK(
    (desc.find("CN = first") != std::string::npos || desc.find("CN=first") != std::string::npos));
  tls_server srv{tls};

  https_client old{srv.port};
  CHECK(old.common_name() == "first");
  CHECK(old.get("/healthz").body() == "ok\n");

  // Plain HTTP on the TLS port.
  {
    net::io_context ioc;
    beast::tcp_stream s{ioc};
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { s.async_connect(local(srv.port), h); }));
    http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
    req.set(http::field::host, "example.test");
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { http::async_write(s, req, h); }));
    beast::flat_buffer b;
    http::response<http::string_body> res;
    REQUIRE_FALSE(wait_for(ioc, [&](auto h) { http::async_read(s, b, res, h); }));
    CHECK(res.result() == http::status::bad_request);
    CHECK(res.body().find("use https://example.test/healthz") != std::string::npos);
    CHECK_FALSE(res.keep_alive());
  }
  CHECK(srv.stats->get("vr_refused_total", {{"reason", "not_tls"}}) == 1);

  // A failed reload keeps the current pair.
  std::ofstream{live_key, std::ios::trunc} << "junk\n";
  CHECK_THROWS_AS(tls->reload(), tls_error);
  CHECK(https_client{srv.port}.common_name() == "first");

  fs::copy_file(d.path / "second.crt", live_crt, fs::copy_options::overwrite_existing);
  fs::copy_file(d.path / "second.key", live_key, fs::copy_options::overwrite_existing);
  tls->reload();
  https_client fresh{srv.port};
  CHECK(fresh.common_name() == "second");
  CHECK(fresh.get("/healthz").body() == "ok\n");
  // The connection made before the reload goes on, on its certificate.
  CHECK(old.get("/healthz").body() == "ok\n");
  CHECK(old.common_name() == "first");
}

TEST_CASE("TLS: stop() ends connections still in detection or handshake", "[tls][http]") {
  temp_dir d;
  make_cert(d.path, "c");
  auto tls = std::make_shared<tls_config>((d.path / "c.crt").string(), (d.path / "c.key").string());
  net::io_context ioc;
  tcp::socket silent{ioc}, half{ioc};
  auto srv = std::make_unique<tls_server>(tls);
  silent.connect(local(srv->port));
  half.connect(local(srv->port));
  net::write(half, net::buffer(std::string{"\x16\x03\x01", 3}));  // a handshake begun
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  srv.reset();  // stop() and join the io thread (request_timeout is 15 s)
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 3s);
}
