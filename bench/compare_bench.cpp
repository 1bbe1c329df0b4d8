// videoroom and Janus VideoRoom side by side under the same load from the same
// generator: publishers send a pre-encoded VP8 (~1 Mbit/s, 30 fps) + Opus loop
// through webrtcbin, subscribers count packets, loss and one-way delay without
// decoding. Each scenario gets a fresh server pinned to CPU 0 (this process is
// pinned to CPU 1 by scripts/bench). Prints a Markdown table and writes a data
// file for the plot. A benchmark, not a test: every run is bounded in time.
#include "bench/generator_floor.hpp"
#include "bench/load_subjects.hpp"
#include "test/peer/encoded_loop.hpp"
#include "test/sfu/proc_stats.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace vr;
using namespace vr::test;
using namespace vr::bench;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int server_cpu = 0;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// ---- scenarios ----

struct figures {
  std::string scenario, server;
  int peers = 0;
  double cpu_us_per_packet = 0, packets_per_s = 0, delay_p50_ms = 0, delay_p99_ms = 0, loss_pct = 0;
  double join_p50_ms = 0, join_max_ms = 0, rss_kb_per_peer = 0, threads_per_peer = 0;
  int failed_joins = 0;
  int window_s = 0;  // how long CPU and delay were measured
};

// The server before any peer: what peers add is measured against it.
struct baseline {
  std::size_t rss_kb, threads;
};

// A scenario set up on one server: its peers stay connected while measured.
struct load {
  figures f;
  baseline base{};
  std::vector<std::unique_ptr<load_peer>> others;     // publishers only sending
  std::vector<std::unique_ptr<load_peer>> receivers;  // whose packets are counted
};

baseline idle(const subject& s) { return {proc_rss_kb(s.pid()), proc_threads(s.pid())}; }

void set_joins(figures& f, const std::vector<double>& join_ms) {
  f.join_p50_ms = percentile(join_ms, 0.5);
  f.join_max_ms = join_ms.empty() ? 0 : *std::max_element(join_ms.begin(), join_ms.end());
}

// CPU per forwarded packet of every server in one shared window. This VM's
// speed drifts by 2x between minutes, so servers measured one after the other
// compare badly; servers measured together on the same CPU see the same
// machine. Forwarded = the sequence span the receivers saw (packets the
// generator lost when busy were still sent).
//
// At low rates (1 → 1: 143 packets/s, the server nearly idle) a window of a
// few seconds is a few dozen 10 ms /proc ticks, and the ratio moved by ±15%
// between runs. The window therefore grows, a second at a time, until every
// server forwarded `min_packets`, up to four times its length. Returns its
// length, which the delay measurements use as well.
constexpr std::uint64_t min_packets = 10000;

std::chrono::seconds measure_cpu(std::vector<std::pair<subject*, load*>>& runs,
                                 std::chrono::seconds window) {
  std::this_thread::sleep_for(2s);  // warm-up: connections settle
  std::vector<double> c0;
  std::vector<totals> t0;
  for (auto& [s, l] : runs) {
    c0.push_back(proc_cpu_seconds(s->pid()));
    t0.push_back(count(l->receivers));
  }
  auto w0 = clock_type::now();
  std::this_thread::sleep_for(window);
  auto fewest = [&] {
    std::uint64_t least = UINT64_MAX;
    for (std::size_t i = 0; i < runs.size(); ++i)
      least = std::min(least, count(runs[i].second->receivers).expected - t0[i].expected);
    return least;
  };
  auto used = window;
  while (used < 4 * window && fewest() < min_packets) {
    std::this_thread::sleep_for(1s);
    used += 1s;
  }
  double seconds = ms_since(w0) / 1000;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto& [s, l] = runs[i];
    double cpu = proc_cpu_seconds(s->pid()) - c0[i];
    auto sent = static_cast<double>(count(l->receivers).expected - t0[i].expected);
    l->f.packets_per_s = sent / seconds;
    l->f.cpu_us_per_packet = sent > 0 ? cpu * 1e6 / sent : 0;
    l->f.window_s = static_cast<int>(used.count());
  }
  return used;
}

// Stops (SIGSTOP) a server while another one's delay is measured alone.
class paused {
public:
  explicit paused(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~paused() { ::kill(pid_, SIGCONT); }
  paused(const paused&) = delete;
  paused& operator=(const paused&) = delete;

private:
  pid_t pid_;
};

// Delay, loss, memory and threads of one server with the CPU to itself.
void measure_alone(subject& s, load& l, std::chrono::seconds window) {
  std::this_thread::sleep_for(3s);  // what queued up while it was stopped drains
  for (auto& r : l.receivers)
    r->media().clear_latency();
  auto t0 = count(l.receivers);
  std::this_thread::sleep_for(window);
  auto t1 = count(l.receivers);
  auto packets = static_cast<double>(t1.packets - t0.packets);
  auto expected = static_cast<double>(t1.expected - t0.expected);
  auto& f = l.f;
  f.loss_pct = expected > 0 ? std::max(0.0, 100.0 * (expected - packets) / expected) : 100;
  if (packets == 0)  // would otherwise read as no loss and no delay
    std::fprintf(stderr, "  %s %s: no packet arrived while measured alone\n", f.server.c_str(),
                 f.scenario.c_str());
  std::vector<double> p50, p99;
  for (auto& r : l.receivers) {
    auto lat = r->media().latency();
    if (lat.samples > 0) {
      p50.push_back(lat.median_ms);
      p99.push_back(lat.p99_ms);
    }
  }
  f.delay_p50_ms = percentile(p50, 0.5);
  f.delay_p99_ms = p99.empty() ? 0 : *std::max_element(p99.begin(), p99.end());
  f.rss_kb_per_peer =
    (static_cast<double>(proc_rss_kb(s.pid())) - static_cast<double>(l.base.rss_kb)) / f.peers;
  f.threads_per_peer =
    (static_cast<double>(proc_threads(s.pid())) - static_cast<double>(l.base.threads)) / f.peers;
}

// One publisher for `n` subscribers: the load before the subscribers join.
load one_publisher(subject& s, std::string scenario, int n) {
  load l;
  l.f.scenario = std::move(scenario);
  l.f.peers = n + 1;
  l.base = idle(s);
  l.others.push_back(s.publisher("pub"));
  return l;
}

load fanout(subject& s, int n) {
  load l = one_publisher(s, "1 → " + std::to_string(n), n);
  std::vector<load_peer*> pubs{l.others.back().get()};
  std::vector<double> join_ms;
  for (int i = 0; i < n; ++i) {
    auto t0 = clock_type::now();
    l.receivers.push_back(s.receiver("sub" + std::to_string(i), pubs));
    if (!gets_video(*l.receivers.back(), pubs))
      ++l.f.failed_joins;
    else
      join_ms.push_back(ms_since(t0));
  }
  set_joins(l.f, join_ms);
  return l;
}

load mesh(subject& s, int n) {
  load l;
  l.f.scenario = std::to_string(n) + "-publisher mesh";
  l.f.peers = n;
  l.base = idle(s);
  std::vector<load_peer*> raw;
  std::vector<clock_type::time_point> joined;
  for (int i = 0; i < n; ++i) {
    joined.push_back(clock_type::now());
    l.receivers.push_back(s.publisher("pub" + std::to_string(i)));
    raw.push_back(l.receivers.back().get());
  }
  s.cross_subscribe(raw);
  std::vector<double> join_ms;
  for (int i = 0; i < n; ++i) {
    std::vector<load_peer*> others;
    for (auto* p : raw)
      if (p != raw[i])
        others.push_back(p);
    if (!gets_video(*l.receivers[i], others))
      ++l.f.failed_joins;
    else
      join_ms.push_back(ms_since(joined[i]));
  }
  set_joins(l.f, join_ms);
  return l;
}

// `n` subscribers join at once (one thread each); join → first video per peer.
load storm(subject& s, int n) {
  load l = one_publisher(s, "join storm of " + std::to_string(n), n);
  std::vector<load_peer*> pubs{l.others.back().get()};
  std::vector<std::unique_ptr<load_peer>> subs(n);
  std::vector<double> join_ms(n, -1);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        try {
          auto t0 = clock_type::now();
          subs[i] = s.receiver("storm" + std::to_string(i), pubs);
          if (gets_video(*subs[i], pubs))
            join_ms[i] = ms_since(t0);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "storm peer %d: %s\n", i, e.what());
        }
      });
  }
  std::vector<double> ok;
  for (auto ms : join_ms)
    if (ms >= 0)
      ok.push_back(ms);
  l.f.failed_joins = n - static_cast<int>(ok.size());
  set_joins(l.f, ok);
  std::erase(subs, nullptr);
  l.receivers = std::move(subs);
  return l;
}

using scenario = std::function<load(subject&)>;

// One scenario on every server: each set up in turn, CPU measured together,
// then delay with each server alone (the others stopped).
std::vector<figures> run(std::vector<std::unique_ptr<subject>>& servers,
                         const std::vector<std::string>& names, const scenario& sc,
                         std::chrono::seconds window) {
  std::vector<load> loads;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    loads.push_back(sc(*servers[i]));
    loads.back().f.server = names[i];
  }
  std::vector<std::pair<subject*, load*>> runs;
  for (std::size_t i = 0; i < servers.size(); ++i)
    runs.emplace_back(servers[i].get(), &loads[i]);
  auto used = measure_cpu(runs, window);
  for (std::size_t i = 0; i < servers.size(); ++i) {
    std::vector<std::unique_ptr<paused>> stopped;
    for (std::size_t j = 0; j < servers.size(); ++j)
      if (j != i)
        stopped.push_back(std::make_unique<paused>(servers[j]->pid()));
    measure_alone(*servers[i], loads[i], used);
  }
  std::vector<figures> out;
  for (std::size_t i = 0; i < loads.size(); ++i) {
    auto& f = loads[i].f;
    std::fprintf(
      stderr,
      "  %s %s: %.1f µs/pkt, %.0f pkt/s, delay %.2f/%.2f ms, loss %.2f%%, join %.0f ms (%d s)\n",
      f.server.c_str(), f.scenario.c_str(), f.cpu_us_per_packet, f.packets_per_s, f.delay_p50_ms,
      f.delay_p99_ms, f.loss_pct, f.join_p50_ms, f.window_s);
    out.push_back(f);
  }
  return out;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto comma = std::min(text.find(',', at), text.size());
    if (comma > at)
      out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

}  // namespace

// Arguments: window seconds (8), output directory (bench/results), scenarios
// ("fanout1,fanout10,fanout25,fanout50,mesh,storm"), servers ("videoroom,janus").
int main(int argc, char** argv) {
  auto window = std::chrono::seconds(argc > 1 ? std::atoi(argv[1]) : 8);
  if (window.count() <= 0) {
    std::fprintf(
      stderr,
      "usage: compare_bench [window seconds > 0 (8)] [output dir] [scenarios] [servers]\n"
      "  scenarios: fanout1,fanout10,fanout25,fanout50,mesh,storm (any fanoutN)\n"
      "  servers: videoroom,janus (also videoroom=/path/to/binary, janus-openssl-srtp)\n");
    return 2;
  }
  std::string out_dir = argc > 2 ? argv[2] : VR_ROOT "/bench/results";
  auto only = split(argc > 3 ? argv[3] : "fanout1,fanout10,fanout25,fanout50,mesh,storm");
  auto names = split(argc > 4 ? argv[4] : "videoroom,janus");
  try {
    auto loop = std::make_shared<encoded_loop>(encoded_loop::options{});
    std::fprintf(stderr, "load: VP8 %.0f kbit/s at 30 fps + Opus, looped\n",
                 loop->video_bitrate_measured() / 1000);
    std::vector<std::pair<std::string, scenario>> scenarios;
    auto known = [&](const std::string& kind) {
      return std::any_of(scenarios.begin(), scenarios.end(),
                         [&](auto& sc) { return sc.first == kind; });
    };
    for (int n : {1, 10, 25, 50})
      scenarios.emplace_back("fanout" + std::to_string(n),
                             [n](subject& s) { return fanout(s, n); });
    // Any other "fanoutN" asked for (e.g. fanout5: the mesh's five sends per received packet,
    // without the mesh).
    for (auto& kind : only)
      if (kind.starts_with("fanout") && kind.size() > 6 && !known(kind))
        if (int n = std::atoi(kind.c_str() + 6); n > 0)
          scenarios.emplace_back(kind, [n](subject& s) { return fanout(s, n); });
    scenarios.emplace_back("mesh", [](subject& s) { return mesh(s, 6); });
    scenarios.emplace_back("storm", [](subject& s) { return storm(s, 20); });
    for (auto& kind : only)
      if (!known(kind))
        throw std::runtime_error("unknown scenario " + kind);
    std::vector<std::vector<figures>> rows;
    for (auto& [kind, sc] : scenarios)
      if (std::find(only.begin(), only.end(), kind) != only.end()) {
        std::vector<std::unique_ptr<subject>> servers;  // fresh servers for every scenario
        for (auto& n : names)
          servers.push_back(make_subject(n, loop, server_cpu));
        rows.push_back(run(servers, names, sc, window));
      }
    // Once every scenario is done (no server runs), for as long as 1 → 1 measured delay.
    std::optional<bench::floor_figures> floor;
    if (!rows.empty() && rows.front().front().scenario == "1 → 1")
      floor =
        bench::measure_generator_floor(loop, std::chrono::seconds(rows.front().front().window_s));

    std::printf("# videoroom vs Janus VideoRoom (same load, same generator)\n\n");
    std::printf(
      "Loopback; servers pinned to CPU %d, generator to the other; VP8 %.0f kbit/s 30 fps + Opus "
      "per "
      "publisher. CPU per forwarded packet: both servers loaded at once and measured over the same "
      "window "
      "of %lld s, longer until each forwarded %llu packets (at most %lld s; this VM's speed drifts "
      "between "
      "minutes). Delay, loss, memory: each server alone for as long, the other stopped. Ratio = %s "
      "/ %s. "
      "No server: the generator's publisher wired straight to its subscriber (same stacks, "
      "loopback) for "
      "as long, the delay the generator adds by itself; a server's delay includes it.\n\n",
      server_cpu, loop->video_bitrate_measured() / 1000, static_cast<long long>(window.count()),
      static_cast<unsigned long long>(min_packets), static_cast<long long>(4 * window.count()),
      names.front().c_str(), names.back().c_str());
    std::printf(
      "| scenario | server | CPU µs/pkt | pkt/s | delay p50 / p99 (ms) | loss %% | join→video p50 "
      "/ max (ms) "
      "| RSS KiB/peer | threads/peer | failed joins "
      "|\n|---|---|---|---|---|---|---|---|---|---|\n");
    std::ofstream dat{out_dir + "/latest.dat"};
    dat << "# scenario videoroom_us_per_pkt janus_us_per_pkt videoroom_p99 janus_p99\n";
    for (auto& row : rows) {
      for (auto& f : row)
        std::printf(
          "| %s | %s | %.1f | %.0f | %.2f / %.2f | %.2f | %.0f / %.0f | %.0f | %.2f | %d |\n",
          f.scenario.c_str(), f.server.c_str(), f.cpu_us_per_packet, f.packets_per_s,
          f.delay_p50_ms, f.delay_p99_ms, f.loss_pct, f.join_p50_ms, f.join_max_ms,
          f.rss_kb_per_peer, f.threads_per_peer, f.failed_joins);
      if (row.size() == 2) {
        auto& v = row[0];
        auto& j = row[1];
        std::printf("| %s | **ratio** | %.2f | | %.2f / %.2f | | %.2f / %.2f | %.2f | %.2f | |\n",
                    v.scenario.c_str(), ratio(v.cpu_us_per_packet, j.cpu_us_per_packet),
                    ratio(v.delay_p50_ms, j.delay_p50_ms), ratio(v.delay_p99_ms, j.delay_p99_ms),
                    ratio(v.join_p50_ms, j.join_p50_ms), ratio(v.join_max_ms, j.join_max_ms),
                    ratio(v.rss_kb_per_peer, j.rss_kb_per_peer),
                    ratio(v.threads_per_peer, j.threads_per_peer));
        dat << '"' << v.scenario << "\" " << v.cpu_us_per_packet << ' ' << j.cpu_us_per_packet
            << ' ' << v.delay_p99_ms << ' ' << j.delay_p99_ms << '\n';
      }
      if (floor && &row == &rows.front())
        std::printf("| %s | no server | | %.0f | %.2f / %.2f | %.2f | | | | |\n",
                    row.front().scenario.c_str(), floor->packets_per_s, floor->delay.median_ms,
                    floor->delay.p99_ms, floor->loss_pct);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
