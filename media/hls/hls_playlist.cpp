#include "media/hls/hls_playlist.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace vr::media::hls {

namespace {

// Durations are sums of 90 kHz timestamps: 5 decimals keep them exact enough
// that EXTINF matches the sum of its parts as a client adds them up.
std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5f", s);
  return buf;
}

// A float sum like 8 x 0.25 may land a hair above the target; that must not
// bump TARGETDURATION to the next integer.
int ceil_seconds(double s) { return static_cast<int>(std::ceil(s - 1e-6)); }

}  // namespace

playlist::playlist(playlist_config config) : config_(std::move(config)) {
  // RFC 8216bis 6.2.2: a live playlist must not get shorter than three target
  // durations, and segments are at least about one target duration long.
  config_.window_segments = std::max<std::size_t>(config_.window_segments, 3);
}

playlist::part_id playlist::add_part(double duration_s, bool independent,
                                     std::int64_t program_time_ms) {
  if (ended_)
    throw std::logic_error("hls::playlist::add_part after end()");
  const bool start = segments_.empty() ||
                     (independent && segments_.back().duration >= config_.target_segment_s - 1e-6);
  if (start) {
    const std::uint64_t msn = segments_.empty() ? next_msn_ : segments_.back().msn + 1;
    segments_.push_back(segment{msn, program_time_ms, 0, {}});
  }
  auto& s = segments_.back();
  s.parts.push_back(part{duration_s, independent});
  s.duration += duration_s;
  longest_ = std::max(longest_, s.duration);
  if (start)
    slide();  // the previous open segment just became complete
  return {s.msn, static_cast<std::uint32_t>(s.parts.size() - 1)};
}

void playlist::end() {
  if (ended_)
    return;
  ended_ = true;
  slide();
}

void playlist::slide() {
  const std::size_t open = has_open() ? 1 : 0;
  while (segments_.size() - open > config_.window_segments) {
    const auto& s = segments_.front();
    expired_.push_back(segment_uri(s.msn));
    for (std::uint32_t p = 0; p < s.parts.size(); ++p)
      expired_.push_back(part_uri(s.msn, p));
    next_msn_ = s.msn + 1;
    segments_.pop_front();
  }
}

std::uint64_t playlist::media_sequence() const {
  return segments_.empty() ? next_msn_ : segments_.front().msn;
}

bool playlist::has(std::uint64_t msn, std::optional<std::uint32_t> part) const {
  if (ended_)
    return true;
  if (segments_.empty())
    return false;
  const auto& open = segments_.back();
  // Segments before the open one are complete (listed or already slid out).
  if (!part)
    return msn < open.msn;
  // "Part N of M or later": (M, N) is at or before the last part listed. A
  // part index past the end of a complete segment M is satisfied by M + 1.
  const std::uint32_t last = static_cast<std::uint32_t>(open.parts.size() - 1);
  return msn < open.msn || (msn == open.msn && *part <= last);
}

bool playlist::too_far(std::uint64_t msn, std::optional<std::uint32_t> part) const {
  if (ended_)
    return false;
  // Before the first part, pretend the last part was (-1, last): msn 0 and 1 may block.
  const bool empty = segments_.empty();
  const std::uint64_t last_msn = empty ? next_msn_ : segments_.back().msn;
  if (empty ? msn > last_msn + 1 : msn > last_msn + 2)
    return true;
  if (!part)
    return false;
  // Advance Part Limit (RFC 8216bis 6.2.5.2): 3 / PART-TARGET below 1 s, else 3.
  const double limit = config_.target_part_s < 1 ? 3 / config_.target_part_s : 3;
  double ahead;
  if (!empty && msn == last_msn)
    ahead = static_cast<double>(*part) - static_cast<double>(segments_.back().parts.size() - 1);
  else if (msn > last_msn || empty)
    ahead = static_cast<double>(*part) + 1;  // at least: the rest of the open segment is unknown
  else
    return false;  // an older segment: answered at once
  return ahead > limit;
}

int playlist::target_duration() const {
  return std::max(ceil_seconds(longest_), ceil_seconds(config_.target_segment_s));
}

std::string playlist::render() const {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:9\n";
  const int td = target_duration();
  out += "#EXT-X-TARGETDURATION:" + std::to_string(td) + "\n";
  out += "#EXT-X-PART-INF:PART-TARGET=" + seconds(config_.target_part_s) + "\n";
  // PART-HOLD-BACK: at least 3 part targets, as the spec recommends.
  out += "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=" +
         seconds(3 * config_.target_part_s) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(media_sequence()) + "\n";
  out += "#EXT-X-MAP:URI=\"" + config_.init_uri + "\"\n";

  // Parts are listed only within three target durations of the end (RFC
  // 8216bis 4.4.4.9 says older ones SHOULD go): that keeps playlists small.
  double after = 0;  // duration of the segments after the current one
  std::vector<bool> show_parts(segments_.size());
  for (std::size_t i = segments_.size(); i-- > 0;) {
    show_parts[i] = after < 3.0 * td;
    after += segments_[i].duration;
  }

  const bool open = has_open();
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const auto& s = segments_[i];
    out += "#EXT-X-PROGRAM-DATE-TIME:" + format_program_date_time(s.program_time_ms) + "\n";
    if (show_parts[i])
      for (std::uint32_t p = 0; p < s.parts.size(); ++p)
        out += "#EXT-X-PART:DURATION=" + seconds(s.parts[p].duration) + ",URI=\"" +
               part_uri(s.msn, p) + "\"" + (s.parts[p].independent ? ",INDEPENDENT=YES" : "") +
               "\n";
    if (open && i + 1 == segments_.size())
      break;  // the open segment has only parts
    out += "#EXTINF:" + seconds(s.duration) + ",\n" + segment_uri(s.msn) + "\n";
  }

  if (ended_) {
    out += "#EXT-X-ENDLIST\n";
  } else {
    // The next part of the open segment. If it turns out to start a new
    // segment, this URI never exists and the client drops the hint (4.4.5.3).
    const std::uint64_t msn = segments_.empty() ? next_msn_ : segments_.back().msn;
    const auto p =
      segments_.empty() ? 0u : static_cast<std::uint32_t>(segments_.back().parts.size());
    out += "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"" + part_uri(msn, p) + "\"\n";
  }
  return out;
}

std::vector<std::string> playlist::take_expired() { return std::exchange(expired_, {}); }

std::string playlist::segment_uri(std::uint64_t msn) {
  return "seg" + std::to_string(msn) + ".m4s";
}

std::string playlist::part_uri(std::uint64_t msn, std::uint32_t p) {
  return "seg" + std::to_string(msn) + ".p" + std::to_string(p) + ".m4s";
}

std::string playlist::format_program_date_time(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{ms}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

}  // namespace vr::media::hls
