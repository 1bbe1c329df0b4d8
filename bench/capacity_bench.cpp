// A node's capacity, videoroom beside Janus VideoRoom under the same load from
// the same generator (bench/load_subjects): the server pinned to CPU 0, this
// process to CPU 1 (scripts/bench). Two ramps per server, each on a fresh
// server and bounded in time:
// - one publisher → N subscribers, N = 1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128;
// - rooms of 4 publishers, each receiving the other 3, 1, 2, 3, 4, 6, 8, ... rooms.
// Each step measures for a window: loss (sequence spans), one-way delay (send
// stamps in the payload, stamp.hpp), the server's CPU (user+sys from /proc)
// per forwarded packet, threads and RSS. A step fails at loss > 0.5%, delay
// p99 > 50 ms or a receiver that got nothing; it passes when one of up to
// three windows passes, and a failed step ends the ramp. Prints a Markdown report and writes
// capacity-latest.dat for bench/capacity.gp.
#include "bench/load_subjects.hpp"
#include "test/peer/encoded_loop.hpp"
#include "test/sfu/proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace vr;
using namespace vr::bench;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int server_cpu = 0, generator_cpu = 1;
constexpr double max_loss_pct = 0.5, max_delay_p99_ms = 50, generator_bound_pct = 80;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Busy and total ticks of one CPU (/proc/stat): what else ran on it.
struct cpu_ticks {
  double busy = 0, total = 0;
};

cpu_ticks read_cpu(int cpu) {
  std::ifstream in{"/proc/stat"};
  std::string line, want = "cpu" + std::to_string(cpu) + " ";
  while (std::getline(in, line))
    if (line.starts_with(want)) {
      std::istringstream f{line.substr(want.size())};
      double v[8] = {}, total = 0;
      for (auto& x : v) {
        f >> x;
        total += x;
      }
      return {total - v[3] - v[4], total};  // idle, iowait
    }
  return {};
}

std::string loadavg() {
  std::ifstream in{"/proc/loadavg"};
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", a, b, c);
  return buf;
}

// comm is cut at 15 characters ("vrnicesrc100:sr"): a folded name that begins
// another one is counted under the longer one.
std::map<std::string, int> merge_truncated(std::map<std::string, int> names) {
  for (auto it = names.begin(); it != names.end();) {
    auto longer = std::next(it);
    if (longer != names.end() && longer->first.starts_with(it->first)) {
      longer->second += it->second;
      it = names.erase(it);
    } else {
      ++it;
    }
  }
  return names;
}

// Threads of a process by name, digits folded ("nicesrc3:src" → "nicesrc#:src").
std::map<std::string, int> thread_names(pid_t pid) {
  std::map<std::string, int> out;
  std::error_code ec;
  for (auto& t :
       std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/task", ec}) {
    std::ifstream in{t.path() / "comm"};
    std::string name, folded;
    std::getline(in, name);
    for (char c : name)
      if (!std::isdigit(static_cast<unsigned char>(c)))
        folded += c;
      else if (folded.empty() || folded.back() != '#')
        folded += '#';
    ++out[folded];
  }
  return merge_truncated(std::move(out));
}

// A join that threw is tried once more: on this shared machine a compile can
// hold a connection's set-up past its 10 s limit without the server being full.
template <class F>
auto join_retrying(F join) {
  try {
    return join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "    join failed (%s), tried again\n", e.what());
    std::this_thread::sleep_for(1s);
    return join();
  }
}

struct step {
  int n = 0;          // subscribers (fanout) or rooms
  int receivers = 0;  // connections receiving
  double loss_pct = 0, delay_p50_ms = 0, delay_p99_ms = 0, packets_per_s = 0;
  double cpu_us_per_packet = 0, server_cpu_pct = 0, generator_cpu_pct = 0;
  double others_cpu0_pct = 0, others_cpu1_pct = 0;  // what else ran on the two CPUs
  double threads_per_conn = 0, rss_kb_per_conn = 0;
  std::size_t threads = 0, rss_kb = 0;
  std::string failed;  // empty: passed
};

struct ramp {
  std::string server, kind;
  std::vector<step> steps;  // the last one failed unless the ladder or time ran out
  std::string stop;         // why the ramp ended
  std::string load_before, load_after;
  std::map<std::string, int> threads_idle, threads_top;  // by name: no peer, last step
  const step* best() const {
    const step* b = nullptr;
    for (auto& s : steps)
      if (s.failed.empty())
        b = &s;
    return b;
  }
};

// The server's state the per-connection figures are measured from.
struct baseline {
  std::size_t threads = 0, rss_kb = 0;
};

step measure(subject& s, const std::vector<std::unique_ptr<load_peer>>& receivers,
             std::chrono::seconds window, const baseline& base, int connections) {
  std::this_thread::sleep_for(2s);  // the connections just made settle
  for (auto& r : receivers)
    r->media().clear_latency();
  std::vector<std::uint64_t> got0;
  for (auto& r : receivers)
    got0.push_back(r->media().total_packets());
  auto t0 = count(receivers);
  double c0 = test::proc_cpu_seconds(s.pid()), g0 = test::proc_cpu_seconds(::getpid());
  auto cpu0 = read_cpu(server_cpu), cpu1 = read_cpu(generator_cpu);
  auto w0 = clock_type::now();
  std::this_thread::sleep_for(window);
  double seconds = seconds_since(w0);
  double server = test::proc_cpu_seconds(s.pid()) - c0;
  double generator = test::proc_cpu_seconds(::getpid()) - g0;
  auto cpu0b = read_cpu(server_cpu), cpu1b = read_cpu(generator_cpu);
  auto t1 = count(receivers);

  step st;
  st.receivers = static_cast<int>(receivers.size());
  auto packets = static_cast<double>(t1.packets - t0.packets);
  auto expected = static_cast<double>(t1.expected - t0.expected);
  st.loss_pct = expected > 0 ? std::max(0.0, 100.0 * (expected - packets) / expected) : 100;
  st.packets_per_s = expected / seconds;
  st.cpu_us_per_packet = expected > 0 ? server * 1e6 / expected : 0;
  st.server_cpu_pct = 100 * server / seconds;
  st.generator_cpu_pct = 100 * generator / seconds;
  // /proc/stat ticks are USER_HZ (100 per second), as /proc/PID/stat's are.
  auto others = [&](cpu_ticks a, cpu_ticks b, double own) {
    double total = b.total - a.total;
    return total > 0 ? std::max(0.0, 100 * ((b.busy - a.busy) / total) - 100 * own / seconds) : 0;
  };
  st.others_cpu0_pct = others(cpu0, cpu0b, server);
  st.others_cpu1_pct = others(cpu1, cpu1b, generator);
  std::vector<double> p50, p99;
  int silent = 0;
  for (std::size_t i = 0; i < receivers.size(); ++i) {
    auto lat = receivers[i]->media().latency();
    if (lat.samples > 0) {
      p50.push_back(lat.median_ms);
      p99.push_back(lat.p99_ms);
    }
    if (receivers[i]->media().total_packets() == got0[i])
      ++silent;
  }
  st.delay_p50_ms = percentile(p50, 0.5);
  st.delay_p99_ms = p99.empty() ? 0 : *std::max_element(p99.begin(), p99.end());
  st.threads = test::proc_threads(s.pid());
  st.rss_kb = test::proc_rss_kb(s.pid());
  st.threads_per_conn =
    (static_cast<double>(st.threads) - static_cast<double>(base.threads)) / connections;
  st.rss_kb_per_conn =
    (static_cast<double>(st.rss_kb) - static_cast<double>(base.rss_kb)) / connections;
  char why[96] = "";
  if (silent > 0)
    std::snprintf(why, sizeof why, "%d receivers got nothing", silent);
  else if (st.loss_pct > max_loss_pct)
    std::snprintf(why, sizeof why, "loss %.2f%%", st.loss_pct);
  else if (st.delay_p99_ms > max_delay_p99_ms)
    std::snprintf(why, sizeof why, "delay p99 %.1f ms", st.delay_p99_ms);
  st.failed = why;
  return st;
}

// A step passes when one of up to three windows does: a compile on the shared
// CPUs stalls a server or the generator for tens or hundreds of milliseconds
// now and then, which a load the server cannot carry does in every window.
// A step that failed all three reports its least bad window.
constexpr int tries = 3;

step measure_best_of(subject& s, const std::vector<std::unique_ptr<load_peer>>& receivers,
                     std::chrono::seconds window, const baseline& base, int connections) {
  auto worse = [](const step& a, const step& b) {
    return a.loss_pct != b.loss_pct ? a.loss_pct > b.loss_pct : a.delay_p99_ms > b.delay_p99_ms;
  };
  step best;
  for (int i = 0; i < tries; ++i) {
    auto st = measure(s, receivers, window, base, connections);
    if (st.failed.empty())
      return st;
    std::fprintf(stderr, "    window %d of %d failed (%s)\n", i + 1, tries, st.failed.c_str());
    if (i == 0 || worse(best, st))
      best = st;
  }
  best.failed += " in " + std::to_string(tries) + " windows";
  return best;
}

void log_step(const ramp& r, const step& st) {
  std::fprintf(stderr,
               "  %s %s %d: loss %.2f%%, delay %.2f/%.2f ms, %.1f µs/pkt, server %.0f%%, "
               "generator %.0f%%, others %.0f/%.0f%%, %.2f threads %.0f KiB per conn%s%s\n",
               r.server.c_str(), r.kind.c_str(), st.n, st.loss_pct, st.delay_p50_ms,
               st.delay_p99_ms, st.cpu_us_per_packet, st.server_cpu_pct, st.generator_cpu_pct,
               st.others_cpu0_pct, st.others_cpu1_pct, st.threads_per_conn, st.rss_kb_per_conn,
               st.failed.empty() ? "" : ": FAILED ", st.failed.c_str());
}

// Steps the ramp through `ladder` with `grow(n)` adding connections up to step
// n (false: a join failed). Stops at a failing step, a failed join or when
// `budget` has passed since the start.
template <class Grow, class Receivers>
void run_ramp(ramp& r, subject& s, const std::vector<int>& ladder, Grow grow, Receivers receivers,
              std::chrono::seconds window, std::chrono::seconds budget, const baseline& base,
              int conns_per_n) {
  auto start = clock_type::now();
  for (int n : ladder) {
    if (clock_type::now() - start > budget) {
      r.stop = "time budget (" + std::to_string(budget.count()) + " s) spent";
      break;
    }
    try {
      if (!grow(n)) {
        r.stop = "a join at " + std::to_string(n) + " got no video within 15 s";
        break;
      }
    } catch (const std::exception& e) {
      r.stop = std::string{"a join at "} + std::to_string(n) + " failed: " + e.what();
      break;
    }
    auto st = measure_best_of(s, receivers(), window, base, n * conns_per_n);
    st.n = n;
    log_step(r, st);
    r.steps.push_back(st);
    r.threads_top = thread_names(s.pid());
    if (!st.failed.empty()) {
      r.stop = st.failed + " at " + std::to_string(n);
      // The generator is one core of webrtcbins: near its own limit, the
      // delay measured is its queueing as much as the server's.
      if (st.generator_cpu_pct >= generator_bound_pct)
        r.stop += " (generator at " + std::to_string(static_cast<int>(st.generator_cpu_pct)) +
                  "% of its CPU)";
      break;
    }
  }
  if (r.stop.empty())
    r.stop = "end of the ladder";
}

ramp fanout_ramp(const std::string& server, const std::shared_ptr<test::encoded_loop>& loop,
                 std::chrono::seconds window, std::chrono::seconds budget) {
  ramp r;
  r.server = server;
  r.kind = "1 → N";
  r.load_before = loadavg();
  auto s = make_subject(server, loop, server_cpu);
  r.threads_idle = thread_names(s->pid());
  std::vector<std::unique_ptr<load_peer>> subs;
  {
    auto pub = s->publisher("pub");
    std::vector<load_peer*> pubs{pub.get()};
    // Per subscriber: measured from the server with its publisher.
    std::this_thread::sleep_for(1s);
    baseline base{test::proc_threads(s->pid()), test::proc_rss_kb(s->pid())};
    auto grow = [&](int n) {
      while (static_cast<int>(subs.size()) < n) {
        auto name = "sub" + std::to_string(subs.size());
        subs.push_back(join_retrying([&] { return s->receiver(name, pubs); }));
        if (!gets_video(*subs.back(), pubs))
          return false;
      }
      return true;
    };
    run_ramp(
      r, *s, {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128}, grow,
      [&]() -> const std::vector<std::unique_ptr<load_peer>>& { return subs; }, window, budget,
      base, 1);
    subs.clear();  // before the publisher and the server
  }
  r.load_after = loadavg();
  return r;
}

ramp rooms_ramp(const std::string& server, const std::shared_ptr<test::encoded_loop>& loop,
                std::chrono::seconds window, std::chrono::seconds budget) {
  constexpr int per_room = 4;
  ramp r;
  r.server = server;
  r.kind = "rooms of 4";
  r.load_before = loadavg();
  auto s = make_subject(server, loop, server_cpu);
  r.threads_idle = thread_names(s->pid());
  baseline base{test::proc_threads(s->pid()), test::proc_rss_kb(s->pid())};
  std::vector<std::unique_ptr<load_peer>> peers;  // every one publishes and receives
  int rooms = 0;
  auto grow = [&](int n) {
    for (; rooms < n; ++rooms) {
      std::vector<load_peer*> room;
      for (int i = 0; i < per_room; ++i) {
        auto name = "r" + std::to_string(rooms) + "p" + std::to_string(i);
        peers.push_back(join_retrying([&] { return s->publisher(name, rooms); }));
        room.push_back(peers.back().get());
      }
      s->cross_subscribe(room);
      for (auto* p : room) {
        std::vector<load_peer*> others;
        for (auto* q : room)
          if (q != p)
            others.push_back(q);
        if (!gets_video(*p, others))
          return false;
      }
    }
    return true;
  };
  run_ramp(
    r, *s, {1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32}, grow,
    [&]() -> const std::vector<std::unique_ptr<load_peer>>& { return peers; }, window, budget, base,
    per_room);
  peers.clear();
  r.load_after = loadavg();
  return r;
}

void print_steps(const std::vector<ramp>& ramps, const char* n_name, const char* conn_name) {
  std::printf(
    "| server | %s | loss %% | delay p50 / p99 (ms) | forwarded pkt/s | CPU µs/pkt | server CPU %% "
    "| generator CPU %% | others on CPU 0 / 1 %% | threads | threads/%s | RSS KiB/%s | |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    n_name, conn_name, conn_name);
  for (auto& r : ramps)
    for (auto& st : r.steps)
      std::printf(
        "| %s | %d | %.2f | %.2f / %.2f | %.0f | %.1f | %.0f | %.0f | %.0f / %.0f | %zu | %.2f | "
        "%.0f | %s |\n",
        r.server.c_str(), st.n, st.loss_pct, st.delay_p50_ms, st.delay_p99_ms, st.packets_per_s,
        st.cpu_us_per_packet, st.server_cpu_pct, st.generator_cpu_pct, st.others_cpu0_pct,
        st.others_cpu1_pct, st.threads, st.threads_per_conn, st.rss_kb_per_conn,
        st.failed.empty() ? "ok" : ("**" + st.failed + "**").c_str());
  std::printf("\n");
}

void print_summary(const std::vector<ramp>& ramps, const char* what) {
  std::printf(
    "| server | ramp | max %s | forwarded pkt/s there | CPU µs/pkt there | server / generator CPU "
    "%% there | %s at a full core (extrapolated) | threads / connection | RSS KiB / connection | "
    "ended by | load average before → after |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    what, what);
  for (auto& r : ramps) {
    auto* b = r.best();
    if (b)
      std::printf(
        "| %s | %s | %d | %.0f | %.1f | %.0f / %.0f | %.0f | %.2f | %.0f | %s | %s → %s |\n",
        r.server.c_str(), r.kind.c_str(), b->n, b->packets_per_s, b->cpu_us_per_packet,
        b->server_cpu_pct, b->generator_cpu_pct,
        b->server_cpu_pct > 0 ? b->n * 100 / b->server_cpu_pct : 0, b->threads_per_conn,
        b->rss_kb_per_conn, r.stop.c_str(), r.load_before.c_str(), r.load_after.c_str());
    else
      std::printf("| %s | %s | 0 | | | | | | | %s | %s → %s |\n", r.server.c_str(), r.kind.c_str(),
                  r.stop.c_str(), r.load_before.c_str(), r.load_after.c_str());
  }
  std::printf("\n");
}

// Which threads the connections added, by name, at the ramp's last step.
void print_threads(const std::vector<ramp>& ramps) {
  for (auto& r : ramps) {
    if (r.steps.empty())
      continue;
    auto& last = r.steps.back();
    std::printf("%s, %s, no peer → %d (%d receiving connections):", r.server.c_str(),
                r.kind.c_str(), last.n, last.receivers);
    std::map<std::string, int> names = r.threads_idle;
    for (auto& [name, k] : r.threads_top)
      names[name];
    std::vector<std::pair<int, std::string>> grown;
    for (auto& [name, k] : names) {
      int top = r.threads_top.count(name) ? r.threads_top.at(name) : 0;
      int idle = r.threads_idle.count(name) ? r.threads_idle.at(name) : 0;
      if (top != idle)
        grown.emplace_back(top - idle,
                           name + " " + std::to_string(idle) + " → " + std::to_string(top));
    }
    std::sort(grown.rbegin(), grown.rend());
    for (std::size_t i = 0; i < grown.size(); ++i)
      std::printf("%s `%s`", i ? "," : "", grown[i].second.c_str());
    std::printf(grown.empty() ? " no thread added.\n\n" : ".\n\n");
  }
}

// Issue 24's goal for the code: threads per subscriber connection ≤ 3 and RSS
// per subscriber ≤ Janus's, at each server's largest passing fan-out.
void print_goal(const std::vector<ramp>& fanout) {
  const ramp *ours = nullptr, *janus = nullptr;
  for (auto& r : fanout)
    (r.server.starts_with("janus") ? janus : ours) = &r;
  if (!ours || !janus || !ours->best() || !janus->best())
    return;
  auto *o = ours->best(), *j = janus->best();
  std::printf(
    "**Goal** (threads per subscriber connection ≤ 3, RSS per subscriber ≤ Janus's), 1 → N at "
    "each server's max N: threads %.2f per subscriber (%s; Janus %.2f), RSS %.0f KiB per "
    "subscriber, %.2f× Janus's %.0f KiB (%s).\n\n",
    o->threads_per_conn, o->threads_per_conn <= 3 ? "met" : "missed", j->threads_per_conn,
    o->rss_kb_per_conn, j->rss_kb_per_conn > 0 ? o->rss_kb_per_conn / j->rss_kb_per_conn : 0,
    j->rss_kb_per_conn, o->rss_kb_per_conn <= j->rss_kb_per_conn ? "met" : "missed");
}

void write_dat(const std::string& path, const std::vector<ramp>& ramps) {
  std::ofstream dat{path};
  // One gnuplot data block per ramp (index 0..3: videoroom 1 → N, Janus 1 → N,
  // videoroom rooms, Janus rooms), columns as named.
  for (auto& r : ramps) {
    dat << "# " << r.server << ' ' << r.kind
        << "\n# n loss_pct delay_p99_ms cpu_us_per_pkt server_cpu_pct\n";
    for (auto& st : r.steps)
      dat << st.n << ' ' << st.loss_pct << ' ' << st.delay_p99_ms << ' ' << st.cpu_us_per_packet
          << ' ' << st.server_cpu_pct << '\n';
    dat << "\n\n";
  }
}

// Every peer holds sockets, eventfds and a WebSocket: 128 of them pass 1024.
void raise_fd_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    setrlimit(RLIMIT_NOFILE, &l);
  }
}

}  // namespace

// Arguments: window seconds per step (5), output directory (bench/results),
// servers ("videoroom,janus").
int main(int argc, char** argv) {
  auto window = std::chrono::seconds(argc > 1 ? std::atoi(argv[1]) : 5);
  if (window.count() <= 0) {
    std::fprintf(stderr, "usage: capacity_bench [window seconds > 0 (5)] [output dir] [servers]\n");
    return 2;
  }
  std::string out_dir = argc > 2 ? argv[2] : VR_ROOT "/bench/results";
  std::vector<std::string> servers{"videoroom", "janus"};
  if (argc > 3) {
    servers.clear();
    std::istringstream in{argv[3]};
    for (std::string s; std::getline(in, s, ',');)
      if (!s.empty())
        servers.push_back(s);
  }
  // Each ramp stops starting steps after this; one step more may follow.
  auto budget = 24 * window;
  raise_fd_limit();
  try {
    auto loop = std::make_shared<test::encoded_loop>(test::encoded_loop::options{});
    auto started = loadavg();
    std::vector<ramp> fanout, rooms;
    for (auto& s : servers)
      fanout.push_back(fanout_ramp(s, loop, window, budget));
    for (auto& s : servers)
      rooms.push_back(rooms_ramp(s, loop, window, budget));

    std::printf("# Capacity of one node: videoroom and Janus VideoRoom\n\n");
    std::printf(
      "Loopback. Each server pinned to CPU %d, alone (a fresh one per ramp), the generator "
      "(publishers and subscribers, webrtcbin) pinned to CPU %d. Each publisher sends a looped "
      "VP8 %.0f kbit/s 30 fps + Opus. Each step: 2 s to settle, then a %lld s window. Loss: "
      "the sequence-number spans the receivers saw against the packets they got. Delay: every "
      "RTP packet carries its send time in its payload (test/peer/stamp.hpp), read by the "
      "receiver after its webrtcbin; both ends are this process, so one clock: one-way delay "
      "through the server *and* the generator's own send and receive queues. p50: median of "
      "the receivers' medians; p99: the worst receiver's 99th percentile. CPU: the server's "
      "utime+stime (/proc/PID/stat) over the window per forwarded packet (the sequence spans). "
      "Threads (/proc/PID/status) and RSS per connection: growth over the server with its "
      "publisher (1 → N) or with no peer (rooms), divided by the subscriber connections "
      "(1 → N: subscribers; rooms: peers, each publishing and receiving the other 3). A step "
      "fails at loss > %.1f%%, delay p99 > %.0f ms or a receiver that got nothing in the "
      "window; it passes when one of up to three windows passes (other work on these CPUs "
      "stalls a server or the generator now and then, a load too large fails every window), "
      "and a failed step ends the ramp (max = the last step that passed; a failed step shows "
      "its least bad window). A join that throws is tried once more. Each ramp starts no step "
      "after %lld s. *others on CPU 0 / 1*: what "
      "else ran on the server's and the generator's CPU during the window (/proc/stat), in "
      "%% of that CPU. Niceness of the servers and the generator: %d (scripts/bench: -10, ahead "
      "of other work, whose compiles otherwise stalled them for 50-1000 ms in most windows). "
      "Load average (1/5/15 min) when the run began: %s.\n\n",
      server_cpu, generator_cpu, loop->video_bitrate_measured() / 1000,
      static_cast<long long>(window.count()), max_loss_pct, max_delay_p99_ms,
      static_cast<long long>(budget.count()), getpriority(PRIO_PROCESS, 0), started.c_str());
    std::printf("## One publisher → N subscribers\n\n");
    print_summary(fanout, "N");
    print_goal(fanout);
    print_steps(fanout, "N", "sub");
    std::printf("## Rooms of 4 publishers (each receives the other 3)\n\n");
    print_summary(rooms, "rooms");
    print_steps(rooms, "rooms", "peer");
    std::printf("## Threads the connections added (by name, digits folded to #)\n\n");
    print_threads(fanout);
    print_threads(rooms);
    std::printf(
      "Where videoroom's come from (gdb backtraces of every thread at 1 → 24, this build): per "
      "WebRTC connection (each subscriber's, and the publisher's) six threads: four GStreamer "
      "streaming threads named above (`vrnicesrc#:src`: the ICE receive loop, media/nice_source; "
      "`rtpsession-rtcp`: rtpbin's RTCP timer; `queue#:src`: the queue of webrtcbin's "
      "transportreceivebin, idle once packets are chained past it; `dtlsenc#:src`: the DTLS "
      "encoder's task) and two that carry the name of the CAF "
      "worker that built the pipeline, `caf.actor`: webrtcbin's own operations thread (a "
      "GMainLoop in libgstwebrtc) and its ICE agent's thread (a GMainLoop in "
      "libgstwebrtcnice). Janus: one `hloop` thread per handle (its libnice loop, which receives, "
      "relays and sends), two per peer in the rooms (publisher and subscriber handle).\n\n");
    std::vector<ramp> all = fanout;
    all.insert(all.end(), rooms.begin(), rooms.end());
    write_dat(out_dir + "/capacity-latest.dat", all);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "capacity_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
