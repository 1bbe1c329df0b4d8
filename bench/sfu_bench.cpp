// Measures the SFU on loopback: 1 publisher to N subscribers through the real
// server. Prints forwarding delay (publisher-in to subscriber-out, p50/p99),
// the time from a subscriber's join to its first forwarded video packet, and
// the server's CPU time per forwarded packet. A benchmark, not a test.
#include "test/protocol_peer/protocol_peer.hpp"
#include "test/sfu/server_process.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

using namespace vr::test;
using clock_type = std::chrono::steady_clock;

namespace {

struct figures {
  int subscribers = 0;
  double join_to_video_ms_median = 0, join_to_video_ms_max = 0;
  double delay_p50_ms = 0, delay_p99_ms = 0;
  double cpu_us_per_packet = 0, packets_per_s = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

figures run(int n, std::chrono::seconds window) {
  server_process srv{VR_SERVER_BIN, VR_ROOT};
  auto room = "bench" + std::to_string(n);
  protocol_peer pub{"pub"};
  if (!pub.join(srv.port(), room).ok)
    throw std::runtime_error("publisher could not join");
  pub.publish();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  figures f;
  f.subscribers = n;
  std::vector<std::unique_ptr<protocol_peer>> subs;
  std::vector<double> join_ms;
  for (int i = 0; i < n; ++i) {
    auto s = std::make_unique<protocol_peer>("sub" + std::to_string(i));
    auto t0 = clock_type::now();
    if (!s->join(srv.port(), room).ok)
      throw std::runtime_error("subscriber could not join");
    if (!s->wait_for([&] { return s->packets_from(pub.peer_id(), "video") > 0; },
                     std::chrono::seconds(15)))
      throw std::runtime_error("no video reached a subscriber");
    join_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    subs.push_back(std::move(s));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up: connections settle
  for (auto& s : subs)
    s->media().clear_latency();
  auto received = [&] {
    std::uint64_t total = 0;
    for (auto& s : subs)
      total += s->packets_from(pub.peer_id());
    return total;
  };
  auto cpu0 = srv.cpu_seconds();
  auto pk0 = received();
  auto t0 = clock_type::now();
  std::this_thread::sleep_for(window);
  auto cpu1 = srv.cpu_seconds();
  auto pk1 = received();
  auto secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<double> p50s, p99s;
  for (auto& s : subs) {
    auto l = s->media().latency();
    p50s.push_back(l.median_ms);
    p99s.push_back(l.p99_ms);
  }
  f.join_to_video_ms_median = median(join_ms);
  f.join_to_video_ms_max = *std::max_element(join_ms.begin(), join_ms.end());
  f.delay_p50_ms = median(p50s);
  f.delay_p99_ms = *std::max_element(p99s.begin(), p99s.end());
  f.packets_per_s = static_cast<double>(pk1 - pk0) / secs;
  f.cpu_us_per_packet = pk1 > pk0 ? (cpu1 - cpu0) * 1e6 / static_cast<double>(pk1 - pk0) : 0;
  subs.clear();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  auto window = std::chrono::seconds(argc > 1 ? std::atoi(argv[1]) : 10);
  std::printf(
    "| subscribers | join→first video p50 / max (ms) | delay p50 (ms) | delay p99 (ms) "
    "| forwarded pkt/s | server CPU µs/pkt |\n|---|---|---|---|---|---|\n");
  for (int n : {1, 4, 8}) {
    auto f = run(n, window);
    std::printf("| %d | %.0f / %.0f | %.2f | %.2f | %.0f | %.1f |\n", f.subscribers,
                f.join_to_video_ms_median, f.join_to_video_ms_max, f.delay_p50_ms, f.delay_p99_ms,
                f.packets_per_s, f.cpu_us_per_packet);
    std::fflush(stdout);
  }
}
