// A thread-safe limit of events per second per key (joins per IP, node-wide;
// chat messages per peer, in each room): a token bucket per key holding at
// most `burst` (one second's worth unless told), refilled continuously. Plain
// C++ (no CAF); every socket_actor of the node shares one through node_settings.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace vr {

class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  // `per_second` events per second per key, at most `burst` at once (0: as
  // many as `per_second`); `per_second` 0 = no limit.
  explicit rate_limiter(double per_second, double burst = 0)
      : rate_(per_second), burst_(burst > 0 ? burst : per_second) {}

  // Takes one event for `key` at `now`; false when its bucket is empty.
  bool allow(const std::string& key, clock::time_point now = clock::now());

  // Keys with a bucket that is not full (for tests; full buckets are dropped).
  std::size_t tracked() const;

private:
  struct bucket {
    double tokens = 0;
    clock::time_point last;
  };
  void prune(clock::time_point now);

  double rate_;
  double burst_;
  mutable std::mutex mutex_;
  std::map<std::string, bucket> buckets_;
  clock::time_point last_prune_;
};

// "1.2.3.4:5678" → "1.2.3.4", "::1:5678" → "::1", "[::1]:5678" → "::1": the
// address a ws_connection's remote() names, without its port.
std::string address_of(const std::string& remote);

}  // namespace vr
