// The delay the load generator adds by itself: its publisher wired straight
// to its subscriber (signaling in-process, media over loopback, no server),
// through the same webrtcbin stacks the benchmark's peers use. The servers'
// end-to-end delays include this floor; what a server adds is above it.
#pragma once

#include "test/peer/webrtc_peer.hpp"

#include <chrono>
#include <memory>

namespace vr::bench {

struct floor_figures {
  test::latency_summary delay;
  double packets_per_s = 0, loss_pct = 0;
};

// Connects the pair, waits for video, then measures for `window`. Throws when
// the pair does not connect within 15 s.
floor_figures measure_generator_floor(std::shared_ptr<test::encoded_loop> loop,
                                      std::chrono::seconds window);

}  // namespace vr::bench
