#include "media/relay/relay_socket.hpp"
#include "media/webrtcbin/immediate_nack.hpp"

#include "media/relay/relay_stream.hpp"

#include <gst/rtp/gstrtcpbuffer.h>

#include <random>

namespace vr::media {

std::vector<std::uint8_t> random_relay_key() {
  std::random_device rd;
  std::vector<std::uint8_t> key(relay_key_size);
  for (auto& b : key)
    b = static_cast<std::uint8_t>(rd());
  return key;
}

socket_ptr bind_relay_socket(const std::string& address, std::uint16_t min_port,
                             std::uint16_t max_port) {
  gobject_ptr<GInetAddress> inet(g_inet_address_new_from_string(address.c_str()));
  if (!inet)
    return nullptr;
  unsigned first = min_port, last = max_port ? max_port : min_port;
  for (unsigned port = first; port <= last; port++) {
    GError* err = nullptr;
    socket_ptr sock(g_socket_new(g_inet_address_get_family(inet.get()), G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_UDP, &err));
    if (!sock) {
      g_clear_error(&err);
      return nullptr;
    }
    gobject_ptr<GSocketAddress> sa(g_inet_socket_address_new(inet.get(), port));
    if (g_socket_bind(sock.get(), sa.get(), FALSE, &err))
      return sock;
    g_clear_error(&err);
  }
  return nullptr;
}

std::uint16_t local_port(GSocket* socket) {
  gobject_ptr<GSocketAddress> sa(g_socket_get_local_address(socket, nullptr));
  return sa ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(sa.get())) : 0;
}

caps_ptr srtp_key_caps(const std::vector<std::uint8_t>& key) {
  buffer_ptr k = srtp_key_buffer(key);
  return caps_ptr(gst_caps_new_simple(
    "application/x-srtp", "srtp-key", GST_TYPE_BUFFER, k.get(), "srtp-cipher", G_TYPE_STRING,
    "aes-128-icm", "srtp-auth", G_TYPE_STRING, "hmac-sha1-80", "srtcp-cipher", G_TYPE_STRING,
    "aes-128-icm", "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", nullptr));
}

buffer_ptr srtp_key_buffer(const std::vector<std::uint8_t>& key) {
  return buffer_ptr(gst_buffer_new_memdup(key.data(), key.size()));
}

std::pair<pad_ptr, pad_ptr> srtpenc_pads(GstElement* srtpenc, const std::string& prefix,
                                         unsigned n) {
  std::string sink_name = prefix + "sink_" + std::to_string(n);
  std::string src_name = prefix + "src_" + std::to_string(n);
  GstPadTemplate* templ = gst_element_get_pad_template(srtpenc, (prefix + "sink_%u").c_str());
  pad_ptr sink(gst_element_request_pad(srtpenc, templ, sink_name.c_str(), nullptr));
  pad_ptr src(sink ? gst_element_get_static_pad(srtpenc, src_name.c_str()) : nullptr);
  return {std::move(sink), std::move(src)};
}

std::uint32_t rtp_ssrc(GstBuffer* buf) {
  std::uint8_t h[12];
  if (gst_buffer_extract(buf, 0, h, sizeof h) != sizeof h)
    return 0;
  return (std::uint32_t(h[8]) << 24) | (std::uint32_t(h[9]) << 16) | (std::uint32_t(h[10]) << 8) |
         h[11];
}

std::uint16_t rtp_seq(GstBuffer* buf) {
  std::uint8_t h[4];
  if (gst_buffer_extract(buf, 0, h, sizeof h) != sizeof h)
    return 0;
  return static_cast<std::uint16_t>((h[2] << 8) | h[3]);
}

namespace {

// One RTCP feedback packet about `media_ssrc` from the relay, which has no
// SSRC of its own; its FCI is the 32-bit `words`.
buffer_ptr feedback_packet(GstRTCPType type, GstRTCPFBType fb, std::uint32_t media_ssrc,
                           const std::vector<std::uint32_t>& words = {}) {
  buffer_ptr buf(gst_rtcp_buffer_new(1400));
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  gst_rtcp_buffer_map(buf.get(), GST_MAP_READWRITE, &rtcp);
  GstRTCPPacket packet;
  gst_rtcp_buffer_add_packet(&rtcp, type, &packet);
  gst_rtcp_packet_fb_set_type(&packet, fb);
  gst_rtcp_packet_fb_set_sender_ssrc(&packet, 1);
  gst_rtcp_packet_fb_set_media_ssrc(&packet, media_ssrc);
  if (!words.empty()) {
    gst_rtcp_packet_fb_set_fci_length(&packet, static_cast<guint16>(words.size()));
    guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
    for (std::size_t i = 0; i < words.size(); i++)
      GST_WRITE_UINT32_BE(fci + 4 * i, words[i]);
  }
  gst_rtcp_buffer_unmap(&rtcp);
  return buf;
}

}  // namespace

buffer_ptr make_nack(std::uint32_t media_ssrc, const std::vector<std::uint16_t>& seqs) {
  // FCI words: a packet id and a bitmask of the 16 after it (the same
  // encoding as the subscribers' immediate NACKs).
  std::vector<std::uint32_t> words;
  for (auto e : nack_entries(seqs))
    words.push_back((std::uint32_t(e.pid) << 16) | e.blp);
  return feedback_packet(GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, media_ssrc, words);
}

buffer_ptr make_pli(std::uint32_t media_ssrc) {
  return feedback_packet(GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, media_ssrc);
}

rtcp_feedback read_feedback(GstBuffer* buf) {
  rtcp_feedback out;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp))
    return out;
  GstRTCPPacket packet;
  for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next(&packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type(&packet);
    if (type == GST_RTCP_TYPE_PSFB) {
      GstRTCPFBType fb = gst_rtcp_packet_fb_get_type(&packet);
      if (fb == GST_RTCP_PSFB_TYPE_PLI) {
        out.keyframe_ssrcs.push_back(gst_rtcp_packet_fb_get_media_ssrc(&packet));
      } else if (fb == GST_RTCP_PSFB_TYPE_FIR) {
        // FIR names its SSRCs in the FCI, 8 bytes each.
        guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
        guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
        for (guint off = 0; fci && off + 8 <= words * 4; off += 8)
          out.keyframe_ssrcs.push_back(GST_READ_UINT32_BE(fci + off));
      }
    } else if (type == GST_RTCP_TYPE_RTPFB &&
               gst_rtcp_packet_fb_get_type(&packet) == GST_RTCP_RTPFB_TYPE_NACK) {
      std::uint32_t ssrc = gst_rtcp_packet_fb_get_media_ssrc(&packet);
      guint8* fci = gst_rtcp_packet_fb_get_fci(&packet);
      guint words = gst_rtcp_packet_fb_get_fci_length(&packet);
      for (guint w = 0; fci && w < words; w++) {
        std::uint32_t word = GST_READ_UINT32_BE(fci + 4 * w);
        auto pid = static_cast<std::uint16_t>(word >> 16);
        out.nacked.emplace_back(ssrc, pid);
        for (unsigned bit = 0; bit < 16; bit++)
          if (word & (1u << bit))
            out.nacked.emplace_back(ssrc, static_cast<std::uint16_t>(pid + bit + 1));
      }
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
  return out;
}

}  // namespace vr::media
