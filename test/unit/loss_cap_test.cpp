#include "media/simulcast/loss_cap.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace vr::media::simulcast;

namespace {
constexpr std::int64_t s = 1'000'000;
}

TEST_CASE("simulcast: heavy loss steps the cap one layer below the forwarded one, once per settle",
          "[simulcast][loss_cap]") {
  loss_cap c;
  CHECK(c.cap() == variant::h);
  CHECK_FALSE(c.on_report(0.05, variant::h, 0 * s));  // between the thresholds: no change
  CHECK(c.on_report(0.30, variant::h, 1 * s) == variant::m);
  // Reports during the settle time still describe the old layer.
  CHECK_FALSE(c.on_report(0.30, variant::m, 2 * s));
  CHECK(c.on_report(0.30, variant::m, 3 * s + 1) == variant::l);
  // Nothing below l.
  CHECK_FALSE(c.on_report(0.50, variant::l, 10 * s));
  CHECK(c.cap() == variant::l);
}

TEST_CASE("simulcast: the cap is below what is forwarded, not below the last cap",
          "[simulcast][loss_cap]") {
  loss_cap c;
  // The subscriber asked for m itself: loss takes it to l, not to m.
  CHECK(c.on_report(0.20, variant::m, 0) == variant::l);
}

TEST_CASE("simulcast: a clean path steps the cap back up after a hold", "[simulcast][loss_cap]") {
  loss_cap c;
  REQUIRE(c.on_report(0.30, variant::h, 0) == variant::m);
  // Clean from 3 s: not before 5 s of it.
  CHECK_FALSE(c.on_report(0.0, variant::m, 3 * s));
  CHECK_FALSE(c.on_report(0.01, variant::m, 7 * s));
  CHECK(c.on_report(0.0, variant::m, 8 * s) == variant::h);
  CHECK_FALSE(c.on_report(0.0, variant::h, 30 * s));  // h is the top
}

TEST_CASE("simulcast: moderate loss neither steps down nor counts as clean",
          "[simulcast][loss_cap]") {
  loss_cap c;
  REQUIRE(c.on_report(0.30, variant::h, 0) == variant::m);
  CHECK_FALSE(c.on_report(0.0, variant::m, 3 * s));
  CHECK_FALSE(c.on_report(0.05, variant::m, 7 * s));  // resets the clean period
  CHECK_FALSE(c.on_report(0.0, variant::m, 8 * s));
  CHECK_FALSE(c.on_report(0.0, variant::m, 12 * s));
  CHECK(c.on_report(0.0, variant::m, 13 * s) == variant::h);
}

TEST_CASE("simulcast: failed probes up wait longer each time (no flapping)",
          "[simulcast][loss_cap]") {
  loss_cap c;
  std::int64_t t = 0;
  REQUIRE(c.on_report(0.30, variant::h, t) == variant::m);
  // Probe up after the 5 s hold, fail at once: 3 changes per cycle would be
  // flapping; the wait before each next probe doubles instead.
  std::int64_t hold = 5 * s;
  for (int probe = 0; probe < 4; probe++) {
    t += 2 * s;  // settled
    CHECK_FALSE(c.on_report(0.0, variant::m, t));
    CHECK_FALSE(c.on_report(0.0, variant::m, t + hold - 1));
    t += hold;
    REQUIRE(c.on_report(0.0, variant::m, t) == variant::h);
    t += 2 * s + 1;
    REQUIRE(c.on_report(0.40, variant::h, t) == variant::m);
    hold = std::min<std::int64_t>(hold * 2, 40 * s);
  }
  CHECK(hold == 40 * s);
  t += 2 * s;
  CHECK_FALSE(c.on_report(0.0, variant::m, t));
  CHECK_FALSE(c.on_report(0.0, variant::m, t + 39 * s));
  CHECK(c.on_report(0.0, variant::m, t + 40 * s) == variant::h);
}

TEST_CASE("simulcast: a probe up that stays clean resets the wait", "[simulcast][loss_cap]") {
  loss_cap c;
  REQUIRE(c.on_report(0.30, variant::h, 0) == variant::m);
  REQUIRE_FALSE(c.on_report(0.0, variant::m, 2 * s));
  REQUIRE(c.on_report(0.0, variant::m, 7 * s) == variant::h);
  REQUIRE(c.on_report(0.30, variant::h, 9 * s) == variant::m);  // failed: wait 10 s next
  REQUIRE_FALSE(c.on_report(0.0, variant::m, 11 * s));
  REQUIRE(c.on_report(0.0, variant::m, 21 * s) == variant::h);
  // Clean for long after that probe: the path takes h, the wait is back to 5 s.
  REQUIRE_FALSE(c.on_report(0.0, variant::h, 40 * s));
  REQUIRE(c.on_report(0.40, variant::h, 60 * s) == variant::m);  // averaged with the clean 40 s
  REQUIRE_FALSE(c.on_report(0.0, variant::m, 62 * s));
  CHECK(c.on_report(0.0, variant::m, 67 * s) == variant::h);
}

TEST_CASE("simulcast: random loss of a few percent that reads over 10% now and then moves nobody",
          "[simulcast][loss_cap]") {
  loss_cap c;
  // 5% random loss on reports of ~50 packets: single reports of 12%, 14% now and then.
  const double reports[] = {0.04, 0.12, 0.02, 0.06, 0.14, 0.04, 0.0, 0.08, 0.12, 0.02, 0.06, 0.04};
  std::int64_t t = 0;
  for (double f : reports)
    CHECK_FALSE(c.on_report(f, variant::h, t += s));
  CHECK(c.cap() == variant::h);
  // Sustained heavy loss (a capped path) steps down within a few reports.
  bool down = false;
  for (int i = 0; i < 3 && !down; ++i)
    down = c.on_report(0.25, variant::h, t += s) == variant::m;
  CHECK(down);
}
