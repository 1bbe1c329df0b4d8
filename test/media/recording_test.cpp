// Recording a room to files (media/recording/): a VP8 + Opus publisher is
// written to WebM without transcoding; ffprobe (an independent reader) decodes
// every file, a stopped file has the recorded duration, and a process killed
// while recording leaves files readable up to about its last second.
#include "test/media/ffprobe.hpp"
#include "test/media/room_fixture.hpp"
#include "test/support/hls_files.hpp"

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace vr;
using namespace vr::test;
namespace fs = std::filesystem;

namespace {

struct listed_track {
  std::string id, peer_id, kind, codec, file;
  bool has_start = false, has_end = false;
  long start_ms = -1;
};

struct listed {
  std::vector<std::pair<std::string, std::string>> peers;  // id, displayName
  std::vector<listed_track> tracks;
  bool stopped = false;
};

listed read_manifest(const fs::path& dir) {
  listed out;
  rapidjson::Document d;
  const std::string text = slurp(dir / "manifest.json");
  if (d.Parse(text.c_str()).HasParseError() || !d.IsObject())
    return out;
  out.stopped = d.HasMember("stoppedAt") && d["stoppedAt"].IsString();
  for (auto& p : d["peers"].GetArray())
    out.peers.emplace_back(p["id"].GetString(), p["displayName"].GetString());
  for (auto& t : d["tracks"].GetArray()) {
    listed_track lt{t["id"].GetString(), t["peerId"].GetString(), t["kind"].GetString(),
                    t["codec"].GetString(), t["file"].GetString()};
    lt.has_start = t["startOffsetMs"].IsInt64();
    lt.start_ms = lt.has_start ? static_cast<long>(t["startOffsetMs"].GetInt64()) : -1;
    lt.has_end = t["endOffsetMs"].IsInt64();
    out.tracks.push_back(lt);
  }
  return out;
}

// The end of the last packet ffprobe reads: a file's duration even when the
// muxer never wrote one (a killed process).
double last_packet_end(const fs::path& file) {
  auto out =
    run_command("ffprobe -v error -show_entries packet=pts_time,duration_time -of csv=p=0 '" +
                file.string() + "' 2>/dev/null");
  double end = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto comma = line.find(',');
    // Either field may be N/A (WebM blocks often carry no duration): a packet
    // without a duration still ends no earlier than it starts.
    auto number = [](const std::string& text) {
      try {
        return std::stod(text);
      } catch (const std::exception&) {
        return 0.0;
      }
    };
    double pts = number(line.substr(0, comma));
    double dur = comma == std::string::npos ? 0 : number(line.substr(comma + 1));
    end = std::max(end, pts + dur);
  }
  return end;
}

bool both_started(const fs::path& dir) {
  auto m = read_manifest(dir);
  int started = 0;
  for (auto& t : m.tracks)
    started += t.has_start;
  return started == 2;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("a VP8 + Opus publisher is recorded to WebM files ffprobe decodes, with a manifest") {
  temp_dir dir("vr-recording-test-");
  room r;
  auto a = r.join("alice", true);
  REQUIRE(wait_until([&] { return r.tracks_of("alice").size() == 2; }, 20s));

  media::recording_output out{dir.path / "rec", "lobby"};
  r.session().start_recording(out);
  auto started = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return both_started(out.dir); }, 10s));
  CHECK(r.session().get_stats().recording_tracks == 2);
  std::this_thread::sleep_until(started + 3s);
  r.session().stop_recording();
  const double recorded = seconds_since(started);

  // Stopped files are finished: the muxer wrote their duration on EOS.
  auto m = read_manifest(out.dir);
  REQUIRE(m.tracks.size() == 2);
  for (auto& t : m.tracks)
    REQUIRE(wait_until([&] { return ffprobe((out.dir / t.file).string()).duration_s > 0; }, 10s));
  m = read_manifest(out.dir);
  CHECK(m.stopped);
  CHECK(r.session().get_stats().recording_tracks == 0);
  REQUIRE(m.peers.size() == 1);
  CHECK(m.peers[0].first == "alice");

  bool video = false, audio = false;
  for (auto& t : m.tracks) {
    INFO(t.file);
    CHECK(t.peer_id == "alice");
    CHECK(t.has_end);
    CHECK(t.start_ms >= 0);
    CHECK(t.start_ms < 1000);
    CHECK(fs::path(t.file).extension() == ".webm");
    auto probe = ffprobe((out.dir / t.file).string());
    INFO(probe.raw);
    CHECK(probe.duration_s == Approx(recorded - t.start_ms / 1000.0).margin(1.0));
    if (t.kind == "video") {
      video = true;
      CHECK(t.codec == "VP8");
      CHECK(t.id == r.track_of("alice", "video"));
      CHECK(probe.video_codec == "vp8");
      CHECK(probe.video_frames >= 15 * 2);  // 15 fps for about 3 s
      CHECK(probe.width == 320);
    } else {
      audio = true;
      CHECK(t.codec == "OPUS");
      CHECK(probe.audio_codec == "opus");
      CHECK(probe.audio_frames >= 50 * 2);  // 20 ms frames for about 3 s
    }
  }
  CHECK(video);
  CHECK(audio);
  CHECK(r.errors().empty());
}

TEST_CASE(
  "a track published while recording is recorded from when it appears, and a left "
  "peer's files are finished") {
  temp_dir dir("vr-recording-test-");
  room r;
  media::recording_output out{dir.path / "rec", "lobby"};
  r.session().start_recording(out);
  auto b = r.join("bob", true);
  REQUIRE(wait_until([&] { return both_started(out.dir); }, 20s));
  std::this_thread::sleep_for(2s);
  r.leave("bob");  // its tracks end: their files are closed, the recording goes on
  auto m = read_manifest(out.dir);
  REQUIRE(m.tracks.size() == 2);
  for (auto& t : m.tracks) {
    INFO(t.file);
    REQUIRE(wait_until([&] { return ffprobe((out.dir / t.file).string()).duration_s > 0; }, 10s));
    CHECK(ffprobe((out.dir / t.file).string()).duration_s == Approx(2.0).margin(1.0));
  }
  m = read_manifest(out.dir);
  CHECK_FALSE(m.stopped);
  for (auto& t : m.tracks)
    CHECK(t.has_end);
  REQUIRE(m.peers.size() == 1);
  CHECK(m.peers[0].first == "bob");
}

TEST_CASE("the end of the session stops the recording and finishes its files") {
  temp_dir dir("vr-recording-test-");
  media::recording_output out{dir.path / "rec", "lobby"};
  std::chrono::steady_clock::time_point started;
  {
    room r;
    auto a = r.join("alice", true);
    REQUIRE(wait_until([&] { return r.tracks_of("alice").size() == 2; }, 20s));
    r.session().start_recording(out);
    started = std::chrono::steady_clock::now();
    REQUIRE(wait_until([&] { return both_started(out.dir); }, 10s));
    std::this_thread::sleep_until(started + 2s);
  }  // the room ends: its session is destroyed while recording
  const double recorded = seconds_since(started);
  auto m = read_manifest(out.dir);
  CHECK(m.stopped);
  REQUIRE(m.tracks.size() == 2);
  for (auto& t : m.tracks) {
    auto probe = ffprobe((out.dir / t.file).string());
    INFO(t.file << "\n" << probe.raw);
    // A duration only a finished file has (the muxer writes it on EOS).
    CHECK(probe.duration_s == Approx(recorded - t.start_ms / 1000.0).margin(1.0));
  }
}

TEST_CASE("an H264 publisher is recorded to fragmented MP4 without transcoding") {
  temp_dir dir("vr-recording-test-");
  auto cfg = loopback_config();
  cfg.prefer_h264 = true;
  room r(cfg);
  peer_options opts;
  opts.video_codec = "H264";
  opts.audio = false;
  auto a = r.join("alice", true, opts);
  REQUIRE(wait_until([&] { return r.tracks_of("alice").size() == 1; }, 20s));
  media::recording_output out{dir.path / "rec", "lobby"};
  r.session().start_recording(out);
  auto started = std::chrono::steady_clock::now();
  REQUIRE(wait_until(
    [&] {
      auto m = read_manifest(out.dir);
      return m.tracks.size() == 1 && m.tracks[0].has_start;
    },
    10s));
  std::this_thread::sleep_until(started + 3s);
  r.session().stop_recording();
  const double recorded = seconds_since(started);
  auto m = read_manifest(out.dir);
  REQUIRE(m.tracks.size() == 1);
  auto& t = m.tracks[0];
  CHECK(t.codec == "H264");
  CHECK(fs::path(t.file).extension() == ".mp4");
  REQUIRE(wait_until([&] { return read_manifest(out.dir).stopped; }, 5s));
  // The muxer finishes after stop: wait for the frames to be all there.
  REQUIRE(
    wait_until([&] { return ffprobe((out.dir / t.file).string()).video_frames >= 15 * 2; }, 10s));
  auto probe = ffprobe((out.dir / t.file).string());
  INFO(probe.raw);
  CHECK(probe.video_codec == "h264");
  CHECK(probe.duration_s == Approx(recorded - t.start_ms / 1000.0).margin(1.0));
}

// The child half of the crash test: records until it is killed (SIGKILL: no
// destructor, no EOS, nothing flushed). Hidden: run only by the test below.
TEST_CASE("recording child: killed while recording", "[.recording-child]") {
  const char* where = std::getenv("VR_RECORDING_CHILD_DIR");
  REQUIRE(where);
  room r;
  auto a = r.join("alice", true);
  REQUIRE(wait_until([&] { return r.tracks_of("alice").size() == 2; }, 20s));
  media::recording_output out{fs::path(where) / "rec", "lobby"};
  r.session().start_recording(out);
  auto started = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return both_started(out.dir); }, 10s));
  std::this_thread::sleep_until(started + 3s);
  std::ofstream(fs::path(where) / "recorded") << seconds_since(started) << "\n";
  ::raise(SIGKILL);
}

TEST_CASE("files of a process killed while recording are readable up to its last second") {
  temp_dir dir("vr-recording-crash-");
  fs::create_directories(dir.path);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setenv("VR_RECORDING_CHILD_DIR", dir.path.c_str(), 1);
    ::execl("/proc/self/exe", "media_tests", "recording child: killed while recording",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  bool exited = wait_until([&] { return waitpid(child, &status, WNOHANG) == child; }, 45s);
  if (!exited) {
    ::kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  REQUIRE(exited);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  const double recorded = std::stod(slurp(dir.path / "recorded"));
  auto m = read_manifest(dir.path / "rec");
  REQUIRE(m.tracks.size() == 2);
  CHECK_FALSE(m.stopped);
  for (auto& t : m.tracks) {
    const auto file = dir.path / "rec" / t.file;
    auto probe = ffprobe(file.string());
    INFO(t.file << "\n" << probe.raw);
    if (t.kind == "video")
      CHECK(probe.video_frames >= 15 * 2);
    else
      CHECK(probe.audio_frames >= 50 * 2);
    CHECK(last_packet_end(file) == Approx(recorded - t.start_ms / 1000.0).margin(1.0));
  }
}
