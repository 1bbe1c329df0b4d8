#include "test/peer/stamp.hpp"

#include <gst/rtp/rtp.h>

#include <cstdint>
#include <cstring>

namespace vr::test {

namespace {

constexpr std::uint32_t magic = 0x56527453;  // "VRtS"
constexpr guint stamp_size = 12;

}  // namespace

bool stamp_rtp(GstBuffer** buf) {
  *buf = gst_buffer_make_writable(*buf);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  // A write map copies memory shared with other buffers (the encoded loop's).
  if (!gst_rtp_buffer_map(*buf, GST_MAP_READWRITE, &rtp))
    return false;
  guint len = gst_rtp_buffer_get_payload_len(&rtp);
  if (len >= stamp_size + 4) {
    auto* tail = static_cast<std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp)) + len - stamp_size;
    std::int64_t now = g_get_monotonic_time();
    std::memcpy(tail, &magic, 4);
    std::memcpy(tail + 4, &now, 8);
  }
  gst_rtp_buffer_unmap(&rtp);
  return true;
}

bool read_stamp(GstBuffer* buf, gint64& sent_us) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return false;
  bool found = false;
  guint len = gst_rtp_buffer_get_payload_len(&rtp);
  if (len >= stamp_size + 4) {
    auto* tail =
      static_cast<const std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp)) + len - stamp_size;
    std::uint32_t m = 0;
    std::memcpy(&m, tail, 4);
    if (m == magic) {
      std::int64_t t = 0;
      std::memcpy(&t, tail + 4, 8);
      sent_us = t;
      found = true;
    }
  }
  gst_rtp_buffer_unmap(&rtp);
  return found;
}

}  // namespace vr::test
