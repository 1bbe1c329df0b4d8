#include "media/voice_activity.hpp"

#include "media/simulcast/rtp_packet.hpp"

#include <span>
#include <string>

namespace vr::media {

// The same RFC 8285 reader as a simulcast layer's rid (one-byte or two-byte form).
std::optional<std::uint8_t> audio_level_of(GstBuffer* rtp_packet, unsigned id) {
  GstMapInfo map;
  if (!gst_buffer_map(rtp_packet, &map, GST_MAP_READ))
    return std::nullopt;
  std::span<const std::uint8_t> data(map.data, map.size);
  std::optional<std::string> value;
  if (auto v = simulcast::parse_rtp(data))
    value = simulcast::header_extension(data, *v, static_cast<int>(id));
  gst_buffer_unmap(rtp_packet, &map);
  if (!value || value->empty())
    return std::nullopt;
  return static_cast<std::uint8_t>(value->front() & 0x7f);  // V bit off
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
