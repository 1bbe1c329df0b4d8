#include "media/simulcast/keyframe.hpp"

#include "media/simulcast/vp8_descriptor.hpp"

namespace vr::media::simulcast {

bool vp8_keyframe_start(std::span<const std::uint8_t> p) {
  if (p.empty())
    return false;
  const bool start = p[0] & 0x10;
  const int partition = p[0] & 0x07;
  if (!start || partition != 0)
    return false;
  auto i = vp8_descriptor_size(p);
  if (!i || *i >= p.size())
    return false;
  return (p[*i] & 0x01) == 0;  // P bit of the frame tag: 0 is a key frame
}

bool h264_keyframe_start(std::span<const std::uint8_t> p) {
  if (p.empty())
    return false;
  const int type = p[0] & 0x1f;
  auto key = [](int t) { return t == 5 || t == 7; };
  if (type >= 1 && type <= 23)
    return key(type);
  if (type == 24) {  // STAP-A: 16-bit size, then the NAL unit
    for (std::size_t i = 1; i + 2 < p.size();) {
      const std::size_t size = std::size_t{p[i]} << 8 | p[i + 1];
      if (size == 0 || i + 2 + size > p.size())
        return false;
      if (key(p[i + 2] & 0x1f))
        return true;
      i += 2 + size;
    }
    return false;
  }
  if (type == 28 && p.size() >= 2)  // FU-A: start bit and the fragmented type
    return (p[1] & 0x80) && key(p[1] & 0x1f);
  return false;
}

bool keyframe_start(codec c, std::span<const std::uint8_t> payload) {
  switch (c) {
    case codec::vp8:
      return vp8_keyframe_start(payload);
    case codec::h264:
      return h264_keyframe_start(payload);
    case codec::other:
      break;
  }
  return false;
}

}  // namespace vr::media::simulcast
