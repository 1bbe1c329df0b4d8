// The NACK the server sends on its own (media/immediate_nack): a compound
// RTCP packet any RTP stack accepts, asking for exactly the lost packet.
#include "media/gst_ptr.hpp"
#include "media/immediate_nack.hpp"

#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <string>

using namespace vr::media;

TEST_CASE("an immediate NACK is a compound RTCP packet: empty RR, CNAME, generic NACK", "[nack]") {
  gst_init(nullptr, nullptr);
  GstBuffer* buf = make_nack_packet(0x11223344, "server-cname", 0xaabbccdd, 65535);
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
