// How high a subscriber's simulcast layer may go, from the loss it reports
// (RTCP receiver reports' fraction lost on the forwarded stream): a congested
// path loses packets at the bottleneck's drop-tail queue. Plain C++, unit-tested.
//
// The loss is smoothed over reports (a moving average): random loss of a few
// percent on a report of ~50 packets often reads above 10% once, and must not
// move anyone. Heavy loss steps the cap one layer below the one being forwarded; a clean
// path for `hold` steps it one up again. A step up that is followed by loss
// soon after was a failed probe: the next one waits twice as long (up to
// `max_hold`), so a capped path does not flap between two layers.
#pragma once

#include "media/simulcast/variant.hpp"

#include <cstdint>
#include <optional>

namespace vr::media::simulcast {

class loss_cap {
public:
  struct config {
    double down_loss = 0.10;             // above (averaged): step down
    double up_loss = 0.02;               // below, for `hold`: step up
    std::int64_t settle_us = 2'000'000;  // after a change, reports are of the old layer
    std::int64_t hold_us = 5'000'000;
    std::int64_t max_hold_us = 40'000'000;
    double smoothing = 0.4;  // weight of a new report in the average
  };
  loss_cap() : loss_cap(config{}) {}
  explicit loss_cap(config c) : cfg_(c), hold_us_(c.hold_us) {}

  // A new report: `fraction_lost` in [0, 1] of the layer `forwarded`. Returns
  // the new cap if it changed.
  std::optional<variant> on_report(double fraction_lost, variant forwarded, std::int64_t now_us);
  variant cap() const { return cap_; }

private:
  config cfg_;
  variant cap_ = variant::h;
  std::int64_t changed_us_ = -1;  // the last change (-1: none)
  bool last_was_up_ = false;
  std::int64_t good_since_us_ = -1;
  std::int64_t hold_us_;
  double average_ = -1;  // of the reports since the last change (-1: none yet)
};

}  // namespace vr::media::simulcast
