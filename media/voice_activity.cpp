#include "media/voice_activity.hpp"

#include <gst/rtp/gstrtpbuffer.h>

namespace vr::media {

std::optional<std::uint8_t> audio_level_of(GstBuffer* rtp_packet, unsigned id) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(rtp_packet, GST_MAP_READ, &rtp))
    return std::nullopt;
  gpointer data = nullptr;
  guint size = 0;
  guint8 appbits = 0;
  std::optional<std::uint8_t> level;
  // Browsers use the one-byte form unless an extension needs more (RFC 8285).
  bool found = (id < 15 && gst_rtp_buffer_get_extension_onebyte_header(
                             &rtp, static_cast<guint8>(id), 0, &data, &size)) ||
               gst_rtp_buffer_get_extension_twobytes_header(&rtp, &appbits, static_cast<guint8>(id),
                                                            0, &data, &size);
  if (found && size >= 1)
    level = static_cast<std::uint8_t>(*static_cast<const guint8*>(data) & 0x7f);  // V bit off
  gst_rtp_buffer_unmap(&rtp);
  return level;
}

std::optional<bool> voice_activity::feed(std::chrono::milliseconds now, std::uint8_t level) {
  bool loud = level < cfg_.threshold_dbov;
  if (loud == speaking_) {
    contrary_since_.reset();
    return std::nullopt;
  }
  if (!contrary_since_)
    contrary_since_ = now;
  if (now - *contrary_since_ < (speaking_ ? cfg_.silence_after : cfg_.speech_after))
    return std::nullopt;
  speaking_ = loud;
  contrary_since_.reset();
  return speaking_;
}

}  // namespace vr::media
