// The LL-HLS packager with synthetic samples: where parts and segments are
// cut, what files exist, keyframe requests, audio waiting, the end, expiry.
#include "media/hls/hls_packager.hpp"
#include "test/support/hls_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

using namespace vr::media;
using vr::test::playlist_values;
using vr::test::slurp;
using vr::test::temp_dir;
namespace fs = std::filesystem;

namespace {

const fmp4::bytes avcc{0x01, 0x42, 0xc0, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67,
                       0x42, 0xc0, 0x1f, 0x01, 0x00, 0x02, 0x68, 0xce};
const fmp4::bytes asc{0x11, 0x90};
constexpr std::int64_t ms = 1'000'000;

// A publisher simulation: 30 fps video whose encoder answers a keyframe
// request with its next frame, and 48 kHz AAC frames, on one clock.
struct feed {
  hls::packager_config cfg;
  std::vector<std::shared_ptr<const hls::snapshot>> snaps;
  int keyframe_requests = 0;
  bool keyframe_next = false;
  std::int64_t clock_ms = 1'700'000'000'000;
  std::unique_ptr<hls::packager> p;
  std::int64_t video_ns = 5000 * ms, audio_ns = 5000 * ms;  // running time starts anywhere

  explicit feed(const fs::path& dir, bool video = true, bool audio = true) {
    cfg.dir = dir;
    cfg.playlist = {.target_part_s = 0.3, .target_segment_s = 2.0, .window_segments = 3};
    cfg.video = video;
    cfg.audio = audio;
    cfg.expiry_grace = std::chrono::milliseconds(1000);
    cfg.now_ms = [this] { return clock_ms; };
  }
  void start() {
    hls::packager_events ev;
    ev.update = [this](auto s) { snaps.push_back(std::move(s)); };
    ev.want_keyframe = [this] { keyframe_requests++, keyframe_next = true; };
    p = std::make_unique<hls::packager>(cfg, std::move(ev));
  }
  std::vector<std::int64_t> jitter_ns;  // added to successive frame intervals, in turn
  std::size_t frames = 0;
  void frame() {
    bool key = keyframe_next;
    keyframe_next = false;
    p->push_video(fmp4::bytes(100, key ? 0xaa : 0xbb), video_ns, key);
    video_ns += 33'333'333 + (jitter_ns.empty() ? 0 : jitter_ns[frames++ % jitter_ns.size()]);
  }
  void audio_frame() {
    p->push_audio(fmp4::bytes(20, 0xcc), audio_ns);
    audio_ns += 1024 * 1'000'000'000ll / 48000;
  }
  // Both tracks for `seconds` of media, interleaved by time.
  void run(double seconds) {
    const std::int64_t end =
      std::max(video_ns, audio_ns) + static_cast<std::int64_t>(seconds * 1e9);
    while ((cfg.video && video_ns < end) || (cfg.audio && audio_ns < end)) {
      if (cfg.video && (!cfg.audio || video_ns <= audio_ns))
        frame();
      else
        audio_frame();
      clock_ms = 1'700'000'000'000 + std::max(video_ns, audio_ns) / ms;
    }
  }
  const hls::snapshot& last() const { return *snaps.back(); }
  // Video and audio with codec config from a keyframe on, for `seconds`.
  void run_av(double seconds) {
    start();
    p->set_video({avcc, 320, 240});
    p->set_audio({asc, 48000, 2});
    keyframe_next = true;
    run(seconds);
  }
};

// Parts within PART-TARGET; segment msn + 1's file is its parts back to back.
void check_parts(const feed& f, const fs::path& dir) {
  const auto& text = f.last().text;
  INFO(text);
  auto parts = playlist_values(text, "#EXT-X-PART:DURATION=");
  REQUIRE(parts.size() > 10);
  for (double d : parts)
    CHECK(d <= 0.3 + 1e-9);
  const auto msn = f.last().list.media_sequence();
  std::string joined;
  for (std::uint32_t p = 0; fs::exists(dir / hls::playlist::part_uri(msn + 1, p)); ++p)
    joined += slurp(dir / hls::playlist::part_uri(msn + 1, p));
  CHECK(joined == slurp(dir / hls::playlist::segment_uri(msn + 1)));
}

}  // namespace

TEST_CASE("nothing is written before a keyframe with codec config, then init.mp4 and parts",
          "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path);
  f.start();
  f.p->set_audio({asc, 48000, 2});
  f.run(0.5);  // no video config, no keyframe: asked for one, nothing written
  CHECK(f.snaps.empty());
  CHECK(f.keyframe_requests >= 1);
  CHECK_FALSE(fs::exists(dir.path / "init.mp4"));
  f.p->set_video({avcc, 320, 240});
  f.keyframe_next = true;
  f.run(1.0);
  CHECK(fs::exists(dir.path / "init.mp4"));
  REQUIRE_FALSE(f.snaps.empty());
  CHECK(f.last().text.find("seg0.p0.m4s\",INDEPENDENT=YES") != std::string::npos);
  CHECK(f.p->stats().dropped_video > 0);
}

TEST_CASE("parts stay within PART-TARGET and segments start on keyframes near the target",
          "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path);
  f.run_av(9.0);
  check_parts(f, dir.path);
  const auto& text = f.last().text;
  INFO(text);
  auto segments = playlist_values(text, "#EXTINF:");
  REQUIRE(segments.size() >= 3);
  for (double d : segments) {
    CHECK(d >= 1.7 - 1e-6);
    CHECK(d <= 2.5);
  }
  // Every segment's first part is independent.
  const auto msn = f.last().list.media_sequence();
  CHECK(text.find(hls::playlist::part_uri(msn + 1, 0) + "\",INDEPENDENT=YES") != std::string::npos);
  // Keyframes were asked for about once a segment, not every frame.
  CHECK(f.keyframe_requests <= 2 * static_cast<int>(segments.size()) + 3);
  CHECK(text.find("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:2") != std::string::npos);
}

TEST_CASE("parts stay within PART-TARGET when frame intervals jitter", "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path);
  // Arrival-timed frames (rtpjitterbuffer's default mode): intervals of
  // 30 to 45 ms around 33.3, so a frame is often longer than the one before.
  f.jitter_ns = {-3 * ms, 4 * ms,  -2 * ms, 11 * ms, -3 * ms, -4 * ms,
                 7 * ms,  -3 * ms, -5 * ms, 1 * ms,  -3 * ms};
  f.run_av(12.0);
  check_parts(f, dir.path);
}

TEST_CASE("without audio config the stream starts video-only after audio_wait", "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path, true, true);
  f.cfg.audio_wait = std::chrono::milliseconds(1000);
  f.start();
  f.p->set_video({avcc, 320, 240});
  f.keyframe_next = true;
  for (int i = 0; i < 20; ++i)
    f.frame();  // 0.66 s: still waiting for audio
  CHECK(f.snaps.empty());
  for (int i = 0; i < 60 && f.snaps.empty(); ++i) {
    f.keyframe_next = f.keyframe_next || i % 10 == 0;
    f.frame();
  }
  for (int i = 0; i < 30; ++i)
    f.frame();
  REQUIRE_FALSE(f.snaps.empty());
  auto init = slurp(dir.path / "init.mp4");
  CHECK(init.find("avc1") != std::string::npos);
  CHECK(init.find("mp4a") == std::string::npos);
}

TEST_CASE("audio-only streams cut parts by audio time, all independent", "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path, false, true);
  f.start();
  f.p->set_audio({asc, 48000, 2});
  f.run(5.0);
  const auto& text = f.last().text;
  INFO(text);
  auto parts = playlist_values(text, "#EXT-X-PART:DURATION=");
  REQUIRE(parts.size() > 10);
  for (double d : parts)
    CHECK(d <= 0.3);
  CHECK(text.find("#EXTINF:") != std::string::npos);
  // Every part line is independent.
  std::regex dependent("#EXT-X-PART:DURATION=[0-9.]+,URI=\"[^\"]+\"\n");
  CHECK_FALSE(std::regex_search(text, dependent));
}

TEST_CASE("finish writes the rest as a last part and ends the playlist - later samples are ignored",
          "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path);
  f.start();
  f.p->set_video({avcc, 320, 240});
  f.p->set_audio({asc, 48000, 2});
  f.keyframe_next = true;
  f.run(3.1);
  const auto before = f.snaps.size();
  f.p->finish();
  // The pending frames as a last part, then the end.
  REQUIRE(f.snaps.size() == before + 2);
  CHECK_FALSE(f.snaps[before]->list.ended());
  const auto& list = f.last().list;
  CHECK(list.ended());
  CHECK(f.last().text.find("#EXT-X-ENDLIST") != std::string::npos);
  CHECK(fs::exists(dir.path / hls::playlist::segment_uri(1)));
  f.run(1.0);
  f.p->finish();
  CHECK(f.snaps.size() == before + 2);
}

TEST_CASE("files that slid out of the window are deleted after the grace period",
          "[hls-packager]") {
  temp_dir dir("vr-packager-test-");
  feed f(dir.path);
  f.start();
  f.p->set_video({avcc, 320, 240});
  f.p->set_audio({asc, 48000, 2});
  f.keyframe_next = true;
  f.run(14.0);
  const auto first = f.last().list.media_sequence();
  REQUIRE(first >= 2);
  CHECK_FALSE(fs::exists(dir.path / "seg0.m4s"));
  CHECK_FALSE(fs::exists(dir.path / "seg0.p0.m4s"));
  CHECK(fs::exists(dir.path / hls::playlist::segment_uri(first)));
  CHECK(fs::exists(dir.path / "init.mp4"));
  CHECK(f.p->stats().deleted_files > 0);
  // No temp files stay behind.
  for (const auto& e : fs::directory_iterator(dir.path))
    CHECK(e.path().extension() != ".tmp");
}
