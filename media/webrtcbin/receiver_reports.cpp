#include "media/webrtcbin/receiver_reports.hpp"

#include "media/bin_elements.hpp"
#include "media/gst_ptr.hpp"

#include <gst/rtp/gstrtcpbuffer.h>

#include <cstring>

namespace vr::media {
namespace {

GstElement* find_rtpbin(GstElement* webrtcbin) {
  GstElement* found = nullptr;
  for_each_element(GST_BIN(webrtcbin), false, [&](GstElement* e) {
    if (!found && made_by(e, "rtpbin"))
      found = GST_ELEMENT(gst_object_ref(e));
  });
  return found;
}

// On the RTCP receiving thread.
void on_rtcp(GObject*, GstBuffer* buf, gpointer data) {
  auto& st = unbox<receiver_reports::store>(data);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buf, GST_MAP_READ, &rtcp))
    return;
  GstRTCPPacket packet;
  for (bool more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next(&packet)) {
    auto type = gst_rtcp_packet_get_type(&packet);
    if (type != GST_RTCP_TYPE_RR && type != GST_RTCP_TYPE_SR)
      continue;
    guint n = gst_rtcp_packet_get_rb_count(&packet);
    std::lock_guard lock(st->mutex);
    for (guint i = 0; i < n; i++) {
      guint32 ssrc = 0, exthighestseq = 0, jitter = 0, lsr = 0, dlsr = 0;
      guint8 fraction = 0;
      gint32 lost = 0;
      gst_rtcp_packet_get_rb(&packet, i, &ssrc, &fraction, &lost, &exthighestseq, &jitter, &lsr,
                             &dlsr);
      auto& b = st->blocks[ssrc];
      b.fraction_lost = fraction / 256.0;
      b.count++;
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
}

}  // namespace

bool receiver_reports::attach(GstElement* webrtcbin) {
  if (attached_)
    return true;
  gst_object_ptr<GstElement> rtpbin(find_rtpbin(webrtcbin));
  if (!rtpbin)
    return false;
  GObject* raw = nullptr;
  g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, &raw);
  gobject_ptr<GObject> session(raw);
  if (!session)
    return false;
  connect(session.get(), "on-receiving-rtcp", &on_rtcp, store_);
  attached_ = true;
  return true;
}

std::optional<receiver_reports::block> receiver_reports::latest(std::uint32_t ssrc) const {
  std::lock_guard lock(store_->mutex);
  auto it = store_->blocks.find(ssrc);
  if (it == store_->blocks.end())
    return std::nullopt;
  return it->second;
}

}  // namespace vr::media
