// Forwarded streams share one segment event (media/shared_segment), so a
// subscriber's rtpfunnel, switching between the tracks of several publishers,
// does not push a new segment down its send path on every switch.
#include "media/webrtcbin/shared_segment.hpp"
#include "media/forwarding.hpp"
#include "media/gst_ptr.hpp"
#include "media/runtime.hpp"
#include "test/media/pad_counting.hpp"
#include "test/media/publisher_pad.hpp"

#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <vector>

using namespace vr::media;
using namespace vr::media::test;

namespace {

GstPadProbeReturn count_segment(GstPad*, GstPadProbeInfo* info, gpointer n) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_SEGMENT)
    ++*static_cast<std::atomic<int>*>(n);
  return GST_PAD_PROBE_OK;
}

}  // namespace

TEST_CASE("equal segments become one event object, another segment replaces it", "[segment]") {
  gst_init(nullptr, nullptr);
  event_ptr a = share_segment(segment_event(0));
  event_ptr b = share_segment(segment_event(0));
  CHECK(a.get() == b.get());

  event_ptr other = segment_event(GST_SECOND);
  GstEvent* other_raw = other.get();
  event_ptr c = share_segment(std::move(other));
  CHECK(c.get() == other_raw);  // not equal to the shared one: passed on as it is
  CHECK(share_segment(segment_event(GST_SECOND)).get() == other_raw);  // and shared from now on
  CHECK(share_segment(segment_event(0)).get() != a.get());             // only one is remembered
}

TEST_CASE("a subscriber's rtpfunnel alternating between two publishers passes one segment on",
          "[segment]") {
  auto rt = runtime::shared();
  element_ptr pipeline = make_element("pipeline");
  GstElement* funnel = gst_element_factory_make("rtpfunnel", nullptr);
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline.get()), funnel, sink, nullptr);
  REQUIRE(gst_element_link(funnel, sink));

  std::atomic<int> segments{0}, delivered{0};
  pad_ptr funnel_src = static_pad(funnel, "src");
  gst_pad_add_probe(funnel_src.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &count_segment,
                    &segments, nullptr);
  count_buffers(static_pad(sink, "sink").get(), delivered);
  REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

  std::vector<pad_ptr> funnel_sinks;
  {
    publisher_pad alice(1111), bob(2222);
    auto counters = std::make_shared<forward_counters>();
    source from_alice(GST_BIN(pipeline.get()), alice.pad.get(), *rt, std::chrono::milliseconds(500),
                      counters, {});
    source from_bob(GST_BIN(pipeline.get()), bob.pad.get(), *rt, std::chrono::milliseconds(500),
                    counters, {});
    for (int i = 0; i < 2; i++)
      funnel_sinks.emplace_back(gst_element_request_pad_simple(funnel, "sink_%u"));
    branch to_alice(from_alice, funnel_sinks[0].get(), counters);
    branch to_bob(from_bob, funnel_sinks[1].get(), counters);
    alice.start();
    bob.start();

    const int rounds = 20;
    for (int i = 0; i < rounds; i++) {
      REQUIRE(alice.push() == GST_FLOW_OK);
      REQUIRE(bob.push() == GST_FLOW_OK);
    }
    CHECK(delivered == 2 * rounds);
    CHECK(counters->packets == 2 * rounds);
    CHECK(counters->dropped == 0);
    // Without sharing, every switch between alice and bob (40 of them) pushes
    // a segment out of the funnel (which the server's tuning probe then drops).
    CHECK(segments == 1);
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  for (auto& p : funnel_sinks)
    gst_element_release_request_pad(funnel, p.get());
}
