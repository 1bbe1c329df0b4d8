#pragma once

// The LL-HLS media playlist of one broadcast (RFC 8216bis with EXT-X-PART,
// EXT-X-PRELOAD-HINT and blocking playlist reload). Pure bookkeeping: the
// packager reports each fMP4 part it wrote, the HTTP side renders the text and
// asks whether a blocking request can be answered. No I/O, not thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace vr::media::hls {

struct playlist_config {
  double target_part_s = 0.25;
  double target_segment_s = 2.0;
  std::size_t window_segments = 6;  // complete segments kept (at least 3, see ctor)
  std::string init_uri = "init.mp4";
};

class playlist {
public:
  struct part_id {
    std::uint64_t msn;
    std::uint32_t part;
    friend bool operator==(const part_id&, const part_id&) = default;
  };

  explicit playlist(playlist_config config);

  // Adds a part (fMP4 fragment) of `duration_s` seconds; `independent` when it
  // starts with a keyframe; `program_time_ms` is the wall-clock time (ms since
  // the epoch) of its first frame. An independent part starts a new segment
  // once the open one has reached the target duration; a dependent part never
  // does (a segment must start where a decoder can). Throws std::logic_error
  // after end().
  part_id add_part(double duration_s, bool independent, std::int64_t program_time_ms);

  // The stream is over: the open segment is complete, EXT-X-ENDLIST follows.
  void end();
  bool ended() const { return ended_; }

  // Blocking reload (RFC 8216bis 6.2.5.2): whether a request with _HLS_msn=msn
  // (and _HLS_part=part) can be answered now. Without a part, segment `msn` or
  // a later one must be complete; with one, part `part` of `msn` or a later
  // part must be listed. Always true once ended: nothing more will come.
  bool has(std::uint64_t msn, std::optional<std::uint32_t> part) const;

  // Whether such a request is too far ahead to block on: the server answers
  // 400 (msn beyond the last segment + 2, or part beyond the last part by more
  // than the Advance Part Limit). False once ended.
  bool too_far(std::uint64_t msn, std::optional<std::uint32_t> part) const;

  std::string render() const;

  // Files (segments and their parts) that slid out of the window since the
  // last call. The caller should delete them only after a grace period: the
  // spec wants them available for a segment duration plus a playlist duration.
  std::vector<std::string> take_expired();

  // Media sequence of the first segment listed.
  std::uint64_t media_sequence() const;

  static std::string segment_uri(std::uint64_t msn);                // "seg42.m4s"
  static std::string part_uri(std::uint64_t msn, std::uint32_t p);  // "seg42.p3.m4s"
  static std::string format_program_date_time(std::int64_t ms);     // ISO 8601 UTC, ms

private:
  struct part {
    double duration;
    bool independent;
  };
  struct segment {
    std::uint64_t msn;
    std::int64_t program_time_ms;
    double duration = 0;
    std::vector<part> parts;
  };

  bool has_open() const { return !ended_ && !segments_.empty(); }
  void slide();
  int target_duration() const;

  playlist_config config_;
  std::deque<segment> segments_;  // the window, then the open segment unless ended
  std::uint64_t next_msn_ = 0;    // msn of the next segment when none is kept
  double longest_ = 0;            // longest segment ever: TARGETDURATION must not shrink
  bool ended_ = false;
  std::vector<std::string> expired_;
};

// A stream at one moment, as the HTTP side serves it: immutable once made and
// shared between threads (the packager makes one after every part it wrote).
struct snapshot {
  playlist list;     // has() / too_far() for blocking reloads
  std::string text;  // list.render()
};

}  // namespace vr::media::hls
