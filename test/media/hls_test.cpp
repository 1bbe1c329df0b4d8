// LL-HLS recording in media::session: a test peer publishes, the session
// writes fMP4 parts and segments, and ffprobe (an independent reader) finds
// H264 video and AAC audio it can decode.
#include "test/media/ffprobe.hpp"
#include "test/media/room_fixture.hpp"
#include "test/support/hls_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

using namespace vr;
using namespace vr::test;
namespace fs = std::filesystem;

namespace {

media::session_config broadcast_config() {
  auto cfg = loopback_config();
  cfg.prefer_h264 = true;
  return cfg;
}

// init.mp4 followed by the given files, as a player appends them.
fs::path concat(const fs::path& dir, const std::vector<std::string>& names) {
  auto out_path = dir / "probe.mp4";
  std::ofstream out(out_path, std::ios::binary);
  out << slurp(dir / "init.mp4");
  for (const auto& n : names)
    out << slurp(dir / n);
  return out_path;
}

bool complete_segments(room& r, const std::string& id, std::uint64_t n) {
  auto snap = r.hls(id);
  return snap && snap->list.has(n - 1, std::nullopt);
}

}  // namespace

TEST_CASE("an H264 + Opus publisher is recorded as LL-HLS that ffprobe decodes as H264 + AAC") {
  temp_dir dir("vr-hls-test-");
  room r(broadcast_config());
  peer_options opts;
  opts.video_codec = "H264";
  opts.fps = 30;
  auto a = r.join("alice", true, opts);
  media::hls_output out;
  out.dir = dir.path / "alice";
  r.session().record_hls("alice", out);

  REQUIRE(wait_until([&] { return complete_segments(r, "alice", 2); }, 20s));
  auto snap = r.hls("alice");
  INFO(snap->text);
  // Segments on keyframes about 2 s long, parts of at most PART-TARGET.
  auto extinf = playlist_values(snap->text, "#EXTINF:");
  REQUIRE(extinf.size() >= 2);
  for (double d : extinf) {
    CHECK(d >= 1.5);
    CHECK(d <= 3.0);
  }
  for (double d : playlist_values(snap->text, "#EXT-X-PART:DURATION="))
    CHECK(d <= 0.3 + 1e-9);
  // A segment's last part ends where a keyframe came, and may be short; no other is.
  const std::string but_last =
    std::regex_replace(snap->text, std::regex("#EXT-X-PART:[^\n]*\n#EXTINF"), "#EXTINF");
  for (double d : playlist_values(but_last, "#EXT-X-PART:DURATION="))
    CHECK(d > 0.05);
  CHECK(snap->text.find("#EXT-X-PRELOAD-HINT:TYPE=PART") != std::string::npos);
  CHECK(snap->text.find("INDEPENDENT=YES") != std::string::npos);

  // The segments and the parts of segment 1 exist; parts concatenated are the segment.
  CHECK(fs::exists(out.dir / "init.mp4"));
  CHECK(fs::exists(out.dir / "seg0.m4s"));
  CHECK(fs::exists(out.dir / "seg1.m4s"));
  std::string parts;
  for (std::uint32_t p = 0; fs::exists(out.dir / media::hls::playlist::part_uri(1, p)); ++p)
    parts += slurp(out.dir / media::hls::playlist::part_uri(1, p));
  CHECK(parts == slurp(out.dir / "seg1.m4s"));

  auto probe = ffprobe(concat(out.dir, {"seg0.m4s", "seg1.m4s"}).string());
  INFO(probe.raw);
  CHECK(probe.video_codec == "h264");
  CHECK(probe.audio_codec == "aac");
  CHECK(probe.width == 320);
  CHECK(probe.height == 240);
  CHECK(probe.duration_s >= 3.0);
  CHECK(probe.duration_s <= 6.5);
  // ~30 fps for the two segments' duration; every frame decodes.
  CHECK(probe.video_frames >= static_cast<long>(20 * (extinf[0] + extinf[1])));
  CHECK(probe.audio_frames >= static_cast<long>(40 * (extinf[0] + extinf[1])));

  // The publisher leaves: the stream ends.
  r.leave("alice");
  REQUIRE(wait_until([&] { return r.hls("alice")->list.ended(); }, 5s));
  CHECK(r.hls("alice")->text.find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(r.hls("alice")->text.find("PRELOAD-HINT") == std::string::npos);
  CHECK(r.errors().empty());
}

TEST_CASE("a VP8 publisher is transcoded to H264 for HLS") {
  temp_dir dir("vr-hls-test-");
  room r(broadcast_config());
  auto a = r.join("alice", true);  // VP8 only
  media::hls_output out;
  out.dir = dir.path / "alice";
  r.session().record_hls("alice", out);
  REQUIRE(wait_until([&] { return complete_segments(r, "alice", 1); }, 20s));
  auto probe = ffprobe(concat(out.dir, {"seg0.m4s"}).string());
  INFO(probe.raw);
  CHECK(probe.video_codec == "h264");
  CHECK(probe.audio_codec == "aac");
  CHECK(probe.video_frames > 10);
  CHECK(r.errors().empty());
}

TEST_CASE("old segments slide out of the playlist and their files are deleted") {
  temp_dir dir("vr-hls-test-");
  room r(broadcast_config());
  peer_options opts;
  opts.video_codec = "H264";
  auto a = r.join("alice", true, opts);
  media::hls_output out;
  out.dir = dir.path / "alice";
  out.playlist = {.target_part_s = 0.3, .target_segment_s = 1.0, .window_segments = 3};
  out.expiry_grace = 500ms;
  r.session().record_hls("alice", out);
  REQUIRE(wait_until([&] { return complete_segments(r, "alice", 6); }, 30s));
  auto snap = r.hls("alice");
  INFO(snap->text);
  CHECK(snap->list.media_sequence() >= 2);
  CHECK(snap->text.find("seg0.m4s") == std::string::npos);
  REQUIRE(wait_until(
    [&] { return !fs::exists(out.dir / "seg0.m4s") && !fs::exists(out.dir / "seg0.p0.m4s"); },
    10s));
  CHECK(fs::exists(out.dir / media::hls::playlist::segment_uri(snap->list.media_sequence())));
  CHECK(fs::exists(out.dir / "init.mp4"));
}

TEST_CASE("a publisher that leaves before any media ends an empty recording without errors") {
  temp_dir dir("vr-hls-test-");
  room r(broadcast_config());
  peer_options opts;
  opts.video_codec = "H264";
  auto a = r.join("alice", false, opts);
  media::hls_output out;
  out.dir = dir.path / "alice";
  r.session().record_hls("alice", out);
  r.leave("alice");
  std::this_thread::sleep_for(200ms);
  CHECK(r.hls("alice") == nullptr);  // never published: nothing was started
  CHECK(r.errors().empty());
}
