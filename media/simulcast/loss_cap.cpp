#include "media/simulcast/loss_cap.hpp"

#include <algorithm>

namespace vr::media::simulcast {

std::optional<variant> loss_cap::on_report(double fraction_lost, variant forwarded,
                                           std::int64_t now_us) {
  const bool settling = changed_us_ >= 0 && now_us - changed_us_ < cfg_.settle_us;
  // While settling, reports still tell of the old layer: they are not averaged.
  if (settling)
    return std::nullopt;
  average_ = average_ < 0 ? fraction_lost : average_ + cfg_.smoothing * (fraction_lost - average_);
  fraction_lost = average_;
  if (fraction_lost > cfg_.down_loss) {
    good_since_us_ = -1;
    if (settling || forwarded == variant::l)
      return std::nullopt;
    // Loss soon after a step up: that layer does not fit; probe it less often.
    if (last_was_up_ && now_us - changed_us_ < cfg_.settle_us + hold_us_)
      hold_us_ = std::min(hold_us_ * 2, cfg_.max_hold_us);
    cap_ = static_cast<variant>(static_cast<int>(forwarded) - 1);
    changed_us_ = now_us;
    average_ = -1;  // reports after the settle describe the new layer
    last_was_up_ = false;
    return cap_;
  }
  if (fraction_lost >= cfg_.up_loss || settling) {
    good_since_us_ = -1;
    return std::nullopt;
  }
  if (good_since_us_ < 0)
    good_since_us_ = now_us;
  // A step up that stayed clean for as long as a hold: the path takes it.
  if (last_was_up_ && now_us - changed_us_ >= cfg_.settle_us + cfg_.hold_us)
    hold_us_ = cfg_.hold_us;
  if (cap_ == variant::h || now_us - good_since_us_ < hold_us_)
    return std::nullopt;
  cap_ = static_cast<variant>(static_cast<int>(cap_) + 1);
  changed_us_ = now_us;
  average_ = -1;
  last_was_up_ = true;
  good_since_us_ = -1;
  return cap_;
}

}  // namespace vr::media::simulcast
