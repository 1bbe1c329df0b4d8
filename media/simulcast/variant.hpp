// Simulcast variants (rid "l", "m", "h") and which one a subscriber gets:
// what it asked for, capped by its bandwidth, skipping layers the publisher
// stopped sending. Plain C++, unit-tested without GStreamer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace vr::media::simulcast {

// Ordered by quality.
enum class variant : std::uint8_t {
  l = 0,
  m = 1,
  h = 2
};
inline constexpr std::array<variant, 3> all_variants{variant::l, variant::m, variant::h};

std::optional<variant> parse_variant(std::string_view rid);
std::string_view to_string(variant v);

// Bit i set: variant i is being received.
using variant_set = std::uint8_t;
constexpr variant_set bit(variant v) { return variant_set(1u << static_cast<unsigned>(v)); }

// The highest enabled variant not above min(target, cap); if there is none,
// the lowest enabled one above (a subscriber gets something rather than
// nothing). nullopt if nothing is enabled.
std::optional<variant> choose_variant(variant target, variant cap, variant_set enabled);

// The highest variant whose measured bitrate fits in `estimate_bps` (an
// unmeasured variant, 0, fits); `l` if none fits.
variant cap_for_estimate(std::uint64_t estimate_bps,
                         const std::array<std::uint64_t, 3>& bitrate_bps);

// Which variants are flowing: one seen within `timeout_us` is enabled.
class variant_activity {
public:
  explicit variant_activity(std::int64_t timeout_us) : timeout_us_(timeout_us) {}
  // Returns true if `v` was not enabled before.
  bool seen(variant v, std::int64_t now_us);
  // Variants that stopped since the last call.
  std::vector<variant> expire(std::int64_t now_us);
  variant_set enabled() const { return enabled_; }

private:
  std::int64_t timeout_us_;
  std::array<std::int64_t, 3> last_us_{};
  variant_set enabled_ = 0;
};

}  // namespace vr::media::simulcast
