// Fragmented MP4 (ISO BMFF / CMAF) boxes for LL-HLS: one init segment (ftyp +
// moov with an avc1 and/or mp4a track) and fragments (moof + mdat) holding a
// run of samples per track. Pure C++: the packager feeds it what GStreamer's
// parsers produced. Written by hand because mp4mux (1.22) cuts fragments on
// its own clock, not on our part and keyframe boundaries.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace vr::media::fmp4 {

using bytes = std::vector<std::uint8_t>;

// Track ids are fixed: video 1, audio 2 (whichever exist).
constexpr std::uint32_t video_track_id = 1, audio_track_id = 2;
constexpr std::uint32_t video_timescale = 90000;

struct video_config {
  bytes avcc;  // AVCDecoderConfigurationRecord (h264parse's codec_data)
  std::uint16_t width = 0, height = 0;
};

struct audio_config {
  bytes asc;                          // AudioSpecificConfig (the AAC encoder's codec_data)
  std::uint32_t sample_rate = 48000;  // also the track's timescale
  std::uint16_t channels = 2;
};

bytes init_segment(const std::optional<video_config>& video,
                   const std::optional<audio_config>& audio);

struct sample {
  bytes data;              // one access unit (AVC length-prefixed NALs, or a raw AAC frame)
  std::uint32_t duration;  // in the track's timescale
  bool sync = true;        // a keyframe (audio: always)
};

struct run {
  std::uint32_t track_id;
  std::uint64_t base_decode_time;  // tfdt, in the track's timescale
  std::vector<sample> samples;
};

// moof (mfhd + one traf per non-empty run) + mdat. `sequence` counts from 1.
bytes fragment(std::uint32_t sequence, const std::vector<run>& runs);

}  // namespace vr::media::fmp4
