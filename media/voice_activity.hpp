// Voice activity of a published audio track from the audio-level RTP header
// extension (RFC 6464, `urn:ietf:params:rtp-hdrext:ssrc-audio-level`): the
// sender writes each packet's level, so the SFU reads one byte per packet and
// never decodes audio.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace vr::media {

inline constexpr const char* audio_level_uri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

// The level (0..127, in -dBov: 0 is loudest, 127 silence) a packet carries in
// extension `id` (one-byte or two-byte header form); nullopt without it.
std::optional<std::uint8_t> audio_level_of(GstBuffer* rtp_packet, unsigned id);

struct voice_activity_config {
  // A packet is loud when its level is above -threshold_dbov dBov (level below it).
  std::uint8_t threshold_dbov = 50;
  // Loud packets for this long (none quiet in between) make speech; quiet
  // ones for `silence_after` make silence again. Short enough to follow turns
  // in a conversation, long enough that a click or a breath is not speech.
  std::chrono::milliseconds speech_after{200};
  std::chrono::milliseconds silence_after{500};
};

// A debounced speech/silence detector for one track, fed the level of each
// packet with its arrival time. Pure state: the caller owns threads and clocks.
class voice_activity {
public:
  explicit voice_activity(voice_activity_config cfg = {}) : cfg_(cfg) {}

  // The new state (true = speech) when this packet changes it, else nullopt.
  std::optional<bool> feed(std::chrono::milliseconds now, std::uint8_t level);
  bool speaking() const { return speaking_; }

private:
  voice_activity_config cfg_;
  bool speaking_ = false;
  // Since when packets contradict the current state (none: the last agreed).
  std::optional<std::chrono::milliseconds> contrary_since_;
};

}  // namespace vr::media
