// The real videoroom binary as a child process, for SFU tests and benchmarks.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vr::test {

// Pins the calling process (a child before exec) to one CPU; -1: no change.
void pin_to_cpu(int cpu);

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

class server_process {
public:
  // Starts `bin --config-file=config/test.conf --http.port=<free> extra...` in
  // `root` ("{http_port}" in `extra` becomes that port), and waits (bounded)
  // until /healthz answers ok.
  // `cpu` >= 0: the server runs pinned to that CPU (benchmarks).
  server_process(const std::string& bin, const std::string& root,
                 std::vector<std::string> extra = {}, int cpu = -1);
  // SIGTERM, then SIGKILL if it did not exit within 10 s.
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // GET path on the server; "" on failure.
  std::string get(const std::string& path) const;
  struct http_result {
    int status = 0;  // 0: no answer (connection failed or timed out)
    std::string body, content_type, cache_control, allow_origin;
  };
  // GET (or HEAD) with the whole answer; waits at most `timeout`.
  http_result request(const std::string& path, bool head = false,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;
  // The value of a Prometheus sample line `name{labels}` ("name" alone for no labels).
  double metric(const std::string& series) const;
  // From /proc: threads, open file descriptors, user+system CPU seconds.
  std::size_t threads() const;
  std::size_t fds() const;
  double cpu_seconds() const;
  std::size_t rss_kb() const;
  // False once the process has exited (it is reaped; stop() then tells how).
  bool alive();
  // Sends SIGTERM and returns the exit status (-1 when it died of a signal or
  // had to be killed). Once stopped, returns the same status again.
  int stop();
  // kill(2) with `sig` (SIGKILL, SIGSTOP, SIGCONT...), for tests of lost nodes.
  void signal(int sig);

private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int exit_status_ = -1;
};

}  // namespace vr::test
