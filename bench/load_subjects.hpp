// The servers a benchmark loads and the peers of the load, whichever server
// they talk to: videoroom through protocol.md, Janus VideoRoom through its
// WebSocket API. Shared by compare_bench and capacity_bench.
#pragma once

#include "test/peer/encoded_loop.hpp"
#include "test/peer/webrtc_peer.hpp"

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vr::bench {

// One peer of the load.
class load_peer {
public:
  virtual ~load_peer() = default;
  virtual test::webrtc_peer& media() = 0;
  // Video packets received from publisher `pub`.
  virtual std::uint64_t video_from(const load_peer& pub) = 0;
};

// A server under test and the way its peers join. `room` numbers rooms from 0
// (each server names them its own way).
class subject {
public:
  virtual ~subject() = default;
  virtual pid_t pid() const = 0;
  virtual std::unique_ptr<load_peer> publisher(const std::string& name, int room = 0) = 0;
  // A peer that receives the given publishers (and, in the mesh, publishes too).
  virtual std::unique_ptr<load_peer> receiver(const std::string& name,
                                              const std::vector<load_peer*>& pubs,
                                              int room = 0) = 0;
  // Mesh: make every publisher (all in one room) receive every other.
  virtual void cross_subscribe(const std::vector<load_peer*>& pubs) = 0;
};

// Server specs: "videoroom", "janus", "videoroom=/path/to/binary" (to measure
// one build of ours against another), or "janus-openssl-srtp" (Janus on the
// libsrtp2 our server uses; one Janus at a time, its port is fixed). Each
// server runs pinned to `cpu`.
std::unique_ptr<subject> make_subject(const std::string& spec,
                                      const std::shared_ptr<test::encoded_loop>& loop, int cpu);

// Packets received and the sequence spans they came from (expected - packets = lost).
struct totals {
  std::uint64_t packets = 0, expected = 0;
};
totals count(const std::vector<std::unique_ptr<load_peer>>& receivers);

// Waits for `to` to receive video from every one of `from`; false after 15 s.
bool gets_video(load_peer& to, const std::vector<load_peer*>& from);

double percentile(std::vector<double> v, double p);

}  // namespace vr::bench
