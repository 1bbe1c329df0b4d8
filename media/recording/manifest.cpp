#include "media/recording/manifest.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>

namespace vr::media::recording {

manifest_track* manifest::find_track(const std::string& file) {
  for (auto& t : tracks)
    if (t.file == file)
      return &t;
  return nullptr;
}

void manifest::add_peer(const std::string& id, const std::string& display_name) {
  for (auto& p : peers)
    if (p.id == id) {
      if (!display_name.empty())
        p.display_name = display_name;
      return;
    }
  peers.push_back({id, display_name});
}

std::string to_json(const manifest& m) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  auto str = [&w](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  auto opt_int = [&w](const std::optional<std::int64_t>& v) {
    v ? (void)w.Int64(*v) : (void)w.Null();
  };
  w.StartObject();
  w.Key("room");
  str(m.room);
  w.Key("startedAt");
  str(m.started_at);
  w.Key("stoppedAt");
  m.stopped_at ? str(*m.stopped_at) : (void)w.Null();
  w.Key("peers");
  w.StartArray();
  for (const auto& p : m.peers) {
    w.StartObject();
    w.Key("id");
    str(p.id);
    w.Key("displayName");
    str(p.display_name);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tracks");
  w.StartArray();
  for (const auto& t : m.tracks) {
    w.StartObject();
    w.Key("id");
    str(t.id);
    w.Key("peerId");
    str(t.peer_id);
    w.Key("kind");
    str(t.kind);
    w.Key("codec");
    str(t.codec);
    w.Key("file");
    str(t.file);
    w.Key("startOffsetMs");
    opt_int(t.start_offset_ms);
    w.Key("endOffsetMs");
    opt_int(t.end_offset_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

bool write(const manifest& m, const std::filesystem::path& dir) {
  const auto tmp = dir / "manifest.json.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << to_json(m);
    out.flush();
    if (!out)
      return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir / "manifest.json", ec);
  return !ec;
}

namespace {
std::tm utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string utc_iso8601(std::chrono::system_clock::time_point t) {
  auto tm = utc(t);
  auto ms =
    std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string utc_compact(std::chrono::system_clock::time_point t) {
  auto tm = utc(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace vr::media::recording
