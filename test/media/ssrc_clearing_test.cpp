// Clearing a remote SSRC while its RTP and RTCP keep arriving: rtpbin's own
// clear-ssrc races with the streaming threads (the demux re-creates a pad that
// is still there, and the receive path stops); clear_ssrcs_when_idle must not.
#include "media/webrtcbin/ssrc_clearing.hpp"
#include "media/gst_ptr.hpp"
#include "media/webrtcbin/nack_buffer.hpp"
#include "media/webrtcbin/webrtcbin_tuning.hpp"

#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace vr::media;
using namespace std::chrono_literals;

namespace {

constexpr guint32 kSsrc = 0x1234abcd;

// Counts GStreamer's and GObject's criticals and warnings while it lives.
class critical_counter {
public:
  critical_counter() {
    for (int i = 0; i < 2; ++i)
      handlers_[i] = g_log_set_handler(domains_[i], levels_, &count, &count_);
  }
  ~critical_counter() {
    for (int i = 0; i < 2; ++i)
      g_log_remove_handler(domains_[i], handlers_[i]);
  }
  int count() const { return count_; }

private:
  static void count(const gchar*, GLogLevelFlags, const gchar* message, gpointer n) {
    ++*static_cast<std::atomic<int>*>(n);
    UNSCOPED_INFO("GStreamer: " << message);
  }
  static constexpr const char* domains_[2] = {"GStreamer", "GLib-GObject"};
  static constexpr auto levels_ = GLogLevelFlags(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  guint handlers_[2] = {};
  std::atomic<int> count_{0};
};

GstBuffer* rtp_packet(guint16 seq) {
  GstBuffer* b = gst_rtp_buffer_new_allocate(100, 0, 0);
  GstRTPBuffer r = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map(b, GST_MAP_WRITE, &r);
  gst_rtp_buffer_set_seq(&r, seq);
  gst_rtp_buffer_set_timestamp(&r, seq * 3000u);
  gst_rtp_buffer_set_ssrc(&r, kSsrc);
  gst_rtp_buffer_set_payload_type(&r, 96);
  gst_rtp_buffer_unmap(&r);
  return b;
}

GstBuffer* sender_report(guint32 packets, bool bye = false) {
  GstBuffer* b = gst_rtcp_buffer_new(1400);
  GstRTCPBuffer r = GST_RTCP_BUFFER_INIT;
  gst_rtcp_buffer_map(b, GST_MAP_READWRITE, &r);
  GstRTCPPacket p;
  gst_rtcp_buffer_add_packet(&r, GST_RTCP_TYPE_SR, &p);
  gst_rtcp_packet_sr_set_sender_info(&p, kSsrc, guint64(packets) << 32, packets * 3000u, packets,
                                     packets * 100);
  if (bye) {
    gst_rtcp_buffer_add_packet(&r, GST_RTCP_TYPE_BYE, &p);
    gst_rtcp_packet_bye_add_ssrc(&p, kSsrc);
  }
  gst_rtcp_buffer_unmap(&r);
  return b;
}

// One rtpbin session fed by two appsrcs (RTP and RTCP: two streaming threads,
// the worst case), every stream it makes ending in a counting fakesink.
struct receiver {
  element_ptr pipeline{gst_pipeline_new("ssrc-clearing")};
  element_ptr rtpbin{make_element("rtpbin")};
  element_ptr rtp_src{make_element("appsrc")}, rtcp_src{make_element("appsrc")};
  std::atomic<int> received{0};

  std::atomic<int> outputs_removed{0};

  // tuning: the server's rtpbin set-up (webrtcbin_tuning.hpp) instead of
  // nack buffers alone.
  explicit receiver(int tuning = 0) {
    gst_object_ref_sink(pipeline.get());
    if (tuning)
      tune_webrtcbin_element(nullptr, nullptr, rtpbin.get(), GINT_TO_POINTER(tuning));
    else
      g_signal_connect(rtpbin.get(), "request-jitterbuffer",
                       G_CALLBACK(+[](GstElement*, guint, gpointer) { return make_nack_buffer(); }),
                       nullptr);
    g_signal_connect(rtpbin.get(), "pad-removed",
                     G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer p) {
                       if (g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtp_src_"))
                         ++static_cast<receiver*>(p)->outputs_removed;
                     }),
                     this);
    g_signal_connect(
      rtpbin.get(), "request-pt-map", G_CALLBACK(+[](GstElement*, guint, guint, gpointer) {
        return gst_caps_from_string(
          "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96");
      }),
      nullptr);
    // As webrtcbin does, every stream gets a FEC decoder (here a stand-in):
    // rtpbin then ties its output pad to that decoder.
    g_signal_connect(rtpbin.get(), "request-fec-decoder-full",
                     G_CALLBACK(+[](GstElement*, guint, guint, guint, gpointer) {
                       return gst_element_factory_make("identity", nullptr);
                     }),
                     nullptr);
    g_signal_connect(rtpbin.get(), "pad-added", G_CALLBACK(&on_pad), this);
    for (auto* src : {rtp_src.get(), rtcp_src.get()})
      g_object_set(src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE, nullptr);
    caps_ptr rtp_caps{
      gst_caps_from_string("application/x-rtp,media=video,clock-rate=90000,payload=96")};
    caps_ptr rtcp_caps{gst_caps_from_string("application/x-rtcp")};
    g_object_set(rtp_src.get(), "caps", rtp_caps.get(), nullptr);
    g_object_set(rtcp_src.get(), "caps", rtcp_caps.get(), nullptr);
    gst_bin_add_many(GST_BIN(pipeline.get()), rtpbin.get(), rtp_src.get(), rtcp_src.get(), nullptr);
    REQUIRE(gst_element_link_pads(rtp_src.get(), "src", rtpbin.get(), "recv_rtp_sink_0"));
    REQUIRE(gst_element_link_pads(rtcp_src.get(), "src", rtpbin.get(), "recv_rtcp_sink_0"));
    REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  }
  ~receiver() { gst_element_set_state(pipeline.get(), GST_STATE_NULL); }

  static void on_pad(GstElement*, GstPad* pad, receiver* self) {
    if (!g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtp_src_"))
      return;
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(self->pipeline.get()), sink);
    gst_element_sync_state_with_parent(sink);
    pad_ptr sink_pad{gst_element_get_static_pad(sink, "sink")};
    gst_pad_link(pad, sink_pad.get());
    gst_pad_add_probe(
      sink_pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
      +[](GstPad*, GstPadProbeInfo*, gpointer p) {
        ++static_cast<receiver*>(p)->received;
        return GST_PAD_PROBE_OK;
      },
      self, nullptr);
  }

  void push(GstElement* src, GstBuffer* b) {
    GstFlowReturn ret = GST_FLOW_OK;
    g_signal_emit_by_name(src, "push-buffer", b, &ret);
    gst_buffer_unref(b);
  }

  // A 200 packet/s stream with a sender report every 20 packets.
  void send_for(std::chrono::milliseconds how_long) {
    for (auto end = std::chrono::steady_clock::now() + how_long;
         std::chrono::steady_clock::now() < end;) {
      push(rtp_src.get(), rtp_packet(seq));
      if (++seq % 20 == 0)
        push(rtcp_src.get(), sender_report(seq));
      std::this_thread::sleep_for(5ms);
    }
  }
  guint16 seq = 0;

  // Once rtpsession has dropped the source (BYE or timeout): its stream's
  // output pad is removed, and the same SSRC again gets a new stream, a new
  // output pad, and its media through.
  void check_freed_and_rebuilt() {
    for (int i = 0; i < 300 && outputs_removed == 0; ++i)
      std::this_thread::sleep_for(50ms);
    CHECK(outputs_removed == 1);
    int before = received;
    send_for(500ms);
    CHECK(received > before + 20);
  }
};

}  // namespace

TEST_CASE("clearing an SSRC whose RTP and RTCP keep arriving leaves the receive path working",
          "[media][ssrc]") {
  gst_init(nullptr, nullptr);
  critical_counter criticals;
  {
    receiver r;
    std::atomic<bool> sending{true};
    std::thread sender([&] {
      for (guint16 seq = 0; sending; ++seq) {
        r.push(r.rtp_src.get(), rtp_packet(seq));
        if (seq % 4 == 0)
          r.push(r.rtcp_src.get(), sender_report(seq));
        std::this_thread::sleep_for(200us);
      }
    });
    auto wait_received = [&](int more) {
      int target = r.received + more;
      for (int i = 0; i < 400 && r.received < target; ++i)
        std::this_thread::sleep_for(5ms);
      return r.received >= target;
    };
    REQUIRE(wait_received(50));
    for (int i = 0; i < 150; ++i) {
      clear_ssrcs_when_idle(r.rtpbin.get(), 0, {kSsrc});
      std::this_thread::sleep_for(3ms);
    }
    // The stream comes back after every clearing, and still does.
    CHECK(wait_received(200));
    sending = false;
    sender.join();
  }
  CHECK(criticals.count() == 0);
}

TEST_CASE(
  "the server's rtpbin frees a remote SSRC's stream after its BYE, and builds it anew if it "
  "returns",
  "[media][ssrc]") {
  gst_init(nullptr, nullptr);
  critical_counter criticals;
  {
    receiver r(autoremove_ssrcs | nack_buffers);
    r.send_for(500ms);
    REQUIRE(r.received > 0);
    r.push(r.rtcp_src.get(), sender_report(r.seq, true));
    // rtpsession drops a source some RTCP intervals after its BYE; then
    // on-bye-timeout must have the stream and its output pad removed.
    r.check_freed_and_rebuilt();
  }
  CHECK(criticals.count() == 0);
}

TEST_CASE(
  "the server's rtpbin frees a remote SSRC's stream when it times out, and builds it anew if it "
  "returns",
  "[media][ssrc]") {
  gst_init(nullptr, nullptr);
  critical_counter criticals;
  {
    receiver r(autoremove_ssrcs | nack_buffers);
    // A short report interval, so the source times out after rtpsession's
    // minimum of 5 s of silence instead of 5 intervals of 2.5 s or more.
    GObject* raw = nullptr;
    g_signal_emit_by_name(r.rtpbin.get(), "get-internal-session", 0u, &raw);
    gobject_ptr<GObject> session{raw};
    REQUIRE(session);
    g_object_set(session.get(), "rtcp-min-interval", guint64{500 * GST_MSECOND}, nullptr);
    r.send_for(1000ms);
    REQUIRE(r.received > 0);
    // Silence: no RTP, no RTCP, no BYE (a publisher whose network went away);
    // on-timeout must have the stream removed.
    r.check_freed_and_rebuilt();
  }
  CHECK(criticals.count() == 0);
}
