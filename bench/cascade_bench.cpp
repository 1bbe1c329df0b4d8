// A cascaded room on a three-node cluster (loopback): one publisher on node A,
// subscribers spread evenly over A, B and C in steps (1, 2, 4, 8 per node). Per
// step: each node's relay counters and relay bitrate from /metrics (A sends
// each track once per other node whatever the subscriber count), loss, and the
// one-way delay of subscribers on A (one SFU hop) against B and C (A, the
// node-to-node relay, then their own node): the difference is what a hop adds.
// Delay: send stamps in the payload (test/peer/stamp.hpp), publisher and
// subscribers in this process (one clock). A benchmark, not a test.
#include "bench/load_subjects.hpp"
#include "test/peer/encoded_loop.hpp"
#include "test/protocol_peer/protocol_peer.hpp"
#include "test/sfu/test_cluster.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace vr;
using namespace vr::test;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t nodes = 3;
constexpr const char* node_names[nodes] = {"A", "B", "C"};

struct relay_sample {
  double tracks_out = 0, tracks_in = 0, bytes_out = 0, bytes_in = 0;
};

relay_sample relay_of(test_cluster& c, std::size_t i) {
  auto& p = c.proc(i);
  return {p.metric("vr_relayed_tracks_out"), p.metric("vr_relayed_tracks_in"),
          p.metric("vr_relay_bytes_out_total"), p.metric("vr_relay_bytes_in_total")};
}

struct delay {
  double p50 = 0, p99 = 0;  // median of the subscribers' medians; worst 99th percentile
};

delay delay_of(const std::vector<std::unique_ptr<protocol_peer>>& subs) {
  std::vector<double> p50;
  double p99 = 0;
  for (auto& s : subs) {
    auto l = s->media().latency();
    if (l.samples == 0)
      continue;
    p50.push_back(l.median_ms);
    p99 = std::max(p99, l.p99_ms);
  }
  return {bench::percentile(p50, 0.5), p99};
}

// Adds what `subs` received so far (packets and the sequence spans) to `t`.
void add_received(bench::totals& t, const std::vector<std::unique_ptr<protocol_peer>>& subs) {
  for (auto& s : subs)
    for (auto& [id, tr] : s->media().received()) {
      t.packets += tr.packets;
      t.expected += tr.expected;
    }
}

std::unique_ptr<protocol_peer> join(test_cluster& c, std::size_t node, const std::string& room,
                                    const std::string& name, bool publish,
                                    const std::shared_ptr<encoded_loop>& loop) {
  peer_options o;
  o.loop = loop;
  auto p = std::make_unique<protocol_peer>(name, o);
  join_options j;
  j.publish = publish;
  j.role = publish ? "publisher" : "viewer";
  auto r = p->connect_and_join(c.http_port(node), room, j);
  if (!r.ok)
    throw std::runtime_error(name + " could not join at node " + node_names[node] + ": " +
                             r.reason);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const auto window = std::chrono::seconds(argc > 1 ? std::atoi(argv[1]) : 5);
  if (window.count() <= 0) {
    std::fprintf(stderr, "usage: cascade_bench [window seconds > 0 (5)]\n");
    return 2;
  }
  try {
    auto loop = std::make_shared<encoded_loop>(encoded_loop::options{});
    test_cluster c{nodes};
    if (!c.converged({0, 1, 2}))
      throw std::runtime_error("the three nodes did not see each other");
    // The room's state on C, the publisher's media on A: the room's home is
    // neither the publisher's node nor on the media path to A's subscribers.
    const std::string room = c.room_on(2, {0, 1, 2}, "cascade");
    auto pub = join(c, 0, room, "pub", true, loop);
    if (!pub->wait_for([&] { return pub->media().publish_connected(); }, std::chrono::seconds(15)))
      throw std::runtime_error("the publisher did not connect");
    const std::string pub_id = pub->peer_id();

    std::printf("# Cascaded room: 1 publisher on node A, subscribers on A, B and C\n\n");
    std::printf(
      "Three videoroom nodes on loopback (test/sfu/test_cluster), the room's state on C. The "
      "publisher (looped VP8 %.0f kbit/s 30 fps + Opus) joins at A; each step adds subscribers "
      "evenly to A, B and C (a subscriber's media terminates on the node it joined). Each step: "
      "2 s to settle, then a %lld s window. *relayed out / in*: `vr_relayed_tracks_out` / "
      "`_in` of each node; *relay kbit/s*: `vr_relay_bytes_out_total` (A) and "
      "`vr_relay_bytes_in_total` (B, C) over the window. Delay: one-way, from send stamps in "
      "the payload (publisher and subscribers in this process, one clock), p50 = median of the "
      "subscribers' medians, p99 = the worst subscriber's; it includes the load generator's own "
      "queues. *added by the relay hop* = B/C's minus A's. All processes share the machine's "
      "%u CPUs.\n\n",
      loop->video_bitrate_measured() / 1000, static_cast<long long>(window.count()),
      std::thread::hardware_concurrency());
    std::printf(
      "| subscribers per node (total) | A relayed out | B / C relayed in | A relay out kbit/s | "
      "B / C relay in kbit/s | loss %% | delay A p50 / p99 (ms) | B | C | added by the relay "
      "hop p50 / p99 (ms) |\n|---|---|---|---|---|---|---|---|---|---|\n");

    std::vector<std::vector<std::unique_ptr<protocol_peer>>> subs(nodes);
    bool once_per_node = true;  // A relays 4 tracks (2 per other node) at every step
    for (std::size_t per_node : {1, 2, 4, 8}) {
      for (std::size_t n = 0; n < nodes; ++n)
        while (subs[n].size() < per_node)
          subs[n].push_back(join(c, n, room,
                                 std::string("s") + node_names[n] + std::to_string(subs[n].size()),
                                 false, loop));
      for (std::size_t n = 0; n < nodes; ++n)
        for (auto& s : subs[n])
          if (!s->wait_for([&] { return s->packets_from(pub_id, "video") > 0; },
                           std::chrono::seconds(15)))
            throw std::runtime_error("a subscriber at " + std::string(node_names[n]) +
                                     " got no video");
      std::this_thread::sleep_for(std::chrono::seconds(2));
      relay_sample before[nodes];
      bench::totals t0;
      for (std::size_t n = 0; n < nodes; ++n) {
        before[n] = relay_of(c, n);
        add_received(t0, subs[n]);
        for (auto& s : subs[n])
          s->media().clear_latency();
      }
      std::this_thread::sleep_for(window);
      relay_sample after[nodes];
      bench::totals t1;
      delay d[nodes];
      for (std::size_t n = 0; n < nodes; ++n) {
        after[n] = relay_of(c, n);
        d[n] = delay_of(subs[n]);
        add_received(t1, subs[n]);
      }
      once_per_node = once_per_node && after[0].tracks_out == 4;
      const double secs = static_cast<double>(window.count());
      auto kbit = [&](double bytes) { return bytes * 8 / 1000 / secs; };
      const double expected = static_cast<double>(t1.expected - t0.expected);
      const double got = static_cast<double>(t1.packets - t0.packets);
      const double loss = expected > 0 ? std::max(0.0, 100 * (expected - got) / expected) : 0;
      const double hop50 = (d[1].p50 + d[2].p50) / 2 - d[0].p50;
      const double hop99 = (d[1].p99 + d[2].p99) / 2 - d[0].p99;
      std::printf(
        "| %zu (%zu) | %.0f | %.0f / %.0f | %.0f | %.0f / %.0f | %.2f | %.2f / %.2f | %.2f / "
        "%.2f | %.2f / %.2f | %+.2f / %+.2f |\n",
        per_node, per_node * nodes, after[0].tracks_out, after[1].tracks_in, after[2].tracks_in,
        kbit(after[0].bytes_out - before[0].bytes_out),
        kbit(after[1].bytes_in - before[1].bytes_in), kbit(after[2].bytes_in - before[2].bytes_in),
        loss, d[0].p50, d[0].p99, d[1].p50, d[1].p99, d[2].p50, d[2].p99, hop50, hop99);
      std::fflush(stdout);
    }
    std::printf(
      "\nA relayed the audio and the video once to B and once to C (4 tracks) at every "
      "step: %s.\n",
      once_per_node ? "yes" : "**no**");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cascade_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
