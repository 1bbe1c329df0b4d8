// One subscriber's copy of a simulcast track: of the publisher's layers (one
// source each, media/README.md "Simulcast receive") only the chosen one goes
// to the subscriber, rewritten to one SSRC with continuous sequence numbers
// and timestamps (simulcast::rewriter), switching only at a keyframe.
#pragma once

#include "media/forwarding.hpp"
#include "media/simulcast/keyframe.hpp"
#include "media/simulcast/variant.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

namespace vr::media {

// What a variant_branch needs to know of a track's RTP stream (its caps).
struct layered_format {
  simulcast::codec codec = simulcast::codec::other;
  std::uint32_t clock_rate = 90000;
};
layered_format layered_format_of(const GstCaps* rtp_caps);

class variant_branch {
public:
  // `first` is the layer whose caps the subscriber's m-line was offered with:
  // its tee feeds the sink pad its events (caps, segment), never its buffers.
  // Its SSRC (`out_ssrc`) is what the subscriber gets whatever the layer.
  // `on_switched` runs on a streaming thread at the first packet of a new layer.
  variant_branch(source& first, GstPad* webrtc_sink, std::uint32_t out_ssrc,
                 std::uint32_t clock_rate, simulcast::codec codec, simulcast::variant target,
                 std::shared_ptr<forward_counters> counters,
                 std::function<void(simulcast::variant)> on_switched);
  ~variant_branch();  // stops listening to the layers: they must still exist
  variant_branch(const variant_branch&) = delete;
  variant_branch& operator=(const variant_branch&) = delete;

  void add_layer(simulcast::variant v, source& src);
  // What the subscriber asked for; the layer forwarded is the best one present
  // up to it. A keyframe of it is requested when it changes.
  void set_target(simulcast::variant v);
  // The highest layer the subscriber's path takes (simulcast::loss_cap).
  void set_cap(simulcast::variant v);
  // The layers the publisher is sending (idle ones are skipped while another is).
  void set_enabled(simulcast::variant_set enabled);
  // The layer forwarded now, or the one being switched to if none yet.
  simulcast::variant forwarded() const;

  struct state;

private:
  void retarget();

  element_ptr tee_;
  pad_ptr tee_src_, webrtc_sink_;
  gulong drop_probe_ = 0, upstream_probe_ = 0;
  std::shared_ptr<state> st_;
  std::array<source*, 3> layers_{};
  std::array<std::shared_ptr<const source::listener>, 3> listeners_{};
  simulcast::variant wanted_;
  simulcast::variant cap_ = simulcast::variant::h;
  simulcast::variant_set enabled_ = 0b111;
};

}  // namespace vr::media
