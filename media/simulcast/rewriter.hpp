// One subscriber's view of one simulcast track: packets of the variant being
// forwarded get one SSRC and continuous sequence numbers, timestamps and (VP8)
// picture ids and TL0PICIDX, so the subscriber's decoder sees one stream. A
// new target takes over only at a keyframe of it; until then the current
// variant keeps flowing.
#pragma once

#include "media/simulcast/variant.hpp"
#include "media/simulcast/vp8_descriptor.hpp"

#include <cstdint>
#include <optional>

namespace vr::media::simulcast {

struct packet_in {
  variant v = variant::l;
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  bool keyframe_start = false;
  std::int64_t arrival_us = 0;
};

struct packet_out {
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  bool switched = false;       // first packet of a newly switched-to variant
  std::optional<vp8_ids> vp8;  // to write back, as read
};

class rewriter {
public:
  rewriter(std::uint32_t out_ssrc, std::uint32_t clock_rate, variant target)
      : ssrc_(out_ssrc), clock_rate_(clock_rate), target_(target) {}

  // True if the caller should ask the publisher for a keyframe of `v` (it is
  // not what is being forwarded already).
  bool set_target(variant v);
  variant target() const { return target_; }
  std::optional<variant> current() const { return current_; }

  // nullopt: drop the packet (another variant, before the switch point, or a
  // target keyframe not reached yet). `vp8`: the packet's VP8 ids, if VP8.
  std::optional<packet_out> on_packet(const packet_in& p,
                                      const std::optional<vp8_ids>& vp8 = std::nullopt);

private:
  std::uint32_t ssrc_, clock_rate_;
  variant target_;
  std::optional<variant> current_;
  std::uint16_t switch_seq_ = 0;  // first input seq of the current variant
  std::uint16_t seq_offset_ = 0;
  std::uint32_t ts_offset_ = 0;
  bool have_out_ = false;
  std::uint16_t last_seq_ = 0;
  std::uint32_t last_ts_ = 0;
  std::int64_t last_arrival_us_ = 0;
  // VP8: offsets added to the current variant's ids, and the last ids sent.
  std::uint16_t picture_id_offset_ = 0;
  std::uint8_t tl0_offset_ = 0;
  std::optional<std::uint16_t> last_picture_id_;  // 15 bits
  std::optional<std::uint8_t> last_tl0_;
};

}  // namespace vr::media::simulcast
