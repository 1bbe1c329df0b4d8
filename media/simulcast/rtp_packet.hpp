// RTP header fields and header extensions read from raw bytes (RFC 3550,
// RFC 8285), plain C++: what the simulcast path needs to tell a layer's rid
// and mid (webrtcbin 1.22 never reads them, media/README.md) and to rewrite
// the fixed header in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vr::media::simulcast {

struct rtp_view {
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::size_t payload_offset = 0;  // after CSRCs and the extension block
  std::size_t payload_size = 0;    // without padding
  std::size_t ext_offset = 0;      // start of the extension elements, 0 if none
  std::size_t ext_size = 0;        // bytes of extension elements
  std::uint16_t ext_profile = 0;   // 0xBEDE one-byte, 0x100x two-byte
};

// nullopt unless `data` is a well-formed RTP version 2 packet.
std::optional<rtp_view> parse_rtp(std::span<const std::uint8_t> data);

// The value of header extension `id` (one-byte or two-byte form), as text
// (rid and mid are ASCII); nullopt if absent.
std::optional<std::string> header_extension(std::span<const std::uint8_t> data, const rtp_view& v,
                                            int id);

// Overwrites sequence number, timestamp and SSRC of the packet in place.
void rewrite_header(std::span<std::uint8_t> data, std::uint16_t seq, std::uint32_t timestamp,
                    std::uint32_t ssrc);

}  // namespace vr::media::simulcast
