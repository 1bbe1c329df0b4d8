// Shortcuts past ghost pads and pass-through elements (media/pad_shortcut):
// buffers must skip them, and must take the normal way again whenever a push
// there would do something (block, refuse, go elsewhere, stop passing through).
#include "media/webrtcbin/pad_shortcut.hpp"
#include "media/gst_ptr.hpp"
#include "media/webrtcbin/webrtcbin_tuning.hpp"
#include "test/media/pad_counting.hpp"

#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <atomic>

using namespace vr::media;
using namespace vr::media::test;

namespace {

// A bin holding one element between two ghost pads, as webrtcbin nests them.
GstElement* wrapped(GstElement* inner) {
  GstElement* bin = gst_bin_new(nullptr);
  gst_bin_add(GST_BIN(bin), inner);
  pad_ptr sink = static_pad(inner, "sink"), src = static_pad(inner, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("sink", sink.get()));
  gst_element_add_pad(bin, gst_ghost_pad_new("src", src.get()));
  return bin;
}

// gst_init before any member is made; this test may run first.
struct gst_ready {
  gst_ready() { gst_init(nullptr, nullptr); }
};

// identity (pushes, shortcut) → [clocksync] → [rtpstorage] → fakesink, the
// brackets being bins. Buffers are chained into identity from the test thread,
// so each push has finished when chain() returns.
struct chain_fixture : gst_ready {
  element_ptr pipeline{make_element("pipeline")};
  GstElement* up = gst_element_factory_make("identity", nullptr);
  GstElement* clocksync = gst_element_factory_make("clocksync", nullptr);
  GstElement* storage = gst_element_factory_make("rtpstorage", nullptr);
  GstElement* bin_a = wrapped(clocksync);
  GstElement* bin_b = wrapped(storage);
  GstElement* down = gst_element_factory_make("fakesink", nullptr);
  std::atomic<int> delivered{0}, through_clocksync{0}, through_storage{0};
  guint16 seq = 0;

  chain_fixture() {
    g_object_set(clocksync, "sync", FALSE, nullptr);
    g_object_set(down, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline.get()), up, bin_a, bin_b, down, nullptr);
    REQUIRE(gst_element_link_many(up, bin_a, bin_b, down, nullptr));
    shortcut_src_pads(up);
    count_buffers(static_pad(down, "sink").get(), delivered);
    count_buffers(static_pad(clocksync, "src").get(), through_clocksync);
    count_buffers(static_pad(storage, "src").get(), through_storage);
    REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    pad_ptr in = static_pad(up, "sink");
    caps_ptr caps{
      gst_caps_from_string("application/x-rtp,media=video,clock-rate=90000,payload=96")};
    send_stream_events(in.get(), "shortcut", caps.get());
  }
  ~chain_fixture() { gst_element_set_state(pipeline.get(), GST_STATE_NULL); }

  GstFlowReturn chain() {
    GstBuffer* b = gst_rtp_buffer_new_allocate(100, 0, 0);
    GstRTPBuffer r = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(b, GST_MAP_WRITE, &r);
    gst_rtp_buffer_set_seq(&r, seq++);
    gst_rtp_buffer_set_ssrc(&r, 1);
    gst_rtp_buffer_set_payload_type(&r, 96);
    gst_rtp_buffer_unmap(&r);
    pad_ptr in = static_pad(up, "sink");
    return gst_pad_chain(in.get(), b);
  }
};

}  // namespace

TEST_CASE(
  "buffers skip ghost pads and pass-through elements, and go the normal way when a push there "
  "would act",
  "[shortcut]") {
  chain_fixture f;
  for (int i = 0; i < 10; ++i)
    REQUIRE(f.chain() == GST_FLOW_OK);
  CHECK(f.delivered == 10);
  // Probes on skipped pads are not run: the buffers went past them.
  CHECK(f.through_clocksync == 0);
  CHECK(f.through_storage == 0);

  SECTION("a blocking probe on a skipped pad is honoured, and the shortcut resumes after it") {
    pad_ptr src = static_pad(f.clocksync, "src");
    std::atomic<int> held{0};
    gulong id = gst_pad_add_probe(
      src.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER),
      +[](GstPad*, GstPadProbeInfo*, gpointer n) {
        ++*static_cast<std::atomic<int>*>(n);
        return GST_PAD_PROBE_DROP;  // seen, not passed on (and not left waiting)
      },
      &held, nullptr);
    f.chain();
    CHECK(held == 1);
    CHECK(f.delivered == 10);
    gst_pad_remove_probe(src.get(), id);
    f.chain();
    CHECK(f.delivered == 11);
    CHECK(held == 1);
    CHECK(f.through_clocksync ==
          0);  // skipped again (the held one was dropped by the blocking probe)
  }

  SECTION("a skipped element that stops passing through is no longer skipped") {
    g_object_set(f.storage, "size-time", guint64{GST_SECOND}, nullptr);
    f.chain();
    f.chain();
    CHECK(f.through_storage == 2);
    CHECK(f.delivered == 12);
    g_object_set(f.storage, "size-time", guint64{0}, nullptr);
    f.chain();
    CHECK(f.through_storage == 2);
    CHECK(f.delivered == 13);
  }

  SECTION("a relinked skipped pad sends buffers to its new peer") {
    GstElement* other = gst_element_factory_make("fakesink", nullptr);
    g_object_set(other, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(f.pipeline.get()), other);
    gst_element_sync_state_with_parent(other);
    std::atomic<int> to_other{0};
    count_buffers(static_pad(other, "sink").get(), to_other);
    gst_element_unlink(f.bin_b, f.down);
    REQUIRE(gst_element_link(f.bin_b, other));
    // The new link has no events yet: the ghost pad has them pending and
    // sends them with the next buffer, which must therefore go the normal way.
    REQUIRE(f.chain() == GST_FLOW_OK);
    REQUIRE(f.chain() == GST_FLOW_OK);
    CHECK(to_other == 2);
    CHECK(f.delivered == 10);
    pad_ptr other_sink = static_pad(other, "sink");
    CHECK(event_ptr(gst_pad_get_sticky_event(other_sink.get(), GST_EVENT_SEGMENT, 0)) != nullptr);
  }

  SECTION("a flushing skipped pad refuses buffers as the normal push would") {
    pad_ptr ghost = static_pad(f.bin_b, "sink");
    gst_pad_set_active(ghost.get(), FALSE);
    CHECK(f.chain() == GST_FLOW_FLUSHING);
    CHECK(f.delivered == 10);
  }
}

TEST_CASE("webrtcbin's FEC and RED elements are skipped only while they pass through",
          "[shortcut]") {
  gst_init(nullptr, nullptr);
  element_ptr reddec{make_element("rtpreddec")}, fecdec{make_element("rtpulpfecdec")},
    storage{make_element("rtpstorage")};
  CHECK(passes_through(reddec.get()));
  CHECK(passes_through(storage.get()));
  CHECK_FALSE(passes_through(fecdec.get()));  // not passthrough by default: it renumbers
  g_object_set(fecdec.get(), "passthrough", TRUE, nullptr);
  CHECK(passes_through(fecdec.get()));
  g_object_set(reddec.get(), "pt", 100, nullptr);
  CHECK_FALSE(passes_through(reddec.get()));
  g_object_set(storage.get(), "size-time", guint64{250 * GST_MSECOND}, nullptr);
  CHECK_FALSE(passes_through(storage.get()));
}

TEST_CASE("the server's rtpbin keeps no packets for ULPFEC recovery", "[shortcut]") {
  gst_init(nullptr, nullptr);
  element_ptr rtpbin{make_element("rtpbin")};
  // webrtcbin's handler, connected before ours, sizes the storage.
  g_signal_connect(rtpbin.get(), "new-storage",
                   G_CALLBACK(+[](GstElement*, GstElement* storage, guint, gpointer) {
                     g_object_set(storage, "size-time", guint64{250 * GST_MSECOND}, nullptr);
                   }),
                   nullptr);
  tune_webrtcbin_element(nullptr, nullptr, rtpbin.get(), GINT_TO_POINTER(no_fec_storage));
  pad_ptr sink{gst_element_request_pad_simple(rtpbin.get(), "recv_rtp_sink_0")};
  REQUIRE(sink);
  GstElement* storage = nullptr;
  g_signal_emit_by_name(rtpbin.get(), "get-storage", 0u, &storage);
  REQUIRE(storage);
  guint64 size_time = 1;
  g_object_get(storage, "size-time", &size_time, nullptr);
  gst_object_unref(storage);
  CHECK(size_time == 0);
  gst_element_release_request_pad(rtpbin.get(), sink.get());
}
