#include "bench/generator_floor.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace vr::bench {
namespace {

using namespace std::chrono_literals;

// Each peer's messages go straight to the other one, as long as it exists.
struct wiring {
  std::mutex mutex;
  test::webrtc_peer* pub = nullptr;
  test::webrtc_peer* sub = nullptr;

  template <class F>
  void to_sub(F f) {
    std::lock_guard lock(mutex);
    if (sub)
      f(*sub);
  }
  template <class F>
  void to_pub(F f) {
    std::lock_guard lock(mutex);
    if (pub)
      f(*pub);
  }
  void cut() {
    std::lock_guard lock(mutex);
    pub = sub = nullptr;
  }
};

struct counts {
  std::uint64_t video = 0, packets = 0, expected = 0;
};

counts count(const test::webrtc_peer& p) {
  counts c;
  for (auto& [id, t] : p.received()) {
    if (t.kind == "video")
      c.video += t.packets;
    c.packets += t.packets;
    c.expected += t.expected;
  }
  return c;
}

}  // namespace

floor_figures measure_generator_floor(std::shared_ptr<test::encoded_loop> loop,
                                      std::chrono::seconds window) {
  auto w = std::make_shared<wiring>();
  test::peer_options opts;
  opts.loop = std::move(loop);

  test::webrtc_peer::signaling to_sub;
  to_sub.publish_offer = [w](std::string sdp) {
    w->to_sub([&](test::webrtc_peer& s) { s.on_subscribe_offer(sdp, {}); });
  };
  to_sub.candidate = [w](media::pc_kind, std::string c, unsigned m) {
    w->to_sub([&](test::webrtc_peer& s) { s.on_candidate(media::pc_kind::subscribe, c, m); });
  };
  test::webrtc_peer::signaling to_pub;
  to_pub.subscribe_answer = [w](std::string sdp) {
    w->to_pub([&](test::webrtc_peer& p) { p.on_publish_answer(sdp); });
  };
  to_pub.candidate = [w](media::pc_kind, std::string c, unsigned m) {
    w->to_pub([&](test::webrtc_peer& p) { p.on_candidate(media::pc_kind::publish, c, m); });
  };

  test::webrtc_peer sub("floor-sub", opts, to_pub);
  test::webrtc_peer pub("floor-pub", opts, to_sub);
  {
    std::lock_guard lock(w->mutex);
    w->pub = &pub;
    w->sub = &sub;
  }
  struct cut_on_exit {
    std::shared_ptr<wiring> w;
    ~cut_on_exit() { w->cut(); }
  } cut{w};

  pub.publish();
  auto end = std::chrono::steady_clock::now() + 15s;
  while (count(sub).video == 0) {
    if (std::chrono::steady_clock::now() > end)
      throw std::runtime_error("generator floor: no video without a server");
    std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_for(2s);  // warm-up, as the servers get
  sub.clear_latency();
  auto c0 = count(sub);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  auto c1 = count(sub);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  floor_figures f;
  f.delay = sub.latency();
  auto expected = static_cast<double>(c1.expected - c0.expected);
  auto got = static_cast<double>(c1.packets - c0.packets);
  f.packets_per_s = got / seconds;
  f.loss_pct = expected > 0 ? std::max(0.0, 100.0 * (expected - got) / expected) : 100;
  return f;
}

}  // namespace vr::bench
