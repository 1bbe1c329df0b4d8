// A subscriber's variant_branch (media/variant_branch): which of a simulcast
// publisher's layers it forwards as they appear.
#include "media/variant_branch.hpp"
#include "media/forwarding.hpp"
#include "media/gst_ptr.hpp"
#include "media/runtime.hpp"
#include "test/media/pad_counting.hpp"
#include "test/media/publisher_pad.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace vr::media;
using namespace vr::media::test;
using vr::media::simulcast::variant;

namespace {

// One layer of the publisher: its pad and the source (tee) made of it.
struct layer {
  publisher_pad pad;
  std::unique_ptr<source> src;
  layer(GstBin* pipeline, runtime& rt, guint32 ssrc, std::shared_ptr<forward_counters> counters)
      : pad(ssrc) {
    src = std::make_unique<source>(pipeline, pad.pad.get(), rt, std::chrono::milliseconds(0),
                                   std::move(counters), nullptr);
    pad.start();
  }

  // A VP8 packet opening a keyframe (S bit, partition 0; frame tag P bit 0).
  void push_keyframe() {
    GstBuffer* buf = gst_rtp_buffer_new_allocate(10, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_payload_type(&rtp, 96);
    gst_rtp_buffer_set_ssrc(&rtp, pad.ssrc);
    gst_rtp_buffer_set_seq(&rtp, pad.seq++);
    auto* payload = static_cast<guint8*>(gst_rtp_buffer_get_payload(&rtp));
    payload[0] = 0x10;
    payload[1] = 0x00;
    gst_rtp_buffer_unmap(&rtp);
    REQUIRE(gst_pad_push(pad.pad.get(), buf) == GST_FLOW_OK);
  }
};

// Counts the RTP buffers reaching the subscriber's sink.
GstPadProbeReturn count_rtp(GstPad*, GstPadProbeInfo* info, gpointer out) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp)) {
    static_cast<std::atomic<int>*>(out)->fetch_add(1);
    gst_rtp_buffer_unmap(&rtp);
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

TEST_CASE("a layer that starts after the subscriber's branch was made is switched to",
          "[variant_branch]") {
  std::shared_ptr<runtime> rt = runtime::shared();
  element_ptr pipeline = make_element("pipeline");
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(pipeline.get()), sink);
  REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  std::atomic<int> delivered{0};
  pad_ptr sink_pad = static_pad(sink, "sink");
  gst_pad_add_probe(sink_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &count_rtp, &delivered, nullptr);

  auto counters = std::make_shared<forward_counters>();
  auto m = std::make_unique<layer>(GST_BIN(pipeline.get()), *rt, 2000, counters);
  std::atomic<int> switched_to_h{0};
  auto branch = std::make_unique<variant_branch>(
    *m->src, sink_pad.get(), 4242, 90000, simulcast::codec::vp8, variant::h, counters,
    [&](variant v) { switched_to_h += v == variant::h; });
  // As the session links a subscriber: the layers there, flowing, and no h yet
  // (Firefox starts its top layer a moment after the others).
  branch->add_layer(variant::m, *m->src);
  branch->set_enabled(simulcast::bit(variant::m));
  // The first buffer through the tee takes the stream's events to the sink;
  // the branch forwards nothing before (and this one is no keyframe).
  REQUIRE(m->pad.push() == GST_FLOW_OK);
  CHECK(delivered == 0);
  m->push_keyframe();
  CHECK(branch->forwarded() == variant::m);
  CHECK(delivered == 1);

  // h's first packet: the session adds the layer (it flows from now on, and
  // the idle watch, which already counts it flowing, says nothing more).
  auto h = std::make_unique<layer>(GST_BIN(pipeline.get()), *rt, 3000, counters);
  branch->add_layer(variant::h, *h->src);
  h->push_keyframe();
  CHECK(switched_to_h == 1);
  CHECK(branch->forwarded() == variant::h);
  CHECK(delivered == 2);
  m->push_keyframe();  // m is no longer forwarded
  CHECK(delivered == 2);

  branch.reset();
  h.reset();
  m.reset();
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
}
