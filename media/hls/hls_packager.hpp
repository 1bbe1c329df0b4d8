// Cuts one broadcast into LL-HLS parts and segments: takes H264 access units
// and AAC frames with their timestamps, writes fMP4 files (init.mp4,
// segN.pK.m4s parts, segN.m4s segments) into a directory, keeps the playlist,
// deletes files that slid out of the window, and reports a snapshot after
// every part. Pure C++ (no GStreamer): the GStreamer side is hls_tap.
//
// Threads: every method may be called from any thread (one mutex); events run
// on the calling thread, after the files they announce are complete.
#pragma once

#include "media/hls/fmp4.hpp"
#include "media/hls/hls_playlist.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vr::media::hls {

struct packager_config {
  std::filesystem::path dir;        // created if missing
  playlist_config playlist;         // target_part_s is PART-TARGET, the longest part
  bool video = true, audio = true;  // the tracks to expect
  // Files that left the playlist stay this long (RFC 8216bis 6.2.2: a segment
  // duration plus the playlist's).
  std::chrono::milliseconds expiry_grace{16000};
  // No audio config this long after the first keyframe: go on without audio.
  std::chrono::milliseconds audio_wait{2000};
  std::function<std::int64_t()> now_ms;  // wall clock for PROGRAM-DATE-TIME; system_clock if empty
};

struct packager_events {
  std::function<void(std::shared_ptr<const snapshot>)> update;
  // The open segment is due for its next keyframe (or the stream waits for its first).
  std::function<void()> want_keyframe;
  std::function<void(const std::string&)> error;  // a file could not be written
};

class packager {
public:
  packager(packager_config cfg, packager_events events);
  ~packager();  // finish()
  packager(const packager&) = delete;
  packager& operator=(const packager&) = delete;

  void set_video(fmp4::video_config c);
  void set_audio(fmp4::audio_config c);
  // `pts_ns`: running time of the sample, one clock for both tracks.
  void push_video(fmp4::bytes access_unit, std::int64_t pts_ns, bool keyframe);
  void push_audio(fmp4::bytes frame, std::int64_t pts_ns, std::uint32_t samples = 1024);
  // Writes what is pending as a last part and ends the playlist (ENDLIST).
  void finish();

  struct counters {
    std::uint64_t parts = 0, segments = 0, deleted_files = 0;
    std::uint64_t dropped_video = 0, dropped_audio = 0;  // before the start, or out of order
  };
  counters stats() const;

private:
  struct pending {
    fmp4::bytes data;
    std::uint64_t dt;  // decode time in the track's timescale
    bool sync;
    std::uint32_t duration = 0;
  };

  template <class F>
  void locked(F&& f);
  void video_locked(fmp4::bytes au, std::int64_t pts_ns, bool keyframe);
  void audio_locked(fmp4::bytes frame, std::int64_t pts_ns, std::uint32_t samples);
  void finish_locked();
  bool try_start(std::int64_t pts_ns, bool keyframe);
  void add_video(fmp4::bytes au, std::uint64_t dt, bool keyframe);
  void add_audio(fmp4::bytes frame, std::int64_t pts_ns, std::uint32_t samples);
  void cut(std::uint64_t end_dt_video, double end_s);
  void write_file(const std::string& name, const fmp4::bytes& data);
  void expire();
  void publish();
  double seconds_video(std::uint64_t dt) const {
    return static_cast<double>(dt) / fmp4::video_timescale;
  }
  double seconds_audio(std::uint64_t dt) const;
  void request_keyframe_if_due(double segment_elapsed_s);
  void keyframe_arrived(std::int64_t pts_ns);

  packager_config cfg_;
  packager_events events_;
  mutable std::mutex mutex_;
  std::vector<std::function<void()>>* deferred_ = nullptr;  // events to run once unlocked
  playlist list_;
  double segment_threshold_s_;  // an open segment this long ends at the next keyframe
  double keyframe_delay_s_;     // from asking to getting a keyframe (moving average)
  bool keyframe_outstanding_ = false;
  std::optional<fmp4::video_config> video_cfg_;
  std::optional<fmp4::audio_config> audio_cfg_;
  bool use_audio_ = false, use_video_ = false;

  bool started_ = false, finished_ = false;
  std::int64_t t0_ns_ = 0;                    // running time of decode time 0
  std::int64_t wall0_ms_ = 0;                 // wall clock at t0
  std::optional<std::int64_t> first_key_ns_;  // while waiting for audio
  std::int64_t last_keyframe_request_ns_ = 0;
  std::int64_t last_pts_ns_ = 0;

  // The part being filled.
  std::vector<pending> part_video_;
  std::deque<pending> audio_;          // not yet in a part
  std::optional<pending> last_video_;  // its duration is known once the next one comes
  std::uint64_t part_start_dt_ = 0;    // video decode time (or audio, audio-only)
  bool part_independent_ = false;
  std::uint64_t next_audio_dt_ = 0;
  bool audio_clock_set_ = false;

  double segment_elapsed_s_ = 0;  // parts of the open segment so far
  std::uint32_t sequence_ = 0;
  std::uint64_t open_msn_ = 0;
  fmp4::bytes segment_bytes_;  // the open segment: its parts back to back
  std::deque<std::pair<std::int64_t, std::vector<std::string>>> expiring_;
  counters stats_;
};

}  // namespace vr::media::hls
