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

namespace {

// An appsrc the loop feeds, in a running pipeline that notes when its
// keyframes passed.
struct capture {
  capture() {
    pipeline.reset(
      gst_parse_launch("appsrc name=v format=time ! fakesink sync=false async=false", nullptr));
    gst_object_ref_sink(pipeline.get());
    src.reset(gst_bin_get_by_name(GST_BIN(pipeline.get()), "v"));
    vr::media::pad_ptr pad{gst_element_get_static_pad(src.get(), "src")};
    gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &on_buffer, this, nullptr);
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  }
  ~capture() { gst_element_set_state(pipeline.get(), GST_STATE_NULL); }

  static GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<capture*>(data);
    std::lock_guard lock(self->mutex);
    bool key = !GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT);
    if (key)
      self->keyframes_us.push_back(g_get_monotonic_time());
    if (self->frames++ == 0)
      self->first_was_key = key;
    return GST_PAD_PROBE_OK;
  }

  std::mutex mutex;
  vr::media::element_ptr pipeline, src;
  std::vector<gint64> keyframes_us;
  std::size_t frames = 0;
  bool first_was_key = false;
};

}  // namespace

TEST_CASE(
  "publishers fed from one loop at different times send their keyframes in different frame slots",
  "[generator]") {
  encoded_loop::options lo;
  lo.width = 160;
  lo.height = 120;
  lo.seconds = 2;
  lo.keyframe_distance = 15;  // every 0.5 s at 30 fps
  encoded_loop loop(lo);

  capture first, second;
  auto feed_first = loop.attach(first.src.get(), nullptr);
  std::this_thread::sleep_for(200ms);  // about 6 frames: between two of the loop's keyframes
  auto feed_second = loop.attach(second.src.get(), nullptr);
  std::this_thread::sleep_for(1200ms);
  feed_first.reset();
  feed_second.reset();

  std::scoped_lock lock(first.mutex, second.mutex);
  REQUIRE(first.frames > 30);
  REQUIRE(second.frames > 20);
  REQUIRE(first.keyframes_us.size() >= 2);
  REQUIRE(second.keyframes_us.size() >= 2);
  // Each starts with a keyframe (nothing to wait for) ...
  CHECK(first.first_was_key);
  CHECK(second.first_was_key);
  // ... and their keyframes are frames apart (in one frame slot, as when
  // every feed took the loop's frame of the moment, they are microseconds apart).
  for (auto a : first.keyframes_us)
    for (auto b : second.keyframes_us) {
      INFO("keyframes " << (b - a) / 1000 << " ms apart");
      CHECK(std::abs(b - a) > 50'000);
    }
}
