// Broadcast rooms through the real server: the publisher sends H264 + Opus
// over WebRTC, viewers get an LL-HLS URL and no WebRTC, and what the server
// serves is read back over HTTP and decoded by ffprobe.
#include "test/media/ffprobe.hpp"
#include "test/sfu/sfu_helpers.hpp"
#include "test/support/hls_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace vr::test;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<protocol_peer> broadcaster(test_server& srv, const std::string& room,
                                           const std::string& codec) {
  peer_options po;
  po.video_codec = codec;
  po.fps = 30;
  auto p = std::make_unique<protocol_peer>("caster", po);
  join_options o;
  o.room_type = "broadcast";
  o.publish = true;
  auto r = p->connect_and_join(srv.port(), room, o);
  INFO(r.reason);
  REQUIRE(r.ok);
  REQUIRE(r.role == "publisher");
  return p;
}

std::string hls_url(const protocol_peer& p) {
  for (const auto& ev : p.events())
    if (ev.type == "peerAccepted") {
      std::smatch m;
      if (std::regex_search(ev.data, m, std::regex(R"re("hlsUrl":"([^"]+)")re")))
        return m[1];
    }
  return "";
}

// The playlist once it lists `segments` complete segments (bounded wait).
std::string playlist_with(test_server& srv, const std::string& url, int segments) {
  std::string text;
  for (int i = 0; i < 150; ++i) {
    auto r = srv.proc().request(url);
    text = r.body;
    int listed = 0;
    for (auto at = text.find("#EXTINF"); at != std::string::npos; at = text.find("#EXTINF", at + 1))
      listed++;
    if (r.status == 200 && listed >= segments)
      return text;
    std::this_thread::sleep_for(200ms);
  }
  FAIL("playlist never listed " << segments << " segments:\n" << text);
  return "";
}

std::string base_of(const std::string& url) { return url.substr(0, url.rfind('/') + 1); }

struct hint {
  std::uint64_t msn;
  std::uint32_t part;
};
hint preload_hint(const std::string& text) {
  std::smatch m;
  REQUIRE(std::regex_search(
    text, m, std::regex(R"re(#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg(\d+)\.p(\d+)\.m4s")re")));
  return {std::stoull(m[1]), static_cast<std::uint32_t>(std::stoul(m[2]))};
}

}  // namespace

TEST_CASE(
  "a broadcast is served as LL-HLS that ffprobe decodes as H264 and AAC - viewers hold no WebRTC",
  "[sfu][broadcast]") {
  test_server srv;
  auto caster = broadcaster(srv, "live", "H264");
  auto viewer = join_subscriber(srv, "live", "viewer");
  CHECK(viewer->role() == "viewer");
  const std::string url = hls_url(*viewer);
  INFO("hlsUrl " << url);
  REQUIRE(
    std::regex_match(url, std::regex(R"(/dev/live/[A-Za-z0-9_-]+/[0-9a-f]{16}/playlist\.m3u8)")));
  CHECK(hls_url(*caster) == url);

  const std::string text = playlist_with(srv, url, 2);
  INFO(text);
  for (const char* tag :
       {"#EXT-X-VERSION:9", "#EXT-X-TARGETDURATION:", "#EXT-X-PART-INF:PART-TARGET=",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=", "#EXT-X-PROGRAM-DATE-TIME:",
        "#EXT-X-PART:", "#EXT-X-PRELOAD-HINT:", "#EXT-X-MAP:URI=\"init.mp4\""})
    CHECK(text.find(tag) != std::string::npos);

  auto playlist = srv.proc().request(url);
  CHECK(playlist.content_type == "application/vnd.apple.mpegurl");
  CHECK(playlist.cache_control == "no-cache");
  CHECK(playlist.allow_origin == "*");

  // init + the first two listed segments, as a player appends them.
  std::vector<std::string> segs;
  const std::regex segment_line(R"(\n(seg\d+\.m4s)\n)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), segment_line);
       it != std::sregex_iterator() && segs.size() < 2; ++it)
    segs.push_back((*it)[1]);
  REQUIRE(segs.size() == 2);
  auto init = srv.proc().request(base_of(url) + "init.mp4");
  REQUIRE(init.status == 200);
  CHECK(init.content_type == "video/mp4");
  CHECK(init.cache_control.find("max-age=") == 0);
  temp_dir tmp("vr-broadcast-");
  fs::create_directories(tmp.path);
  const fs::path file = tmp.path / "probe.mp4";
  {
    std::ofstream out(file, std::ios::binary);
    out << init.body;
    for (const auto& s : segs) {
      auto r = srv.proc().request(base_of(url) + s);
      REQUIRE(r.status == 200);
      out << r.body;
    }
  }
  auto probe = ffprobe(file.string());
  INFO(probe.raw);
  CHECK(probe.video_codec == "h264");
  CHECK(probe.audio_codec == "aac");
  CHECK(probe.duration_s > 2.5);
  CHECK(probe.duration_s < 7.0);
  CHECK(probe.video_frames > 60);  // 30 fps over about four seconds: every frame decodes
  CHECK(probe.audio_frames > 100);

  // The viewer got no subscribe offer and receives no RTP: HLS only.
  CHECK_FALSE(viewer->has_event("subscribeOffer"));
  CHECK(viewer->received().empty());
  CHECK(srv.metric("vr_hls_streams") == 1);
  CHECK(caster->errors().empty());
}

TEST_CASE("a blocking playlist request for the next part returns once that part exists",
          "[sfu][broadcast]") {
  test_server srv;
  auto caster = broadcaster(srv, "block", "H264");
  auto viewer = join_subscriber(srv, "block", "viewer");
  const std::string url = hls_url(*viewer);
  const std::string text = playlist_with(srv, url, 1);
  const hint next = preload_hint(text);
  const std::string part =
    "seg" + std::to_string(next.msn) + ".p" + std::to_string(next.part) + ".m4s";
  const std::string next_seg_part = "seg" + std::to_string(next.msn + 1) + ".p0.m4s";

  // Not listed yet: the request is held, then answered with the part in it.
  auto r = srv.proc().request(url + "?_HLS_msn=" + std::to_string(next.msn) +
                              "&_HLS_part=" + std::to_string(next.part));
  INFO(r.body);
  REQUIRE(r.status == 200);
  // The hinted part, or (when it started a new segment) part 0 of the next.
  CHECK(
    (r.body.find(part) != std::string::npos || r.body.find(next_seg_part) != std::string::npos));
  CHECK(srv.proc()
          .request(base_of(url) + (r.body.find(part) != std::string::npos ? part : next_seg_part))
          .status == 200);

  // The preload hint's part itself, asked for before it exists, is held and served.
  const hint later = preload_hint(r.body);
  auto p = srv.proc().request(base_of(url) + "seg" + std::to_string(later.msn) + ".p" +
                              std::to_string(later.part) + ".m4s");
  CHECK((p.status == 200 ||
         p.status == 404));  // 404 only when the hinted part became the next segment's
  if (p.status == 200)
    CHECK(p.body.size() > 100);

  // Far ahead: refused at once; malformed: 400; unknown stream: 404.
  CHECK(srv.proc().request(url + "?_HLS_msn=" + std::to_string(next.msn + 50)).status == 400);
  CHECK(srv.proc().request(url + "?_HLS_part=1").status == 400);
  CHECK(srv.proc().request(url + "?_HLS_msn=x").status == 400);
  CHECK(srv.proc().request("/dev/live/nobody/0123456789abcdef/playlist.m3u8").status == 404);
  CHECK(srv.proc().request(base_of(url) + "../../../../etc/passwd").status == 404);
  CHECK(srv.proc().request(base_of(url) + "seg0.m4s.tmp").status == 404);
  // HEAD: the size without the body.
  auto head = srv.proc().request(base_of(url) + "init.mp4", true);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(srv.metric("vr_hls_requests_total{kind=\"playlist\"}") >= 3);
}

TEST_CASE("the publisher leaving ends the stream with ENDLIST and tells the viewers",
          "[sfu][broadcast]") {
  test_server srv;
  auto caster = broadcaster(srv, "ending", "H264");
  auto viewer = join_subscriber(srv, "ending", "viewer");
  auto second =
    join_subscriber(srv, "ending", "second", "publisher");  // asks, but broadcast has one publisher
  CHECK(second->role() == "viewer");
  const std::string url = hls_url(*viewer);
  playlist_with(srv, url, 1);
  const std::string caster_id = caster->peer_id();
  REQUIRE(caster->leave());
  CHECK(viewer->wait_event("peerLeft", caster_id));
  std::string text;
  REQUIRE(viewer->wait_for(
    [&] {
      text = srv.proc().request(url).body;
      return text.find("#EXT-X-ENDLIST") != std::string::npos;
    },
    10s));
  CHECK(text.find("PRELOAD-HINT") == std::string::npos);
  // A blocking request after the end is answered at once with the ended playlist.
  auto r = srv.proc().request(url + "?_HLS_msn=1000&_HLS_part=0");
  CHECK(r.status == 200);
  CHECK(r.body.find("#EXT-X-ENDLIST") != std::string::npos);
}

TEST_CASE("a VP8-only broadcaster is transcoded to H264 for HLS", "[sfu][broadcast]") {
  test_server srv;
  auto caster = broadcaster(srv, "vp8", "VP8");
  auto viewer = join_subscriber(srv, "vp8", "viewer");
  const std::string url = hls_url(*viewer);
  const std::string text = playlist_with(srv, url, 1);
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(R"(\n(seg\d+\.m4s)\n)")));
  temp_dir tmp("vr-broadcast-");
  fs::create_directories(tmp.path);
  const fs::path file = tmp.path / "probe.mp4";
  {
    std::ofstream out(file, std::ios::binary);
    out << srv.proc().request(base_of(url) + "init.mp4").body
        << srv.proc().request(base_of(url) + std::string(m[1])).body;
  }
  auto probe = ffprobe(file.string());
  INFO(probe.raw);
  CHECK(probe.video_codec == "h264");
  CHECK(probe.audio_codec == "aac");
  CHECK(probe.video_frames > 20);
}

TEST_CASE("an ended stream is served for hls.linger, then its files are deleted",
          "[sfu][broadcast]") {
  temp_dir tmp("vr-hls-dir-");
  const fs::path& dir = tmp.path;
  {
    test_server srv({"--hls.dir=" + dir.string(), "--hls.linger=2s"});
    auto caster = broadcaster(srv, "gone", "H264");
    const std::string url = hls_url(*caster);
    playlist_with(srv, url, 1);
    // .../live/PUB/STREAM/playlist.m3u8 → hls.dir/PUB/STREAM
    const std::string stream =
      url.substr(url.find("/live/") + 6, url.rfind('/') - url.find("/live/") - 6);
    CHECK(fs::exists(dir / stream / "init.mp4"));
    REQUIRE(caster->leave());
    CHECK(caster->wait_for(
      [&] { return srv.proc().request(url).body.find("#EXT-X-ENDLIST") != std::string::npos; },
      5s));
    CHECK(caster->wait_for([&] { return srv.proc().request(url).status == 404; }, 10s));
    CHECK_FALSE(fs::exists(dir / stream));
    CHECK(srv.metric("vr_hls_streams") == 0);
  }
}

TEST_CASE(
  "viewers of a broadcast that has not started wait for it, then get 404 once its room is gone",
  "[sfu][broadcast]") {
  test_server srv;
  peer_options po;
  auto caster = std::make_unique<protocol_peer>("caster", po);
  join_options o;
  o.room_type = "broadcast";  // joins, never publishes
  REQUIRE(caster->connect_and_join(srv.port(), "quiet", o).ok);
  auto viewer = join_subscriber(srv, "quiet", "viewer");
  const std::string url = hls_url(*viewer);
  REQUIRE_FALSE(url.empty());
  // Held, then 503 when nothing came within the first-part timeout (10 s)... or
  // 404 as soon as the room ends: end it while a request waits.
  std::thread ender([&] {
    std::this_thread::sleep_for(1s);
    caster->leave();
    viewer->leave();
  });
  auto r = srv.proc().request(url);
  ender.join();
  CHECK(r.status == 404);
}
