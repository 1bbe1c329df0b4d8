#include "media/simulcast/rtp_packet.hpp"

namespace vr::media::simulcast {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

std::optional<rtp_view> parse_rtp(std::span<const std::uint8_t> d) {
  if (d.size() < 12 || (d[0] >> 6) != 2)
    return std::nullopt;
  rtp_view v;
  v.marker = (d[1] & 0x80) != 0;
  v.payload_type = d[1] & 0x7f;
  v.seq = be16(&d[2]);
  v.timestamp = be32(&d[4]);
  v.ssrc = be32(&d[8]);
  std::size_t off = 12 + 4 * std::size_t{static_cast<std::uint8_t>(d[0] & 0x0f)};
  if (off > d.size())
    return std::nullopt;
  if (d[0] & 0x10) {
    if (off + 4 > d.size())
      return std::nullopt;
    v.ext_profile = be16(&d[off]);
    v.ext_size = 4 * std::size_t{be16(&d[off + 2])};
    v.ext_offset = off + 4;
    off = v.ext_offset + v.ext_size;
    if (off > d.size())
      return std::nullopt;
  }
  std::size_t padding = 0;
  if (d[0] & 0x20) {
    padding = d.back();
    if (padding == 0 || off + padding > d.size())
      return std::nullopt;
  }
  v.payload_offset = off;
  v.payload_size = d.size() - off - padding;
  return v;
}

std::optional<std::string> header_extension(std::span<const std::uint8_t> d, const rtp_view& v,
                                            int id) {
  if (v.ext_offset == 0 || id <= 0)
    return std::nullopt;
  const bool one_byte = v.ext_profile == 0xBEDE;
  const bool two_byte = (v.ext_profile & 0xfff0) == 0x1000;
  if (!one_byte && !two_byte)
    return std::nullopt;
  std::size_t i = v.ext_offset, end = v.ext_offset + v.ext_size;
  while (i < end) {
    if (d[i] == 0) {  // padding between elements
      ++i;
      continue;
    }
    int eid;
    std::size_t len;
    if (one_byte) {
      eid = d[i] >> 4;
      len = std::size_t{static_cast<std::uint8_t>(d[i] & 0x0f)} + 1;
      if (eid == 15)
        return std::nullopt;  // reserved: stop parsing (RFC 8285 4.2)
      i += 1;
    } else {
      if (i + 2 > end)
        return std::nullopt;
      eid = d[i];
      len = d[i + 1];
      i += 2;
    }
    if (i + len > end)
      return std::nullopt;
    if (eid == id)
      return std::string(reinterpret_cast<const char*>(&d[i]), len);
    i += len;
  }
  return std::nullopt;
}

void rewrite_header(std::span<std::uint8_t> d, std::uint16_t seq, std::uint32_t ts,
                    std::uint32_t ssrc) {
  if (d.size() < 12)
    return;
  d[2] = static_cast<std::uint8_t>(seq >> 8);
  d[3] = static_cast<std::uint8_t>(seq);
  for (int k = 0; k < 4; ++k) {
    d[4 + k] = static_cast<std::uint8_t>(ts >> (24 - 8 * k));
    d[8 + k] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * k));
  }
}

}  // namespace vr::media::simulcast
