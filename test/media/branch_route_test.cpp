// A subscriber branch (media/forwarding) chains buffers past the ghost pads
// and pass-through elements behind the subscriber's sink pad, and checks that
// way on every buffer: webrtcbin may relink, block or flush what is behind
// its sink pad after the first buffer went through.
#include "media/forwarding.hpp"
#include "media/gst_ptr.hpp"
#include "media/runtime.hpp"
#include "test/media/pad_counting.hpp"
#include "test/media/publisher_pad.hpp"
#include "test/media/push_tracer.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace vr::media;
using namespace vr::media::test;

namespace {

GstElement* quiet_sink() {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  return sink;
}

// publisher pad → tee (source) → branch → [ghost sink → clocksync → ghost src]
// → fakesink; the bracket is the subscriber, as webrtcbin nests its inputs.
struct branch_fixture {
  std::shared_ptr<runtime> rt = runtime::shared();
  element_ptr pipeline = make_element("pipeline");
  GstElement* subscriber = gst_bin_new(nullptr);
  GstElement* clocksync = gst_element_factory_make("clocksync", nullptr);
  GstElement* first_sink = quiet_sink();
  GstElement* second_sink = quiet_sink();
  std::atomic<int> at_clocksync{0}, at_first{0}, at_second{0};
  std::shared_ptr<forward_counters> counters = std::make_shared<forward_counters>();
  publisher_pad publisher{1234};
  std::unique_ptr<source> from;
  std::unique_ptr<branch> to;

  branch_fixture() {
    g_object_set(clocksync, "sync", FALSE, nullptr);
    gst_bin_add(GST_BIN(subscriber), clocksync);
    pad_ptr in = static_pad(clocksync, "sink"), out = static_pad(clocksync, "src");
    gst_element_add_pad(subscriber, gst_ghost_pad_new("sink", in.get()));
    gst_element_add_pad(subscriber, gst_ghost_pad_new("src", out.get()));
    count_buffers(in.get(), at_clocksync);
    gst_bin_add_many(GST_BIN(pipeline.get()), subscriber, first_sink, second_sink, nullptr);
    REQUIRE(gst_element_link(subscriber, first_sink));
    count_buffers(static_pad(first_sink, "sink").get(), at_first);
    count_buffers(static_pad(second_sink, "sink").get(), at_second);
    REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

    from = std::make_unique<source>(GST_BIN(pipeline.get()), publisher.pad.get(), *rt,
                                    std::chrono::milliseconds(500), counters, nullptr);
    to = std::make_unique<branch>(*from, static_pad(subscriber, "sink").get(), counters);
    publisher.start();
  }

  ~branch_fixture() {
    to.reset();
    from.reset();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }

  void push(int n) {
    for (int i = 0; i < n; i++)
      REQUIRE(publisher.push() == GST_FLOW_OK);  // OK whatever the subscriber says
  }
};

GstPadProbeReturn pass(GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_PASS; }

}  // namespace

TEST_CASE("a branch skips the subscriber's ghost pads and pass-through elements", "[branch]") {
  branch_fixture f;
  f.push(10);
  CHECK(f.at_first == 10);
  CHECK(f.at_clocksync == 0);  // chained past it
  CHECK(f.counters->dropped == 0);
}

TEST_CASE("a branch follows a relink behind the subscriber's sink pad", "[branch]") {
  branch_fixture f;
  f.push(5);
  gst_element_unlink(f.subscriber, f.first_sink);
  REQUIRE(gst_element_link(f.subscriber, f.second_sink));
  f.push(5);
  CHECK(f.at_first == 5);
  CHECK(f.at_second == 5);  // not chained into the old peer
  CHECK(f.counters->dropped == 0);
}

TEST_CASE("a branch honours a blocking probe and a flushing pad behind the sink pad", "[branch]") {
  branch_fixture f;
  f.push(5);
  // A blocking probe that lets every buffer pass once it has seen it: the
  // buffer must come by the probe's pad, as a push would.
  pad_ptr clocksync_src = static_pad(f.clocksync, "src");
  gulong block = gst_pad_add_probe(clocksync_src.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, &pass,
                                   nullptr, nullptr);
  f.push(3);
  CHECK(f.at_clocksync == 3);
  CHECK(f.at_first == 8);
  gst_pad_remove_probe(clocksync_src.get(), block);
  f.push(2);
  CHECK(f.at_clocksync == 3);  // skipped again
  CHECK(f.at_first == 10);

  // The subscriber's sink pad itself flushing (its webrtcbin going away):
  // refused, counted as dropped, and the publisher still gets OK.
  pad_ptr sink = static_pad(f.subscriber, "sink");
  gst_pad_set_active(sink.get(), FALSE);
  f.push(4);
  CHECK(f.at_first == 10);
  CHECK(f.counters->dropped == 4);
}

namespace {

pad_ptr only_src_pad(GstElement* tee) {
  REQUIRE(tee->numsrcpads == 1);
  return retain(GST_PAD(tee->srcpads->data));
}

}  // namespace

TEST_CASE("while every tee pad is a branch, buffers reach it without a push through the tee",
          "[branch]") {
  branch_fixture f;
  GstElement* tee = f.from->tee();
  // Pushes out of the tee's pads (a probe would not see them: `isolate` handles the buffer first).
  auto pushes =
    count_pushes([tee](GstPad* pad) { return GST_OBJECT_PARENT(pad) == GST_OBJECT(tee); });
  auto& pushed = *pushes;
  f.push(10);
  CHECK(f.at_first == 10);
  CHECK(pushed == 0);  // the stream's events went through the tee as they came
  CHECK(f.counters->packets == 10);

  SECTION("a branch made while the stream runs gets the stream's events by a push first") {
    f.to.reset();
    f.to = std::make_unique<branch>(*f.from, static_pad(f.subscriber, "sink").get(), f.counters);
    f.push(5);
    CHECK(pushed == 1);
    CHECK(f.at_first == 15);
    CHECK(f.counters->dropped == 0);
  }

  SECTION("a blocking probe on the tee pad gets the buffer") {
    pad_ptr tee_src = only_src_pad(f.from->tee());
    gulong block = gst_pad_add_probe(tee_src.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, &pass,
                                     nullptr, nullptr);
    f.push(3);
    CHECK(pushed == 3);
    CHECK(f.at_first == 13);
    gst_pad_remove_probe(tee_src.get(), block);
    f.push(2);
    CHECK(pushed == 3);
    CHECK(f.at_first == 15);
  }

  SECTION("a tee pad of another kind (an HLS tap's) makes the tee push to every pad") {
    GstElement* tap = quiet_sink();
    std::atomic<int> at_tap{0};
    gst_bin_add(GST_BIN(f.pipeline.get()), tap);
    REQUIRE(gst_element_sync_state_with_parent(tap));
    count_buffers(static_pad(tap, "sink").get(), at_tap);
    pad_ptr other{gst_element_request_pad_simple(f.from->tee(), "src_%u")};
    REQUIRE(gst_pad_link(other.get(), static_pad(tap, "sink").get()) == GST_PAD_LINK_OK);
    f.push(5);
    CHECK(pushed == 10);  // 5 into each pad
    CHECK(at_tap == 5);
    CHECK(f.at_first == 15);
    gst_pad_unlink(other.get(), static_pad(tap, "sink").get());
    gst_element_release_request_pad(f.from->tee(), other.get());
    f.push(5);
    CHECK(pushed == 10);  // all branches again
    CHECK(f.at_first == 20);
  }

  SECTION("a removed branch gets nothing, the publisher still gets OK") {
    f.to.reset();
    f.push(4);
    CHECK(f.at_first == 10);
    CHECK(f.counters->packets == 10);
  }
}

TEST_CASE("a removed branch frees its tee pad, and with it its hold on the subscriber",
          "[branch]") {
  branch_fixture f;
  f.push(3);
  GWeakRef tee_pad;
  g_weak_ref_init(&tee_pad, only_src_pad(f.from->tee()).get());
  pad_ptr sink = static_pad(f.subscriber, "sink");
  int sink_refs = GST_OBJECT_REFCOUNT_VALUE(sink.get());
  f.to.reset();
  f.push(3);  // a buffer after the removal, as a streaming thread may hold the old branch list
  GObject* left = static_cast<GObject*>(g_weak_ref_get(&tee_pad));
  CHECK(left == nullptr);
  if (left)
    g_object_unref(left);
  g_weak_ref_clear(&tee_pad);
  // The branch and its route referenced the subscriber's sink pad; no longer.
  CHECK(GST_OBJECT_REFCOUNT_VALUE(sink.get()) < sink_refs);
}
