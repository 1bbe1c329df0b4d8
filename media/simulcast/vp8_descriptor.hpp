// The VP8 payload descriptor's picture id and TL0PICIDX (RFC 7741 §4.2). Each
// simulcast layer numbers its frames on its own, so a layer switch would make
// both jump; libwebrtc-based receivers (Chromium, Firefox) find frame
// references by them, so the subscriber's copy gets them rewritten to
// continue (simulcast::rewriter), as the sequence numbers and timestamps are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace vr::media::simulcast {

struct vp8_ids {
  std::optional<std::uint16_t> picture_id;  // 7 or 15 bits, as sent
  bool long_picture_id = false;             // the M bit: 15 bits
  std::optional<std::uint8_t> tl0picidx;
};

// The descriptor's length in bytes (the VP8 payload header follows it);
// nullopt unless `payload` starts with a well-formed descriptor.
std::optional<std::size_t> vp8_descriptor_size(std::span<const std::uint8_t> payload);

// nullopt unless `payload` starts with a well-formed descriptor.
std::optional<vp8_ids> read_vp8_ids(std::span<const std::uint8_t> payload);

// Overwrites the fields `read_vp8_ids` found in the same payload (the
// descriptor's layout does not change): values are cut to the field's width.
void write_vp8_ids(std::span<std::uint8_t> payload, const vp8_ids& ids);

}  // namespace vr::media::simulcast
