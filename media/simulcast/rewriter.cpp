#include "media/simulcast/rewriter.hpp"

#include <algorithm>

namespace vr::media::simulcast {

bool rewriter::set_target(variant v) {
  target_ = v;
  return current_ != v;
}

std::optional<packet_out> rewriter::on_packet(const packet_in& p,
                                              const std::optional<vp8_ids>& vp8) {
  bool switched = false;
  if (current_ != p.v) {
    if (p.v != target_ || !p.keyframe_start)
      return std::nullopt;
    // Switch: this packet follows the last one sent, one sequence number on,
    // and its timestamp advances by the wall time since (at least one tick),
    // since the layers' RTP timestamps have unrelated random origins.
    std::uint16_t first_seq = have_out_ ? static_cast<std::uint16_t>(last_seq_ + 1) : p.seq;
    std::uint32_t first_ts = p.timestamp;
    if (have_out_) {
      const std::int64_t elapsed_us = std::max<std::int64_t>(0, p.arrival_us - last_arrival_us_);
      const auto ticks = static_cast<std::uint32_t>(elapsed_us * clock_rate_ / 1'000'000);
      first_ts = last_ts_ + std::max<std::uint32_t>(1, ticks);
    }
    current_ = p.v;
    switch_seq_ = p.seq;
    seq_offset_ = static_cast<std::uint16_t>(first_seq - p.seq);
    ts_offset_ = first_ts - p.timestamp;
    // The keyframe is the next picture and a new base-layer (TL0) frame.
    if (vp8 && vp8->picture_id && last_picture_id_)
      picture_id_offset_ = static_cast<std::uint16_t>(*last_picture_id_ + 1 - *vp8->picture_id);
    if (vp8 && vp8->tl0picidx && last_tl0_)
      tl0_offset_ = static_cast<std::uint8_t>(*last_tl0_ + 1 - *vp8->tl0picidx);
    switched = true;
  } else if (static_cast<std::int16_t>(p.seq - switch_seq_) < 0) {
    return std::nullopt;  // late packet from before the switch point
  }
  packet_out out{static_cast<std::uint16_t>(p.seq + seq_offset_), p.timestamp + ts_offset_, ssrc_,
                 switched, vp8};
  if (out.vp8 && out.vp8->picture_id)
    out.vp8->picture_id = static_cast<std::uint16_t>((*vp8->picture_id + picture_id_offset_) &
                                                     (vp8->long_picture_id ? 0x7fff : 0x7f));
  if (out.vp8 && out.vp8->tl0picidx)
    out.vp8->tl0picidx = static_cast<std::uint8_t>(*vp8->tl0picidx + tl0_offset_);
  if (!have_out_ || static_cast<std::int16_t>(out.seq - last_seq_) > 0) {
    last_seq_ = out.seq;
    if (out.vp8 && out.vp8->picture_id)
      last_picture_id_ = out.vp8->picture_id;
    if (out.vp8 && out.vp8->tl0picidx)
      last_tl0_ = out.vp8->tl0picidx;
    if (!have_out_ || static_cast<std::int32_t>(out.timestamp - last_ts_) >= 0) {
      last_ts_ = out.timestamp;
      last_arrival_us_ = p.arrival_us;
    }
    have_out_ = true;
  }
  return out;
}

}  // namespace vr::media::simulcast
