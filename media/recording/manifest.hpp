// The manifest of a recording: which peers were in it and which file holds
// each of their tracks, starting how long after the recording started, so the
// files can be laid side by side later. Written as <dir>/manifest.json
// (RapidJSON), replaced whole (write then rename) on every change, so a
// reader (or a crash) never sees half a manifest.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vr::media::recording {

struct manifest_peer {
  std::string id;
  std::string display_name;
};

struct manifest_track {
  std::string id;  // "<peer>:<mid>"
  std::string peer_id;
  std::string kind;                             // "audio" | "video"
  std::string codec;                            // "VP8", "OPUS", "H264" ...
  std::string file;                             // relative to the manifest's directory
  std::optional<std::int64_t> start_offset_ms;  // of its first frame; none until it has one
  std::optional<std::int64_t> end_offset_ms;    // set when its file was closed
};

struct manifest {
  std::string room;
  std::string started_at;  // UTC, ISO 8601 with milliseconds
  std::optional<std::string> stopped_at;
  std::vector<manifest_peer> peers;
  std::vector<manifest_track> tracks;

  manifest_track* find_track(const std::string& file);
  void add_peer(const std::string& id, const std::string& display_name);  // once per id
};

std::string to_json(const manifest& m);
// Writes dir/manifest.json; false (and nothing replaced) on an I/O error.
bool write(const manifest& m, const std::filesystem::path& dir);
// "2026-12-04T06:40:00.123Z" (for file names: "20261204T064000Z").
std::string utc_iso8601(std::chrono::system_clock::time_point t);
std::string utc_compact(std::chrono::system_clock::time_point t);

}  // namespace vr::media::recording
