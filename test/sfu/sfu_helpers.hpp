// Shared pieces of the SFU tests: a server per test, peers that join it, and
// checks on received RTP packets (media must arrive, not just signaling).
#pragma once

#include "test/protocol_peer/protocol_peer.hpp"
#include "test/sfu/server_process.hpp"

#include <memory>
#include <string>
#include <vector>

namespace vr::test {

// The real server for one test, on a free port. Its destructor stops it with
// SIGTERM and checks that it exits with status 0 (a clean shutdown with
// whatever is still connected), and that it did not die during the test.
class test_server {
public:
  explicit test_server(std::vector<std::string> extra = {});
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  server_process& proc() { return proc_; }
  std::uint16_t port() const { return proc_.port(); }
  double metric(const std::string& series) const { return proc_.metric(series); }

private:
  server_process proc_;
};

// Joins and publishes (REQUIREs the publisher role).
std::unique_ptr<protocol_peer> join_publisher(test_server& srv, const std::string& room,
                                              const std::string& name, join_options o = {});
// Joins without publishing; `role` is the wish ("" for none).
std::unique_ptr<protocol_peer> join_subscriber(test_server& srv, const std::string& room,
                                               const std::string& name,
                                               const std::string& role = "");

// Whether `to` receives more than `threshold` audio and video packets from
// peer `from` within `timeout`.
bool receives(protocol_peer& to, const std::string& from, std::chrono::milliseconds timeout = 15s,
              std::uint64_t threshold = 50);
bool receives_audio(protocol_peer& to, const std::string& from,
                    std::chrono::milliseconds timeout = 15s);
// Whether packets from `from` keep arriving at `to` (`n` more within 10 s).
bool keeps_receiving(protocol_peer& to, const std::string& from, std::uint64_t n = 50);
// A flow of packets: what `to` receives from peer `from`.
struct flow {
  protocol_peer* to;
  std::string from;
};
// Whether all these flows stopped: counted `settle` after `since`, nothing
// more arrives during the next second. (One wait for all: tests stay short.)
bool stopped(const std::vector<flow>& flows, std::chrono::steady_clock::time_point since,
             std::chrono::milliseconds settle = 1s);
// Whether every track `to` receives was announced as one of `from`'s.
bool only_from(const protocol_peer& to, const std::vector<const protocol_peer*>& from);

}  // namespace vr::test
