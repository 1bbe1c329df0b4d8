// Works around (rtpsession 1.22, as webrtcbin uses it): NACKs go out on RFC
// 4585's early-feedback schedule, and requests whose deadline passes first are
// dropped ("Removing N expired NACKS"); these are sent at once instead.
// See immediate_nack.hpp.
#include "media/webrtcbin/immediate_nack.hpp"

#include "media/webrtcbin/nack_buffer.hpp"
#include "media/webrtcbin/pad_shortcut.hpp"

#include <gst/rtp/rtp.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace vr::media {

std::vector<nack_entry> nack_entries(std::span<const std::uint16_t> seqnums) {
  std::vector<nack_entry> entries;
  for (std::uint16_t seq : seqnums) {
    bool placed = false;
    for (auto& e : entries) {
      auto after = static_cast<std::uint16_t>(seq - e.pid);  // modulo 2^16: 65535 then 0 is 1 after
      if (after <= 16) {
        if (after)
          e.blp = static_cast<std::uint16_t>(e.blp | 1u << (after - 1));
        placed = true;
        break;
      }
    }
    if (!placed && entries.size() < max_nack_entries)
      entries.push_back({seq, 0});
  }
  return entries;
}

GstBuffer* make_nack_packet(std::uint32_t sender_ssrc, const std::string& cname,
                            std::uint32_t media_ssrc, std::span<const std::uint16_t> seqnums) {
  auto entries = nack_entries(seqnums);
  GstBuffer* buf = gst_rtcp_buffer_new(1200);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  gst_rtcp_buffer_map(buf, GST_MAP_READWRITE, &rtcp);
  GstRTCPPacket p;
  gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &p);
  gst_rtcp_packet_rr_set_ssrc(&p, sender_ssrc);
  gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SDES, &p);
  gst_rtcp_packet_sdes_add_item(&p, sender_ssrc);
  auto len = static_cast<guint8>(std::min<std::size_t>(cname.size(), 255));
  gst_rtcp_packet_sdes_add_entry(&p, GST_RTCP_SDES_CNAME, len,
                                 reinterpret_cast<const guint8*>(cname.data()));
  gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RTPFB, &p);
  gst_rtcp_packet_fb_set_type(&p, GST_RTCP_RTPFB_TYPE_NACK);
  gst_rtcp_packet_fb_set_sender_ssrc(&p, sender_ssrc);
  gst_rtcp_packet_fb_set_media_ssrc(&p, media_ssrc);
  gst_rtcp_packet_fb_set_fci_length(&p, static_cast<guint16>(entries.size()));
  guint8* fci = gst_rtcp_packet_fb_get_fci(&p);
  for (std::size_t i = 0; i < entries.size(); ++i)
    GST_WRITE_UINT32_BE(fci + 4 * i, std::uint32_t{entries[i].pid} << 16 | entries[i].blp);
  gst_rtcp_buffer_unmap(&rtcp);
  return buf;
}

namespace {

// The pad the session's RTCP goes to and the SSRC and CNAME it is sent
// with; no target while a push there would block, wait for events (DTLS not
// up yet) or go nowhere.
struct rtcp_path {
  pad_ptr target;
  std::uint32_t ssrc = 0;
  std::string cname;
};

rtcp_path find_path(GstElement* session) {
  rtcp_path path;
  pad_ptr src{gst_element_get_static_pad(session, "send_rtcp_src")};
  pad_ptr peer{src ? gst_pad_get_peer(src.get()) : nullptr};
  if (!peer)
    return path;
  pad_ptr target = chain_target(peer.get());
  // chain_target gives the pad it was given when the way is not complete;
  // webrtcbin always puts ghost pads between rtpbin and the SRTCP encoder.
  if (target.get() == peer.get())
    return path;
  if (event_ptr caps{gst_pad_get_sticky_event(target.get(), GST_EVENT_CAPS, 0)}; !caps)
    return path;

  GObject* internal = nullptr;  // RTPSession
  g_object_get(session, "internal-session", &internal, nullptr);
  gobject_ptr<GObject> owned{internal};
  if (!internal)
    return path;
  guint ssrc = 0;
  GstStructure* sdes = nullptr;
  g_object_get(internal, "internal-ssrc", &ssrc, "sdes", &sdes, nullptr);
  structure_ptr owned_sdes{sdes};
  const char* cname = sdes ? gst_structure_get_string(sdes, "cname") : nullptr;
  if (!cname)
    return path;
  path.target = std::move(target);
  path.ssrc = ssrc;
  path.cname = cname;
  return path;
}

// Requests marked as followed by more (nack_buffer.hpp) held back until the
// last of them, then asked for in one NACK. The path is the one found at the
// batch's first request; if it was not up, every request of the batch goes
// to rtpsession on its own.
struct batch {
  std::mutex mutex;
  rtcp_path path;
  std::uint32_t media_ssrc = 0;
  std::vector<std::uint16_t> seqnums;

  // The target's stream lock orders this with the session's own RTCP. If the
  // chain fails, the requests held back are lost; the nack buffer asks for
  // them again when their retry is due.
  bool send() {
    GstBuffer* nack = make_nack_packet(path.ssrc, path.cname, media_ssrc, seqnums);
    seqnums.clear();
    pad_ptr target = std::move(path.target);
    return gst_pad_chain(target.get(), nack) == GST_FLOW_OK;
  }
};

GstPadProbeReturn on_upstream_event(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  const GstStructure* s = gst_event_get_structure(ev);
  guint seqnum = 0, ssrc = 0;
  if (!s || !gst_structure_has_name(s, "GstRTPRetransmissionRequest") ||
      !gst_structure_get_uint(s, "seqnum", &seqnum) || !gst_structure_get_uint(s, "ssrc", &ssrc))
    return GST_PAD_PROBE_OK;
  gboolean more = FALSE;
  gst_structure_get_boolean(s, more_requests_field, &more);

  auto& b = unbox<batch>(data);
  std::lock_guard lock(b->mutex);
  if (!b->seqnums.empty() && b->media_ssrc != ssrc)
    b->send();  // not the stream the held ones are of
  if (b->seqnums.empty()) {
    element_ptr session{gst_pad_get_parent_element(pad)};
    if (!session)
      return GST_PAD_PROBE_OK;
    b->path = find_path(session.get());
    if (!b->path.target)
      return GST_PAD_PROBE_OK;  // rtpsession sends it with its next RTCP
    b->media_ssrc = ssrc;
  }
  b->seqnums.push_back(static_cast<std::uint16_t>(seqnum));
  if (more)
    return GST_PAD_PROBE_DROP;
  return b->send() ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

void watch_pad(GstPad* pad) {
  if (std::strcmp(GST_PAD_NAME(pad), "recv_rtp_src") != 0)
    return;
  add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, &on_upstream_event, std::make_shared<batch>());
}

}  // namespace

void send_nacks_immediately(GstElement* rtpsession) {
  g_signal_connect(rtpsession, "pad-added",
                   G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer) { watch_pad(pad); }),
                   nullptr);
  gst_element_foreach_src_pad(
    rtpsession,
    [](GstElement*, GstPad* pad, gpointer) -> gboolean {
      watch_pad(pad);
      return TRUE;
    },
    nullptr);
}

}  // namespace vr::media
