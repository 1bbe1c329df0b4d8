// Measures a three-node cluster on loopback: the signaling round trip of a
// phx_join through a node that does not hold the room against a local one, and
// what losing the room's node (killed, or frozen) does: the time until a
// survivor holds the room again, and the longest pause in the media of peers on
// the other nodes. A benchmark, not a test.
#include "test/protocol_peer/protocol_peer.hpp"
#include "test/protocol_peer/ws_client.hpp"
#include "test/sfu/test_cluster.hpp"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace vr::test;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

struct summary {
  double p50 = 0, p95 = 0, max = 0;
};

summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty())
    return {};
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.back()};
}

// A bare Phoenix socket: phx_join / phx_leave and the time to their replies.
class raw_socket {
public:
  explicit raw_socket(std::uint16_t port)
      : ws_{{[this](std::string text) {
               std::lock_guard lock{mutex_};
               frames_.push_back(std::move(text));
               changed_.notify_all();
             },
             nullptr}} {
    if (auto err =
          ws_.connect("127.0.0.1", port, "/socket/websocket?vsn=2.0.0", std::chrono::seconds(5)))
      throw std::runtime_error("connect: " + *err);
  }
  // Sends a frame with ref `ref` and waits for its phx_reply; returns ms.
  double round_trip(const std::string& join_ref, const std::string& topic, const std::string& event,
                    const std::string& payload) {
    auto ref = std::to_string(++ref_);
    auto needle = "\"" + ref + "\",\"" + topic + "\",\"phx_reply\",{\"status\":\"ok\"";
    auto t0 = clock_type::now();
    ws_.send("[\"" + join_ref + "\",\"" + ref + "\",\"" + topic + "\",\"" + event + "\"," +
             payload + "]");
    std::unique_lock lock{mutex_};
    bool ok = changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::any_of(frames_.begin(), frames_.end(),
                         [&](auto& f) { return f.find(needle) != std::string::npos; });
    });
    if (!ok)
      throw std::runtime_error("no ok reply to " + event + " on " + topic);
    frames_.clear();
    return ms_since(t0);
  }
  double join(const std::string& room) {
    join_ref_ = std::to_string(++ref_ + 1000);
    return round_trip(join_ref_, "room:" + room, "phx_join", R"({"displayName":"bench"})");
  }
  void leave(const std::string& room) { round_trip(join_ref_, "room:" + room, "phx_leave", "{}"); }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> frames_;
  ws_client ws_;
  int ref_ = 0;
  std::string join_ref_;
};

void join_round_trips(int rounds) {
  test_cluster c{3};
  if (!c.converged({0, 1, 2}))
    throw std::runtime_error("cluster did not converge");
  auto local = c.room_on(0, {0, 1, 2}, "local");
  auto remote = c.room_on(2, {0, 1, 2}, "remote");
  // A resident member keeps each room open: the joins measured are joins into
  // a live room, not its creation.
  raw_socket resident{c.http_port(0)};
  resident.join(local);
  resident.join(remote);
  raw_socket s{c.http_port(0)};
  std::vector<double> l, r;
  for (int i = 0; i < rounds; ++i) {
    l.push_back(s.join(local));
    s.leave(local);
    r.push_back(s.join(remote));
    s.leave(remote);
  }
  auto a = summarize(l), b = summarize(r);
  std::printf("## phx_join round trip through node A (%d joins each)\n\n", rounds);
  std::printf("| room lives on | p50 (ms) | p95 (ms) | max (ms) |\n|---|---|---|---|\n");
  std::printf("| node A (local) | %.2f | %.2f | %.2f |\n", a.p50, a.p95, a.max);
  std::printf("| node C (remote) | %.2f | %.2f | %.2f |\n\n", b.p50, b.p95, b.max);
}

struct recovery {
  double takeover_ms = 0;  // until a surviving node holds the room again
  double gap_ms = 0;       // the longest pause in video at either peer
  bool phx_error = false;
};

// Alice and Bob publish through nodes 0 and 1 into a room whose state is on
// node 2, which is then killed (or frozen). Their media never went through
// node 2: it should not pause, and a survivor takes the room over from the
// channels' own rejoins, without a phx_error.
recovery lose_room_node(bool freeze) {
  test_cluster c{3};
  if (!c.converged({0, 1, 2}))
    throw std::runtime_error("cluster did not converge");
  auto room = c.room_on(2, {0, 1, 2});
  join_options o;
  o.publish = true;
  protocol_peer alice{"alice"}, bob{"bob"};
  if (!alice.connect_and_join(c.http_port(0), room, o).ok ||
      !bob.connect_and_join(c.http_port(1), room, o).ok)
    throw std::runtime_error("join failed");
  auto a_from_b = [&] { return alice.packets_from(bob.peer_id(), "video"); };
  auto b_from_a = [&] { return bob.packets_from(alice.peer_id(), "video"); };
  if (!alice.wait_for([&] { return a_from_b() > 30 && b_from_a() > 30; }, std::chrono::seconds(15)))
    throw std::runtime_error("no media before the loss");
  recovery r;
  auto t0 = clock_type::now();
  if (freeze)
    c.proc(2).signal(SIGSTOP);
  else
    c.kill(2);
  // Watch both peers' video every 5 ms for the detection time and 4 s more.
  auto end = t0 + test_cluster::connection_timeout + std::chrono::seconds(4);
  std::uint64_t last[2] = {a_from_b(), b_from_a()};
  clock_type::time_point changed[2] = {t0, t0};
  auto next_metrics = t0;
  while (clock_type::now() < end) {
    auto now = clock_type::now();
    std::uint64_t got[2] = {a_from_b(), b_from_a()};
    for (int i = 0; i < 2; ++i)
      if (got[i] != last[i]) {
        r.gap_ms =
          std::max(r.gap_ms, std::chrono::duration<double, std::milli>(now - changed[i]).count());
        last[i] = got[i];
        changed[i] = now;
      }
    if (r.takeover_ms == 0 && now >= next_metrics) {
      next_metrics = now + std::chrono::milliseconds(50);
      if (c.rooms_on(0) + c.rooms_on(1) == 1)
        r.takeover_ms = ms_since(t0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto t : changed)
    r.gap_ms = std::max(r.gap_ms, std::chrono::duration<double, std::milli>(end - t).count());
  if (r.takeover_ms == 0)
    throw std::runtime_error("no survivor took the room over");
  r.phx_error = alice.has_event("phx_error") || bob.has_event("phx_error");
  if (freeze)
    c.kill(2);
  return r;
}

void recoveries(int runs) {
  std::printf(
    "## Losing the room's node (heartbeat %lld ms, connection-timeout %lld ms; %d runs each)\n\n",
    static_cast<long long>(test_cluster::heartbeat.count()),
    static_cast<long long>(test_cluster::connection_timeout.count()), runs);
  std::printf(
    "Alice (node A) and Bob (node B) publish in a room whose state is on node C; C is "
    "lost. *taken over*: until A's or B's /metrics shows the room (a survivor re-made it "
    "from the channels' rejoins); *longest video gap*: the longest pause between video "
    "packets at either peer, from the loss to %lld ms after it (the stream is 30 frames a second: "
    "~33 ms between frames).\n\n",
    static_cast<long long>((test_cluster::connection_timeout + std::chrono::seconds(4)).count()));
  std::printf(
    "| loss | taken over after p50 / max (ms) | longest video gap p50 / max (ms) | "
    "phx_error at the peers |\n|---|---|---|---|\n");
  for (bool freeze : {false, true}) {
    std::vector<double> takeover, gap;
    int errors = 0;
    for (int i = 0; i < runs; ++i) {
      auto r = lose_room_node(freeze);
      takeover.push_back(r.takeover_ms);
      gap.push_back(r.gap_ms);
      errors += r.phx_error;
    }
    auto t = summarize(takeover), g = summarize(gap);
    std::printf("| %s | %.0f / %.0f | %.0f / %.0f | %d of %d runs |\n",
                freeze ? "SIGSTOP (frozen)" : "kill -9", t.p50, t.max, g.p50, g.max, errors, runs);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  try {
    std::printf("# Cluster: three nodes on loopback\n\n");
    join_round_trips(rounds);
    recoveries(runs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cluster_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
