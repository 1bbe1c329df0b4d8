#include "test/sfu/server_process.hpp"

#include "test/sfu/proc_stats.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vr::test {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

void pin_to_cpu(int cpu) {
  if (cpu < 0)
    return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

std::uint16_t free_port() {
  net::io_context io;
  tcp::acceptor a{io, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

server_process::server_process(const std::string& bin, const std::string& root,
                               std::vector<std::string> extra, int cpu) {
  port_ = free_port();
  std::vector<std::string> args{bin, "--config-file=" + root + "/config/test.conf",
                                "--http.port=" + std::to_string(port_),
                                "--http.static-dir=" + root + "/client/dist"};
  for (auto& a : extra) {  // "{http_port}" stands for the port chosen here
    if (auto at = a.find("{http_port}"); at != std::string::npos)
      a.replace(at, 11, std::to_string(port_));
    args.push_back(a);
  }
  // Built before fork: the child of a threaded process should only exec.
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    pin_to_cpu(cpu);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  for (int i = 0; i < 200; ++i) {
    if (get("/healthz").rfind("ok\n", 0) == 0)  // a cluster node adds its view
      return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // bad config, port taken: fail at once
      pid_ = -1;
      throw std::runtime_error("server exited at start-up with status " + std::to_string(status));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop();
  throw std::runtime_error("server did not become healthy");
}

server_process::~server_process() { stop(); }

std::string server_process::get(const std::string& path) const {
  try {
    net::io_context io;
    boost::beast::tcp_stream s{io};
    s.expires_after(std::chrono::seconds(5));
    s.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_});
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    boost::beast::flat_buffer b;
    http::response<http::string_body> res;
    http::read(s, b, res);
    return res.body();
  } catch (const std::exception&) {
    return {};
  }
}

server_process::http_result server_process::request(const std::string& path, bool head,
                                                    std::chrono::milliseconds timeout) const {
  http_result r;
  try {
    net::io_context io;
    boost::beast::tcp_stream s{io};
    s.expires_after(timeout);
    s.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_});
    http::request<http::empty_body> req{head ? http::verb::head : http::verb::get, path, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    boost::beast::flat_buffer b;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head);
    http::read(s, b, parser);
    auto res = parser.release();
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    r.content_type = std::string{res[http::field::content_type]};
    r.cache_control = std::string{res[http::field::cache_control]};
    r.allow_origin = std::string{res[http::field::access_control_allow_origin]};
  } catch (const std::exception&) {
    r.status = 0;
  }
  return r;
}

double server_process::metric(const std::string& series) const {
  std::istringstream in{get("/metrics")};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  return 0;
}

std::size_t server_process::threads() const { return proc_threads(pid_); }

std::size_t server_process::fds() const { return proc_fds(pid_); }

double server_process::cpu_seconds() const { return proc_cpu_seconds(pid_); }

std::size_t server_process::rss_kb() const { return proc_rss_kb(pid_); }

bool server_process::alive() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_)
    return true;
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return false;
}

void server_process::signal(int sig) {
  if (pid_ > 0)
    kill(pid_, sig);
}

int server_process::stop() {
  if (pid_ <= 0)
    return exit_status_;  // already gone: how it went
  kill(pid_, SIGCONT);    // a frozen node must run to hear SIGTERM
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return exit_status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_status_ = -1;
  return exit_status_;
}

}  // namespace vr::test
