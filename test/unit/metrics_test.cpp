#include "signaling/metrics.hpp"

#include <catch2/catch.hpp>

using vr::signaling::metrics;

TEST_CASE("metrics render in Prometheus text format", "[metrics]") {
  metrics m;
  m.describe("vr_rooms", "gauge", "Open rooms by type");
  m.add("vr_rooms", 1, {{"type", "group"}});
  m.add("vr_rooms", 2, {{"type", "call"}});
  m.add("vr_rooms", -1, {{"type", "call"}});
  m.add("vr_frames_in_total", 3);
  m.set("vr_odd", 1, {{"v", "a\"b\\c\nd"}});
  CHECK(m.get("vr_rooms", {{"type", "call"}}) == 1);
  CHECK(m.get("vr_missing") == 0);
  auto text = m.render();
  CHECK(text.find("# HELP vr_rooms Open rooms by type\n# TYPE vr_rooms gauge\n") !=
        std::string::npos);
  CHECK(text.find("vr_rooms{type=\"call\"} 1\n") != std::string::npos);
  CHECK(text.find("vr_rooms{type=\"group\"} 1\n") != std::string::npos);
  CHECK(text.find("# TYPE vr_frames_in_total untyped\nvr_frames_in_total 3\n") !=
        std::string::npos);
  CHECK(text.find(R"(vr_odd{v="a\"b\\c\nd"} 1)") != std::string::npos);
  // Families are sorted by name.
  CHECK(text.find("vr_frames_in_total") < text.find("vr_odd"));
  CHECK(text.find("vr_odd") < text.find("vr_rooms"));
}
