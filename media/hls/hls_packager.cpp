#include "media/hls/hls_packager.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <system_error>

namespace vr::media::hls {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
// How often a missing keyframe is asked for again.
constexpr std::int64_t keyframe_retry_ns = 500'000'000;
// A keyframe takes a while to come after we ask (the PLI waits for an RTCP
// slot, the encoder for its next frame): first guess, then measured.
constexpr double first_keyframe_delay_s = 0.3;

// Keyframes never land exactly on the target: one up to a part target early
// still starts a segment (EXTINF rounds to the target duration anyway).
playlist_config with_slack(playlist_config c) {
  c.target_segment_s = std::max(c.target_part_s, c.target_segment_s - c.target_part_s);
  return c;
}

std::uint64_t to_timescale(std::int64_t ns, std::uint32_t timescale) {
  if (ns <= 0)
    return 0;
  return static_cast<std::uint64_t>(
    std::llround(static_cast<long double>(ns) * timescale / ns_per_s));
}

std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

packager::packager(packager_config cfg, packager_events events)
    : cfg_(std::move(cfg)),
      events_(std::move(events)),
      list_(with_slack(cfg_.playlist)),
      segment_threshold_s_(with_slack(cfg_.playlist).target_segment_s),
      keyframe_delay_s_(first_keyframe_delay_s) {
  if (!cfg_.now_ms)
    cfg_.now_ms = system_now_ms;
  std::error_code ec;
  std::filesystem::create_directories(cfg_.dir, ec);
  if (ec && events_.error)
    events_.error("cannot create " + cfg_.dir.string() + ": " + ec.message());
}

packager::~packager() { finish(); }

void packager::set_video(fmp4::video_config c) {
  std::lock_guard lock(mutex_);
  video_cfg_ = std::move(c);  // later changes travel in-band (SPS/PPS in keyframes)
}

void packager::set_audio(fmp4::audio_config c) {
  std::lock_guard lock(mutex_);
  if (!audio_cfg_)
    audio_cfg_ = std::move(c);
}

packager::counters packager::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

double packager::seconds_audio(std::uint64_t dt) const {
  return audio_cfg_ ? static_cast<double>(dt) / audio_cfg_->sample_rate : 0;
}

// Events run after the lock is released: a handler may call back in.
template <class F>
void packager::locked(F&& f) {
  std::vector<std::function<void()>> events;
  {
    std::lock_guard lock(mutex_);
    deferred_ = &events;
    f();
    deferred_ = nullptr;
  }
  for (auto& e : events)
    e();
}

void packager::push_video(fmp4::bytes au, std::int64_t pts_ns, bool keyframe) {
  locked([&] { video_locked(std::move(au), pts_ns, keyframe); });
}

void packager::push_audio(fmp4::bytes frame, std::int64_t pts_ns, std::uint32_t samples) {
  locked([&] { audio_locked(std::move(frame), pts_ns, samples); });
}

void packager::finish() {
  locked([&] { finish_locked(); });
}

void packager::video_locked(fmp4::bytes au, std::int64_t pts_ns, bool keyframe) {
  if (finished_ || !cfg_.video)
    return;
  last_pts_ns_ = std::max(last_pts_ns_, pts_ns);
  if (!started_ && !try_start(pts_ns, keyframe)) {
    stats_.dropped_video++;
    return;
  }
  if (pts_ns < t0_ns_) {
    stats_.dropped_video++;
    return;
  }
  if (keyframe)
    keyframe_arrived(pts_ns);
  add_video(std::move(au), to_timescale(pts_ns - t0_ns_, fmp4::video_timescale), keyframe);
}

void packager::audio_locked(fmp4::bytes frame, std::int64_t pts_ns, std::uint32_t samples) {
  if (finished_ || !cfg_.audio)
    return;
  last_pts_ns_ = std::max(last_pts_ns_, pts_ns);
  if (!started_ && (cfg_.video || !try_start(pts_ns, true))) {
    stats_.dropped_audio++;
    return;
  }
  if (!use_audio_ || pts_ns < t0_ns_) {
    stats_.dropped_audio++;
    return;
  }
  add_audio(std::move(frame), pts_ns, samples);
}

bool packager::try_start(std::int64_t pts_ns, bool keyframe) {
  const bool video = cfg_.video;
  if (video && (!keyframe || !video_cfg_)) {
    if (pts_ns - last_keyframe_request_ns_ >= keyframe_retry_ns || last_keyframe_request_ns_ == 0) {
      last_keyframe_request_ns_ = pts_ns;
      if (events_.want_keyframe)
        deferred_->push_back(events_.want_keyframe);
    }
    return false;
  }
  if (!video && !audio_cfg_)
    return false;
  if (video && cfg_.audio && !audio_cfg_) {
    // Audio is expected but has not configured yet: give it a little while.
    if (!first_key_ns_)
      first_key_ns_ = pts_ns;
    if (pts_ns - *first_key_ns_ < cfg_.audio_wait.count() * 1'000'000) {
      if (pts_ns - last_keyframe_request_ns_ >= keyframe_retry_ns) {
        last_keyframe_request_ns_ = pts_ns;
        if (events_.want_keyframe)
          deferred_->push_back(events_.want_keyframe);
      }
      return false;
    }
  }
  use_video_ = video;
  use_audio_ = cfg_.audio && audio_cfg_.has_value();
  if (!use_video_ && !use_audio_)
    return false;
  started_ = true;
  t0_ns_ = pts_ns;
  wall0_ms_ = cfg_.now_ms();
  last_keyframe_request_ns_ = pts_ns;
  write_file(cfg_.playlist.init_uri, fmp4::init_segment(use_video_ ? video_cfg_ : std::nullopt,
                                                        use_audio_ ? audio_cfg_ : std::nullopt));
  return true;
}

void packager::add_video(fmp4::bytes au, std::uint64_t dt, bool keyframe) {
  if (last_video_) {
    if (dt <= last_video_->dt)
      dt = last_video_->dt + 1;  // strictly increasing decode times
    last_video_->duration = static_cast<std::uint32_t>(dt - last_video_->dt);
    const std::uint32_t frame = last_video_->duration;
    part_video_.push_back(std::move(*last_video_));
    last_video_.reset();

    // A frame's duration is known only when the next one arrives: one longer
    // than the frame before it (timestamps jitter) can take the part past
    // PART-TARGET, which no part may exceed. The part then ends before it.
    if (part_video_.size() > 1 &&
        seconds_video(dt - part_start_dt_) > cfg_.playlist.target_part_s) {
      pending longer = std::move(part_video_.back());
      part_video_.pop_back();
      cut(longer.dt, seconds_video(longer.dt));
      part_start_dt_ = longer.dt;
      part_independent_ = longer.sync;
      part_video_.push_back(std::move(longer));
    }

    const double part_s = seconds_video(dt - part_start_dt_);
    const double frame_s = seconds_video(frame);
    const double target = cfg_.playlist.target_part_s - 0.001;
    const bool segment_due = segment_elapsed_s_ + part_s >= segment_threshold_s_ - 1e-6;
    if ((keyframe && segment_due) || part_s + frame_s > target || part_s >= target) {
      cut(dt, seconds_video(dt));
      part_start_dt_ = dt;
      part_independent_ = keyframe;
    }
    request_keyframe_if_due(segment_elapsed_s_ + seconds_video(dt - part_start_dt_));
  } else {
    part_start_dt_ = dt;
    part_independent_ = keyframe;
  }
  last_video_ = pending{std::move(au), dt, keyframe, 0};
}

void packager::request_keyframe_if_due(double segment_elapsed_s) {
  if (segment_elapsed_s < cfg_.playlist.target_segment_s - keyframe_delay_s_)
    return;
  if (last_pts_ns_ - last_keyframe_request_ns_ < keyframe_retry_ns)
    return;
  last_keyframe_request_ns_ = last_pts_ns_;
  keyframe_outstanding_ = true;
  if (events_.want_keyframe)
    deferred_->push_back(events_.want_keyframe);
}

void packager::keyframe_arrived(std::int64_t pts_ns) {
  if (!keyframe_outstanding_)
    return;
  keyframe_outstanding_ = false;
  const double delay = static_cast<double>(pts_ns - last_keyframe_request_ns_) / ns_per_s;
  keyframe_delay_s_ = std::clamp(0.7 * keyframe_delay_s_ + 0.3 * delay, 0.05, 1.0);
}

void packager::add_audio(fmp4::bytes frame, std::int64_t pts_ns, std::uint32_t samples) {
  const std::uint32_t rate = audio_cfg_->sample_rate;
  const std::uint64_t at = to_timescale(pts_ns - t0_ns_, rate);
  if (!audio_clock_set_) {
    next_audio_dt_ = at;
    audio_clock_set_ = true;
    if (!use_video_)
      part_start_dt_ = at;
  } else if (at > next_audio_dt_ + rate / 10) {
    next_audio_dt_ = at;  // a gap (lost packets, DTX): jump, do not drift
  } else if (at + rate / 10 < next_audio_dt_) {
    stats_.dropped_audio++;  // running ahead of its timestamps: drop to catch up
    return;
  }
  audio_.push_back(pending{std::move(frame), next_audio_dt_, true, samples});
  next_audio_dt_ += samples;

  if (!use_video_) {
    const double part_s = seconds_audio(next_audio_dt_ - part_start_dt_);
    const double frame_s = seconds_audio(samples);
    if (part_s + frame_s > cfg_.playlist.target_part_s - 0.001) {
      cut(0, seconds_audio(next_audio_dt_));
      part_start_dt_ = next_audio_dt_;
      part_independent_ = true;
    }
  }
}

// Closes the part at `end_s` (video decode time `end_dt` when there is video).
void packager::cut(std::uint64_t end_dt, double end_s) {
  std::vector<fmp4::run> runs;
  double start_s, duration_s;
  if (use_video_) {
    if (part_video_.empty())
      return;
    start_s = seconds_video(part_start_dt_);
    duration_s = seconds_video(end_dt - part_start_dt_);
    fmp4::run v{fmp4::video_track_id, part_video_.front().dt, {}};
    for (auto& p : part_video_)
      v.samples.push_back({std::move(p.data), p.duration, p.sync});
    part_video_.clear();
    runs.push_back(std::move(v));
  } else {
    if (audio_.empty())
      return;
    start_s = seconds_audio(part_start_dt_);
    duration_s = end_s - start_s;
  }
  if (use_audio_ && !audio_.empty()) {
    // Audio up to the cut; later frames wait for the next part.
    fmp4::run a{fmp4::audio_track_id, audio_.front().dt, {}};
    while (!audio_.empty() && seconds_audio(audio_.front().dt) < end_s - 1e-9) {
      auto& p = audio_.front();
      a.samples.push_back({std::move(p.data), p.duration, true});
      audio_.pop_front();
    }
    if (!a.samples.empty())
      runs.push_back(std::move(a));
  }
  if (runs.empty())
    return;

  fmp4::bytes data = fmp4::fragment(++sequence_, runs);
  const auto program_ms = wall0_ms_ + static_cast<std::int64_t>(std::llround(start_s * 1000));
  const auto id = list_.add_part(duration_s, part_independent_ || !use_video_, program_ms);
  if (id.part == 0 && id.msn > 0 && !segment_bytes_.empty()) {
    write_file(playlist::segment_uri(id.msn - 1), segment_bytes_);
    segment_bytes_.clear();
    stats_.segments++;
  }
  segment_elapsed_s_ = id.part == 0 ? duration_s : segment_elapsed_s_ + duration_s;
  write_file(playlist::part_uri(id.msn, id.part), data);
  segment_bytes_.insert(segment_bytes_.end(), data.begin(), data.end());
  open_msn_ = id.msn;
  stats_.parts++;
  expire();
  publish();
}

void packager::finish_locked() {
  if (finished_)
    return;
  finished_ = true;
  if (started_) {
    if (last_video_) {
      // The last frame lasts as long as the one before it.
      last_video_->duration = part_video_.empty() ? 3000 : part_video_.back().duration;
      const std::uint64_t end = last_video_->dt + last_video_->duration;
      part_video_.push_back(std::move(*last_video_));
      last_video_.reset();
      cut(end, std::numeric_limits<double>::infinity());
    } else if (!use_video_) {
      cut(0, seconds_audio(next_audio_dt_));
    }
  }
  list_.end();
  if (!segment_bytes_.empty()) {
    write_file(playlist::segment_uri(open_msn_), segment_bytes_);
    segment_bytes_.clear();
    stats_.segments++;
  }
  publish();
}

void packager::write_file(const std::string& name, const fmp4::bytes& data) {
  // Written aside and renamed: a file the HTTP side can see is complete.
  const auto path = cfg_.dir / name;
  const auto tmp = cfg_.dir / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    if (!out) {
      if (events_.error)
        deferred_->push_back([e = events_.error, p = tmp.string()] { e("cannot write " + p); });
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec && events_.error)
    deferred_->push_back([e = events_.error, p = path.string(), m = ec.message()] {
      e("cannot rename to " + p + ": " + m);
    });
}

void packager::expire() {
  const std::int64_t now = cfg_.now_ms();
  if (auto gone = list_.take_expired(); !gone.empty())
    expiring_.emplace_back(now, std::move(gone));
  while (!expiring_.empty() && now - expiring_.front().first >= cfg_.expiry_grace.count()) {
    for (const auto& name : expiring_.front().second) {
      std::error_code ec;
      if (std::filesystem::remove(cfg_.dir / name, ec))
        stats_.deleted_files++;
    }
    expiring_.pop_front();
  }
}

void packager::publish() {
  if (!events_.update)
    return;
  auto snap = std::make_shared<const snapshot>(snapshot{list_, list_.render()});
  deferred_->push_back([f = events_.update, snap] { f(snap); });
}

}  // namespace vr::media::hls
