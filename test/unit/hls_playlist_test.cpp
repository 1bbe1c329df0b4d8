#include "media/hls/hls_playlist.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using vr::media::hls::playlist;
using vr::media::hls::playlist_config;
using id = playlist::part_id;

namespace {

constexpr std::int64_t t0 = 1795352400123;  // 2026-11-22T13:00:00.123Z

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<std::string> with_prefix(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& l : lines(text))
    if (starts(l, prefix))
      out.push_back(l);
  return out;
}

// The value after "NAME=" in an attribute list line, up to the next comma.
std::string attr(const std::string& line, const std::string& name) {
  auto at = line.find(name + "=");
  REQUIRE(at != std::string::npos);
  at += name.size() + 1;
  return line.substr(at, line.find(',', at) - at);
}

// One segment's worth of parts: `n` parts of 0.25 s, the first independent.
// Timestamps advance 250 ms per part from `*clock`.
playlist::part_id gop(playlist& pl, int n, std::int64_t* clock) {
  playlist::part_id last{};
  for (int i = 0; i < n; ++i, *clock += 250)
    last = pl.add_part(0.25, i == 0, *clock);
  return last;
}

}  // namespace

TEST_CASE("hls: URIs and PROGRAM-DATE-TIME format", "[hls]") {
  CHECK(playlist::segment_uri(42) == "seg42.m4s");
  CHECK(playlist::part_uri(42, 3) == "seg42.p3.m4s");
  CHECK(playlist::format_program_date_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(playlist::format_program_date_time(t0) == "2026-11-22T13:00:00.123Z");
  CHECK(playlist::format_program_date_time(951868799999) == "2000-02-29T23:59:59.999Z");
  CHECK(playlist::format_program_date_time(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(playlist::format_program_date_time(t0 + 7) == "2026-11-22T13:00:00.130Z");
}

TEST_CASE("hls: tags present and in order", "[hls]") {
  playlist pl({});
  std::int64_t clock = t0;
  gop(pl, 8, &clock);
  gop(pl, 3, &clock);  // segment 1 open with 3 parts
  const auto l = lines(pl.render());
  const std::vector<std::string> expected = {
    "#EXTM3U",
    "#EXT-X-VERSION:9",
    "#EXT-X-TARGETDURATION:2",
    "#EXT-X-PART-INF:PART-TARGET=0.25000",
    "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.75000",
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-MAP:URI=\"init.mp4\"",
    "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T13:00:00.123Z",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p0.m4s\",INDEPENDENT=YES",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p1.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p2.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p3.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p4.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p5.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p6.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg0.p7.m4s\"",
    "#EXTINF:2.00000,",
    "seg0.m4s",
    "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T13:00:02.123Z",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg1.p0.m4s\",INDEPENDENT=YES",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg1.p1.m4s\"",
    "#EXT-X-PART:DURATION=0.25000,URI=\"seg1.p2.m4s\"",
    "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg1.p3.m4s\"",
  };
  CHECK(l == expected);
  CHECK(with_prefix(pl.render(), "#EXT-X-ENDLIST").empty());
}

TEST_CASE("hls: init URI from the config", "[hls]") {
  playlist_config c;
  c.init_uri = "v/init-3.mp4";
  playlist pl(c);
  pl.add_part(0.25, true, t0);
  CHECK(with_prefix(pl.render(), "#EXT-X-MAP:") ==
        std::vector<std::string>{"#EXT-X-MAP:URI=\"v/init-3.mp4\""});
}

TEST_CASE("hls: part and segment numbering", "[hls]") {
  playlist pl({});
  std::int64_t clock = t0;
  SECTION("an independent part starts a segment only once the target is reached") {
    CHECK(pl.add_part(0.25, true, clock) == id{0, 0});
    for (std::uint32_t p = 1; p < 8; ++p)  // keyframes before 2 s stay in segment 0
      CHECK(pl.add_part(0.25, p == 4, clock) == id{0, p});
    CHECK(pl.add_part(0.25, true, clock) == id{1, 0});  // 2.0 s reached
    CHECK(pl.add_part(0.25, false, clock) == id{1, 1});
  }
  SECTION("a dependent part never starts a segment, even far past the target") {
    pl.add_part(0.25, true, clock);
    for (std::uint32_t p = 1; p < 20; ++p)
      CHECK(pl.add_part(0.25, false, clock) == id{0, p});
    CHECK(pl.add_part(0.25, true, clock) == id{1, 0});
    const auto inf = with_prefix(pl.render(), "#EXTINF:");
    CHECK(inf == std::vector<std::string>{"#EXTINF:5.00000,"});
  }
  SECTION("the first part starts segment 0 even if dependent") {
    CHECK(pl.add_part(0.25, false, clock) == id{0, 0});
    CHECK(pl.add_part(0.25, true, clock) == id{0, 1});
  }
  SECTION("float sums just short of the target by rounding still count as reached") {
    playlist_config c;
    c.target_part_s = 0.2;
    playlist p2(c);
    for (std::uint32_t p = 0; p < 10; ++p)
      CHECK(p2.add_part(0.2, p == 0, clock) == id{0, p});
    CHECK(p2.add_part(0.2, true, clock) == id{1, 0});
  }
}

TEST_CASE("hls: EXTINF is the sum of its parts", "[hls]") {
  playlist pl({});
  const std::vector<std::vector<double>> segs = {
    {0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.1},
    {0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3},
    {0.21, 0.24, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25},
  };
  for (const auto& s : segs)
    for (std::size_t i = 0; i < s.size(); ++i)
      pl.add_part(s[i], i == 0, t0);
  pl.add_part(0.25, true, t0);  // closes the third
  const auto text = pl.render();
  std::vector<double> part_sum;
  std::vector<double> extinf;
  double sum = 0;
  for (const auto& l : lines(text)) {
    if (starts(l, "#EXT-X-PART:"))
      sum += std::stod(attr(l, "DURATION"));
    if (starts(l, "#EXTINF:")) {
      extinf.push_back(std::stod(l.substr(8)));
      part_sum.push_back(sum);
      sum = 0;
    }
  }
  REQUIRE(extinf.size() == 3);
  CHECK(extinf[0] == Approx(2.1).margin(1e-5));
  CHECK(extinf[1] == Approx(2.1).margin(1e-5));
  CHECK(extinf[2] == Approx(2.2).margin(1e-5));
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(extinf[i] == Approx(part_sum[i]).margin(1e-4));
}

TEST_CASE("hls: TARGETDURATION rounds the longest segment up", "[hls]") {
  auto td = [](const playlist& pl) {
    return std::stoi(with_prefix(pl.render(), "#EXT-X-TARGETDURATION:").at(0).substr(22));
  };
  std::int64_t clock = t0;
  SECTION("exact segments keep the configured target") {
    playlist pl({});
    for (int i = 0; i < 4; ++i)
      gop(pl, 8, &clock);
    CHECK(td(pl) == 2);
  }
  SECTION("a segment a bit over the target rounds up") {
    playlist pl({});
    gop(pl, 9, &clock);  // 2.25 s
    gop(pl, 1, &clock);
    CHECK(td(pl) == 3);
  }
  SECTION("a fractional configured target rounds up") {
    playlist_config c;
    c.target_segment_s = 1.5;
    playlist pl(c);
    gop(pl, 6, &clock);
    gop(pl, 1, &clock);
    CHECK(td(pl) == 2);
  }
  SECTION("a float sum a hair above an integer does not round up") {
    playlist_config c;
    c.target_part_s = 0.2;
    c.target_segment_s = 3.0;
    playlist pl(c);
    for (int i = 0; i < 15; ++i)
      pl.add_part(0.2, i == 0, t0);  // 3.0000000000000004 s
    pl.add_part(0.2, true, t0);
    CHECK(with_prefix(pl.render(), "#EXTINF:") == std::vector<std::string>{"#EXTINF:3.00000,"});
    CHECK(td(pl) == 3);
  }
  SECTION("never shrinks, even when the long segment slid out") {
    playlist_config c;
    c.window_segments = 3;
    playlist pl(c);
    gop(pl, 17, &clock);  // 4.25 s
    CHECK(td(pl) == 5);   // the open segment counts: it will be listed with its EXTINF
    for (int i = 0; i < 6; ++i)
      gop(pl, 8, &clock);
    CHECK(pl.media_sequence() > 0);
    CHECK(td(pl) == 5);
  }
}

TEST_CASE("hls: PART-HOLD-BACK is at least three part targets", "[hls]") {
  for (double part : {0.2, 0.25, 0.333, 0.5, 1.0}) {
    playlist_config c;
    c.target_part_s = part;
    playlist pl(c);
    pl.add_part(part, true, t0);
    const auto text = pl.render();
    const double target =
      std::stod(attr(with_prefix(text, "#EXT-X-PART-INF:").at(0), "PART-TARGET"));
    const auto control = with_prefix(text, "#EXT-X-SERVER-CONTROL:").at(0);
    CHECK(attr(control, "CAN-BLOCK-RELOAD") == "YES");
    CHECK(target == Approx(part).margin(1e-5));
    CHECK(std::stod(attr(control, "PART-HOLD-BACK")) >= 3 * target - 1e-9);
  }
}

TEST_CASE("hls: PROGRAM-DATE-TIME per segment is its first part's time", "[hls]") {
  playlist pl({});
  pl.add_part(0.25, true, t0);
  for (int i = 1; i < 8; ++i)
    pl.add_part(0.25, false, t0 + 250 * i);
  pl.add_part(0.25, true, t0 + 2000 + 5);  // a little jitter
  pl.add_part(0.25, false, t0 + 2250);
  CHECK(with_prefix(pl.render(), "#EXT-X-PROGRAM-DATE-TIME:") ==
        std::vector<std::string>{"#EXT-X-PROGRAM-DATE-TIME:2026-11-22T13:00:00.123Z",
                                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T13:00:02.128Z"});
}

TEST_CASE("hls: preload hint names the next part of the open segment", "[hls]") {
  playlist pl({});
  auto hint = [&] { return with_prefix(pl.render(), "#EXT-X-PRELOAD-HINT:"); };
  CHECK(hint() == std::vector<std::string>{"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg0.p0.m4s\""});
  std::int64_t clock = t0;
  gop(pl, 3, &clock);
  CHECK(hint() == std::vector<std::string>{"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg0.p3.m4s\""});
  gop(pl, 5, &clock);
  CHECK(hint() == std::vector<std::string>{"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg0.p8.m4s\""});
  gop(pl, 1, &clock);
  CHECK(hint() == std::vector<std::string>{"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg1.p1.m4s\""});
  CHECK(lines(pl.render()).back() == "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg1.p1.m4s\"");
}

TEST_CASE("hls: has() for blocking reload", "[hls]") {
  playlist pl({});
  CHECK_FALSE(pl.has(0, std::nullopt));
  CHECK_FALSE(pl.has(0, 0u));
  std::int64_t clock = t0;
  gop(pl, 3, &clock);  // (0,0)..(0,2), segment 0 open
  CHECK(pl.has(0, 0u));
  CHECK(pl.has(0, 2u));
  CHECK_FALSE(pl.has(0, 3u));
  CHECK_FALSE(pl.has(0, std::nullopt));  // segment 0 is not complete yet
  CHECK_FALSE(pl.has(1, 0u));
  gop(pl, 5, &clock);  // segment 0 has 8 parts, still open
  CHECK(pl.has(0, 7u));
  CHECK_FALSE(pl.has(0, std::nullopt));
  gop(pl, 1, &clock);  // (1,0): segment 0 complete
  CHECK(pl.has(0, std::nullopt));
  CHECK(pl.has(0, 8u));  // no part 8 in segment 0: (1,0) is "later"
  CHECK(pl.has(0, 100u));
  CHECK(pl.has(1, 0u));
  CHECK_FALSE(pl.has(1, 1u));
  CHECK_FALSE(pl.has(1, std::nullopt));
  CHECK_FALSE(pl.has(2, 0u));
  pl.end();
  CHECK(pl.has(1, std::nullopt));
  CHECK(pl.has(7, 3u));  // ended: nothing to wait for
}

TEST_CASE("hls: too_far() for blocking reload", "[hls]") {
  playlist pl({});
  std::int64_t clock = t0;
  SECTION("before the first part") {
    CHECK_FALSE(pl.too_far(0, std::nullopt));
    CHECK_FALSE(pl.too_far(1, std::nullopt));
    CHECK(pl.too_far(2, std::nullopt));
    CHECK_FALSE(pl.too_far(0, 11u));
    CHECK(pl.too_far(0, 12u));
  }
  SECTION("msn beyond the last segment + 2") {
    gop(pl, 8, &clock);
    gop(pl, 8, &clock);
    gop(pl, 2, &clock);  // open segment 2
    CHECK_FALSE(pl.too_far(0, std::nullopt));
    CHECK_FALSE(pl.too_far(3, std::nullopt));
    CHECK_FALSE(pl.too_far(4, std::nullopt));
    CHECK(pl.too_far(5, std::nullopt));
    CHECK(pl.too_far(5, 0u));
  }
  SECTION("part beyond the advance part limit (3 / 0.25 s = 12 parts)") {
    gop(pl, 3, &clock);  // last part (0,2)
    CHECK_FALSE(pl.too_far(0, 3u));
    CHECK_FALSE(pl.too_far(0, 14u));  // 12 ahead
    CHECK(pl.too_far(0, 15u));        // 13 ahead
    CHECK_FALSE(pl.too_far(1, 11u));  // at least 12 ahead
    CHECK(pl.too_far(1, 12u));
    CHECK_FALSE(pl.too_far(0, 0u));  // old part: answered at once
  }
  SECTION("part target of 1 s or more: limit of 3 parts") {
    playlist_config c;
    c.target_part_s = 1.0;
    c.target_segment_s = 4.0;
    playlist p1(c);
    p1.add_part(1.0, true, t0);
    CHECK_FALSE(p1.too_far(0, 3u));
    CHECK(p1.too_far(0, 4u));
  }
  SECTION("ended: never too far") {
    gop(pl, 3, &clock);
    pl.end();
    CHECK_FALSE(pl.too_far(9, 50u));
  }
}

TEST_CASE("hls: window slides and expired files are listed once", "[hls]") {
  playlist_config c;
  c.window_segments = 3;
  playlist pl(c);
  std::int64_t clock = t0;
  auto media_sequence = [&] { return with_prefix(pl.render(), "#EXT-X-MEDIA-SEQUENCE:"); };
  for (int i = 0; i < 3; ++i)
    gop(pl, 8, &clock);
  gop(pl, 2, &clock);  // segments 0..2 complete, 3 open
  CHECK(media_sequence() == std::vector<std::string>{"#EXT-X-MEDIA-SEQUENCE:0"});
  CHECK(pl.take_expired().empty());

  gop(pl, 6, &clock);
  gop(pl, 1, &clock);  // segment 3 complete: segment 0 slides out
  CHECK(media_sequence() == std::vector<std::string>{"#EXT-X-MEDIA-SEQUENCE:1"});
  const std::vector<std::string> seg0 = {"seg0.m4s",    "seg0.p0.m4s", "seg0.p1.m4s",
                                         "seg0.p2.m4s", "seg0.p3.m4s", "seg0.p4.m4s",
                                         "seg0.p5.m4s", "seg0.p6.m4s", "seg0.p7.m4s"};
  CHECK(pl.take_expired() == seg0);
  CHECK(pl.take_expired().empty());  // once

  const auto text = pl.render();
  CHECK(with_prefix(text, "#EXTINF:").size() == 3);
  CHECK(text.find("seg0.") == std::string::npos);
  CHECK(text.find("seg1.m4s") != std::string::npos);
  CHECK(with_prefix(text, "#EXT-X-PROGRAM-DATE-TIME:").at(0) ==
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T13:00:02.123Z");

  gop(pl, 7, &clock);  // segment 4: its keyframe under the target does not cut it
  gop(pl, 8, &clock);  // segment 5 starts: 4 complete, 1 out
  gop(pl, 1, &clock);  // segment 6 starts: 5 complete, 2 out
  CHECK(media_sequence() == std::vector<std::string>{"#EXT-X-MEDIA-SEQUENCE:3"});
  const auto expired = pl.take_expired();
  CHECK(expired.size() == 18);
  CHECK(expired.front() == "seg1.m4s");
  CHECK(expired[9] == "seg2.m4s");
  CHECK(expired.back() == "seg2.p7.m4s");
}

TEST_CASE("hls: a window shorter than 3 segments is raised to 3", "[hls]") {
  playlist_config c;
  c.window_segments = 1;
  playlist pl(c);
  std::int64_t clock = t0;
  for (int i = 0; i < 4; ++i)
    gop(pl, 8, &clock);
  gop(pl, 1, &clock);
  CHECK(with_prefix(pl.render(), "#EXTINF:").size() == 3);
  CHECK(pl.media_sequence() == 1);
}

TEST_CASE("hls: parts only within three target durations of the end", "[hls]") {
  playlist pl({});  // 6 segments, target 2 s: parts of the last 3 complete ones and the open one
  std::int64_t clock = t0;
  for (int i = 0; i < 6; ++i)
    gop(pl, 8, &clock);
  gop(pl, 2, &clock);
  const auto text = pl.render();
  CHECK(text.find("seg2.p0.m4s") == std::string::npos);
  CHECK(text.find("seg2.m4s") != std::string::npos);
  for (const char* p : {"seg3.p0.m4s", "seg4.p7.m4s", "seg5.p0.m4s", "seg6.p1.m4s"})
    CHECK(text.find(p) != std::string::npos);
  CHECK(with_prefix(text, "#EXT-X-PART:").size() == 3 * 8 + 2);
}

TEST_CASE("hls: end() completes the open segment, adds ENDLIST, drops the hint", "[hls]") {
  playlist_config c;
  c.window_segments = 3;
  playlist pl(c);
  std::int64_t clock = t0;
  for (int i = 0; i < 3; ++i)
    gop(pl, 8, &clock);
  gop(pl, 3, &clock);  // open segment 3
  pl.take_expired();
  pl.end();
  CHECK(pl.ended());
  const auto l = lines(pl.render());
  CHECK(l.back() == "#EXT-X-ENDLIST");
  CHECK(l[l.size() - 3] == "#EXTINF:0.75000,");
  CHECK(l[l.size() - 2] == "seg3.m4s");
  CHECK(with_prefix(pl.render(), "#EXT-X-PRELOAD-HINT").empty());
  // The completed segment counts toward the window: segment 0 slides out.
  CHECK(pl.media_sequence() == 1);
  CHECK(pl.take_expired().size() == 9);
  CHECK_THROWS_AS(pl.add_part(0.25, true, clock), std::logic_error);
  pl.end();  // idempotent
  CHECK(with_prefix(pl.render(), "#EXT-X-ENDLIST").size() == 1);
}
