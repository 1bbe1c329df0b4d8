#include "signaling/metrics.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <thread>
#include <vector>

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

TEST_CASE("a whole exposition, exactly", "[metrics]") {
  metrics m;
  m.describe("vr_b_total", "counter", "Path \\ and\nnewline \"kept\"");
  m.add("vr_b_total", 0.5, {{"k", "x"}, {"z", "y"}});
  m.add("vr_b_total", 1e21, {{"k", "big"}});
  m.describe("vr_a", "gauge", "Declared, nothing yet");
  m.set("vr_c", std::numeric_limits<double>::infinity());
  m.set("vr_c", -std::numeric_limits<double>::infinity(), {{"s", "-"}});
  m.set("vr_c", std::numeric_limits<double>::quiet_NaN(), {{"s", "n"}});
  CHECK(m.render() ==
        "# HELP vr_a Declared, nothing yet\n"
        "# TYPE vr_a gauge\n"
        "vr_a 0\n"
        "# HELP vr_b_total Path \\\\ and\\nnewline \"kept\"\n"
        "# TYPE vr_b_total counter\n"
        "vr_b_total{k=\"big\"} 1e+21\n"
        "vr_b_total{k=\"x\",z=\"y\"} 0.5\n"
        "# TYPE vr_c untyped\n"
        "vr_c +Inf\n"
        "vr_c{s=\"-\"} -Inf\n"
        "vr_c{s=\"n\"} NaN\n");
}

TEST_CASE("describe keeps the series - counts are exact across threads", "[metrics]") {
  metrics m;
  m.add("vr_x_total", 2);
  m.describe("vr_x_total", "counter", "X");
  CHECK(m.get("vr_x_total") == 2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i)
        m.add("vr_x_total", 1);
    });
  for (auto& t : threads)
    t.join();
  CHECK(m.get("vr_x_total") == 40002);
  CHECK(m.render() == "# HELP vr_x_total X\n# TYPE vr_x_total counter\nvr_x_total 40002\n");
}
