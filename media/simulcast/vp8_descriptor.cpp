#include "media/simulcast/vp8_descriptor.hpp"

namespace vr::media::simulcast {
namespace {

// Where the descriptor keeps the fields, if it has them.
struct layout {
  std::size_t picture_id = 0, tl0picidx = 0;  // offsets, 0: absent
  bool long_picture_id = false;
  std::size_t size = 1;  // of the whole descriptor
};

std::optional<layout> find(std::span<const std::uint8_t> p) {
  layout l;
  if (p.empty())
    return std::nullopt;
  if (!(p[0] & 0x80))  // X: no extension byte, no ids
    return l;
  std::size_t i = 1;
  if (i >= p.size())
    return std::nullopt;
  const std::uint8_t x = p[i++];
  if (x & 0x80) {  // I
    if (i >= p.size())
      return std::nullopt;
    l.picture_id = i;
    l.long_picture_id = p[i] & 0x80;
    i += l.long_picture_id ? 2 : 1;
  }
  if (x & 0x40) {  // L
    l.tl0picidx = i;
    ++i;
  }
  if (x & 0x30)  // T or K
    ++i;
  if (i > p.size())
    return std::nullopt;
  l.size = i;
  return l;
}

}  // namespace

std::optional<std::size_t> vp8_descriptor_size(std::span<const std::uint8_t> p) {
  auto l = find(p);
  return l ? std::optional<std::size_t>(l->size) : std::nullopt;
}

std::optional<vp8_ids> read_vp8_ids(std::span<const std::uint8_t> p) {
  auto l = find(p);
  if (!l)
    return std::nullopt;
  vp8_ids ids;
  if (l->picture_id) {
    ids.long_picture_id = l->long_picture_id;
    ids.picture_id =
      l->long_picture_id
        ? static_cast<std::uint16_t>((p[l->picture_id] & 0x7f) << 8 | p[l->picture_id + 1])
        : static_cast<std::uint16_t>(p[l->picture_id] & 0x7f);
  }
  if (l->tl0picidx)
    ids.tl0picidx = p[l->tl0picidx];
  return ids;
}

void write_vp8_ids(std::span<std::uint8_t> p, const vp8_ids& ids) {
  auto l = find(p);
  if (!l)
    return;
  if (l->picture_id && ids.picture_id) {
    if (l->long_picture_id) {
      p[l->picture_id] = static_cast<std::uint8_t>(0x80 | ((*ids.picture_id >> 8) & 0x7f));
      p[l->picture_id + 1] = static_cast<std::uint8_t>(*ids.picture_id);
    } else {
      p[l->picture_id] = static_cast<std::uint8_t>(*ids.picture_id & 0x7f);
    }
  }
  if (l->tl0picidx && ids.tl0picidx)
    p[l->tl0picidx] = *ids.tl0picidx;
}

}  // namespace vr::media::simulcast
