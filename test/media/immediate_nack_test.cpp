// The NACK the server sends on its own (media/immediate_nack): a compound
// RTCP packet any RTP stack accepts, asking for exactly the lost packets,
// one packet for the requests the nack buffer sends in a row.
#include "media/webrtcbin/immediate_nack.hpp"
#include "media/gst_ptr.hpp"
#include "media/webrtcbin/nack_buffer.hpp"
#include "test/media/pad_counting.hpp"

#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <gst/app/gstappsink.h>

#include <string>
#include <vector>

using namespace vr::media;
using vr::media::test::send_stream_events;

TEST_CASE("an immediate NACK is a compound RTCP packet: empty RR, CNAME, generic NACK", "[nack]") {
  gst_init(nullptr, nullptr);
  GstBuffer* buf =
    make_nack_packet(0x11223344, "server-cname", 0xaabbccdd, std::vector<std::uint16_t>{65535});
  REQUIRE(gst_rtcp_buffer_validate(buf));  // the compound rules, not the reduced-size ones

  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  REQUIRE(gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp));
  CHECK(gst_rtcp_buffer_get_packet_count(&rtcp) == 3);
  GstRTCPPacket p;
  REQUIRE(gst_rtcp_buffer_get_first_packet(&rtcp, &p));
  CHECK(gst_rtcp_packet_get_type(&p) == GST_RTCP_TYPE_RR);
  CHECK(gst_rtcp_packet_rr_get_ssrc(&p) == 0x11223344);
  CHECK(gst_rtcp_packet_get_rb_count(&p) == 0);

  REQUIRE(gst_rtcp_packet_move_to_next(&p));
  CHECK(gst_rtcp_packet_get_type(&p) == GST_RTCP_TYPE_SDES);
  REQUIRE(gst_rtcp_packet_sdes_first_item(&p));
  CHECK(gst_rtcp_packet_sdes_get_ssrc(&p) == 0x11223344);
  REQUIRE(gst_rtcp_packet_sdes_first_entry(&p));
  GstRTCPSDESType type;
  guint8 len = 0;
  guint8* data = nullptr;
  REQUIRE(gst_rtcp_packet_sdes_get_entry(&p, &type, &len, &data));
  CHECK(type == GST_RTCP_SDES_CNAME);
  CHECK(std::string(reinterpret_cast<char*>(data), len) == "server-cname");

  REQUIRE(gst_rtcp_packet_move_to_next(&p));
  CHECK(gst_rtcp_packet_get_type(&p) == GST_RTCP_TYPE_RTPFB);
  CHECK(gst_rtcp_packet_fb_get_type(&p) == GST_RTCP_RTPFB_TYPE_NACK);
  CHECK(gst_rtcp_packet_fb_get_sender_ssrc(&p) == 0x11223344);
  CHECK(gst_rtcp_packet_fb_get_media_ssrc(&p) == 0xaabbccdd);
  REQUIRE(gst_rtcp_packet_fb_get_fci_length(&p) == 1);
  guint8* fci = gst_rtcp_packet_fb_get_fci(&p);
  CHECK(GST_READ_UINT16_BE(fci) == 65535);  // PID
  CHECK(GST_READ_UINT16_BE(fci + 2) == 0);  // BLP: no other packet asked for
  CHECK_FALSE(gst_rtcp_packet_move_to_next(&p));
  gst_rtcp_buffer_unmap(&rtcp);
  gst_buffer_unref(buf);
}

TEST_CASE("NACK entries: numbers up to 16 after a PID go into its bitmask, across the wrap",
          "[nack]") {
  auto e = nack_entries(std::vector<std::uint16_t>{100, 101, 103, 116, 117, 200, 101});
  REQUIRE(e.size() == 3);
  CHECK(e[0].pid == 100);
  CHECK(e[0].blp == (1u << 0 | 1u << 2 | 1u << 15));  // 101, 103, 116; 101 twice is one bit
  CHECK(e[1].pid == 117);
  CHECK(e[1].blp == 0);
  CHECK(e[2].pid == 200);
  auto wrapped = nack_entries(std::vector<std::uint16_t>{65535, 0, 1});
  REQUIRE(wrapped.size() == 1);
  CHECK(wrapped[0].pid == 65535);
  CHECK(wrapped[0].blp == 0b11);
  std::vector<std::uint16_t> scattered;
  for (int i = 0; i < 300; i++)
    scattered.push_back(static_cast<std::uint16_t>(i * 20));
  CHECK(nack_entries(scattered).size() == max_nack_entries);
}

namespace {

// An rtpsession with the immediate NACKs, its RTCP going through a ghost pad
// (so the NACK path is complete, as webrtcbin's is) into an appsink.
struct session_fixture {
  element_ptr pipeline{gst_pipeline_new(nullptr)};
  GstElement* session = gst_element_factory_make("rtpsession", nullptr);
  GstElement* out = gst_bin_new(nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  pad_ptr rtp_sink, rtp_src, rtcp_src;

  session_fixture() {
    send_nacks_immediately(session);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(out), sink);
    pad_ptr inner{gst_element_get_static_pad(sink, "sink")};
    gst_element_add_pad(out, gst_ghost_pad_new("sink", inner.get()));
    gst_bin_add_many(GST_BIN(pipeline.get()), session, out, nullptr);
    rtp_sink.reset(gst_element_request_pad_simple(session, "recv_rtp_sink"));
    rtp_src.reset(gst_element_get_static_pad(session, "recv_rtp_src"));
    rtcp_src.reset(gst_element_request_pad_simple(session, "send_rtcp_src"));
    pad_ptr out_sink{gst_element_get_static_pad(out, "sink")};
    gst_pad_link(rtcp_src.get(), out_sink.get());
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
    // The stream's events, as the SRTCP encoder has them once RTCP flowed.
    caps_ptr caps{gst_caps_new_empty_simple("application/x-rtcp")};
    send_stream_events(out_sink.get(), "rtcp", caps.get());
  }
  ~session_fixture() {
    gst_element_release_request_pad(session, rtp_sink.get());
    gst_element_release_request_pad(session, rtcp_src.get());
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }

  // A request as the nack buffer sends it upstream into the session.
  void request(guint seqnum, bool marked, bool more) {
    GstStructure* s = gst_structure_new("GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT,
                                        seqnum, "ssrc", G_TYPE_UINT, 0xaabbccddu, nullptr);
    if (marked)
      gst_structure_set(s, more_requests_field, G_TYPE_BOOLEAN, more, nullptr);
    gst_pad_send_event(rtp_src.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
  }

  // The NACK entries of every RTCP packet that reached the sink (the
  // session's own reports carry none and are skipped).
  std::vector<std::vector<nack_entry>> nacks() {
    std::vector<std::vector<nack_entry>> out;
    while (GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 0)) {
      GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
      gst_rtcp_buffer_map(gst_sample_get_buffer(sample), GST_MAP_READ, &rtcp);
      GstRTCPPacket p;
      for (bool more = gst_rtcp_buffer_get_first_packet(&rtcp, &p); more;
           more = gst_rtcp_packet_move_to_next(&p)) {
        if (gst_rtcp_packet_get_type(&p) != GST_RTCP_TYPE_RTPFB)
          continue;
        std::vector<nack_entry> entries;
        guint8* fci = gst_rtcp_packet_fb_get_fci(&p);
        for (guint i = 0; i < gst_rtcp_packet_fb_get_fci_length(&p); i++)
          entries.push_back({GST_READ_UINT16_BE(fci + 4 * i), GST_READ_UINT16_BE(fci + 4 * i + 2)});
        out.push_back(entries);
      }
      gst_rtcp_buffer_unmap(&rtcp);
      gst_sample_unref(sample);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("requests the nack buffer sends in a row leave as one NACK, others each as their own",
          "[nack]") {
  gst_init(nullptr, nullptr);
  session_fixture f;
  f.request(100, true, true);
  f.request(101, true, true);
  CHECK(f.nacks().empty());  // held back: more follow
  f.request(105, true, false);
  auto batched = f.nacks();
  REQUIRE(batched.size() == 1);
  REQUIRE(batched[0].size() == 1);
  CHECK(batched[0][0].pid == 100);
  CHECK(batched[0][0].blp == (1u << 0 | 1u << 4));  // 101 and 105

  // Unmarked (rtpjitterbuffer's) and last-of-a-row requests go at once.
  f.request(300, false, false);
  f.request(400, true, false);
  auto single = f.nacks();
  REQUIRE(single.size() == 2);
  CHECK(single[0][0].pid == 300);
  CHECK(single[1][0].pid == 400);
  CHECK(single[1][0].blp == 0);
}
