// Does this RTP payload start a keyframe? Only the first packet of a frame
// can tell; a switch between simulcast layers may happen only there.
#pragma once

#include <cstdint>
#include <span>

namespace vr::media::simulcast {

enum class codec {
  vp8,
  h264,
  other
};

// VP8 (RFC 7741): the payload descriptor's S bit and partition 0, then the
// frame header's inverse key-frame bit.
bool vp8_keyframe_start(std::span<const std::uint8_t> payload);

// H264 (RFC 6184): an IDR or SPS NAL unit, alone, in a STAP-A, or the first
// fragment of an FU-A.
bool h264_keyframe_start(std::span<const std::uint8_t> payload);

bool keyframe_start(codec c, std::span<const std::uint8_t> payload);

}  // namespace vr::media::simulcast
