// The benchmark's load generator: a pre-encoded VP8 + Opus loop published
// through the SFU arrives with readable send-time stamps, at about the loop's
// bitrate, and the receiver's sequence-number spans show no loss.
#include "test/media/room_fixture.hpp"
#include "test/peer/encoded_loop.hpp"

#include <catch2/catch.hpp>

using namespace vr::test;

TEST_CASE("an encoded loop is forwarded with stamped delays and no loss", "[generator]") {
  encoded_loop::options lo;
  lo.width = 320;
  lo.height = 180;
  lo.seconds = 2;  // encoded once; looped
  lo.video_bitrate = 500'000;
  auto loop = std::make_shared<encoded_loop>(lo);
  CHECK(loop->video_bitrate_measured() > 250'000);
  CHECK(loop->video_bitrate_measured() < 1'000'000);

  room r;
  peer_options po;
  po.loop = loop;
  auto pub = r.join("pub", true, po);
  auto sub = r.join("sub", false);
  auto video_bytes = [&] {
    std::uint64_t n = 0;
    for (auto& [id, t] : sub->received())
      if (t.kind == "video")
        n += t.bytes;
    return n;
  };
  REQUIRE(wait_until([&] { return sub->total_packets() > 100; }, 15s));
  sub->clear_latency();
  auto bytes0 = video_bytes();
  std::this_thread::sleep_for(3s);  // longer than the loop: it wraps around
  auto kbit_s = static_cast<double>(video_bytes() - bytes0) * 8 / 3 / 1000;
  INFO("video through the SFU: " << kbit_s << " kbit/s");
  CHECK(kbit_s > 250);
  CHECK(kbit_s < 1000);

  auto l = sub->latency();  // from the payload stamps (the registry is not used for loops)
  CHECK(l.samples > 100);
  CHECK(l.median_ms < 50);
  for (auto& [id, t] : sub->received()) {
    INFO(id << " " << t.kind << ": " << t.packets << " of " << t.expected);
    CHECK(t.expected >= t.packets);
    CHECK(t.packets + 2 >= t.expected);  // loopback: nothing lost
    if (t.kind == "video")
      CHECK(t.keyframes >= 1);  // the loop's own keyframes
  }
  CHECK(r.errors().empty());
}
