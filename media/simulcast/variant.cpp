#include "media/simulcast/variant.hpp"

#include <algorithm>

namespace vr::media::simulcast {

std::optional<variant> parse_variant(std::string_view rid) {
  if (rid == "l")
    return variant::l;
  if (rid == "m")
    return variant::m;
  if (rid == "h")
    return variant::h;
  return std::nullopt;
}

std::string_view to_string(variant v) {
  switch (v) {
    case variant::l:
      return "l";
    case variant::m:
      return "m";
    case variant::h:
      return "h";
  }
  return "l";
}

std::optional<variant> choose_variant(variant target, variant cap, variant_set enabled) {
  const int want = std::min(static_cast<int>(target), static_cast<int>(cap));
  for (int i = want; i >= 0; --i)
    if (enabled & (1u << i))
      return static_cast<variant>(i);
  for (int i = want + 1; i < 3; ++i)
    if (enabled & (1u << i))
      return static_cast<variant>(i);
  return std::nullopt;
}

variant cap_for_estimate(std::uint64_t estimate_bps,
                         const std::array<std::uint64_t, 3>& bitrate_bps) {
  for (int i = 2; i > 0; --i)
    if (bitrate_bps[static_cast<std::size_t>(i)] <= estimate_bps)
      return static_cast<variant>(i);
  return variant::l;
}

bool variant_activity::seen(variant v, std::int64_t now_us) {
  last_us_[static_cast<std::size_t>(v)] = now_us;
  const bool fresh = !(enabled_ & bit(v));
  enabled_ |= bit(v);
  return fresh;
}

std::vector<variant> variant_activity::expire(std::int64_t now_us) {
  std::vector<variant> gone;
  for (variant v : all_variants)
    if ((enabled_ & bit(v)) && now_us - last_us_[static_cast<std::size_t>(v)] > timeout_us_) {
      enabled_ &= static_cast<variant_set>(~bit(v));
      gone.push_back(v);
    }
  return gone;
}

}  // namespace vr::media::simulcast
