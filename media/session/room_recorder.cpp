// The room recorder of a media::session (recordStart): every announced track
// written to its own file by a recording::track_recorder while the recording
// is on, and the manifest kept up to date. State and threading: session/impl.hpp.
#include "media/session/impl.hpp"

#include "media/runtime.hpp"

#include <cctype>
#include <system_error>

namespace vr::media {

namespace {

// Mids and peer ids come from outside: only [A-Za-z0-9_-] goes into a file name.
std::string file_safe(const std::string& s) {
  std::string out;
  for (char c : s)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out;
}

std::int64_t ms_between(GstClockTime from, GstClockTime to) {
  if (!GST_CLOCK_TIME_IS_VALID(from) || !GST_CLOCK_TIME_IS_VALID(to))
    return 0;
  return (static_cast<std::int64_t>(to) - static_cast<std::int64_t>(from)) / 1000000;
}

}  // namespace

GstClockTime session::impl::running_time() const {
  gst_object_ptr<GstClock> clock{gst_element_get_clock(pipeline.get())};
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  return gst_clock_get_time(clock.get()) - gst_element_get_base_time(pipeline.get());
}

void session::impl::start_room_recording(recording_output out) {
  if (recording)
    return;
  std::error_code ec;
  std::filesystem::create_directories(out.dir, ec);
  if (ec)
    return emit_error("", "recording_failed", out.dir.string() + ": " + ec.message());
  recording = std::make_unique<session_detail::room_recording>();
  recording->started = running_time();
  recording->serial = ++recording_serial;
  recording->manifest.room = out.room;
  recording->manifest.started_at = recording::utc_iso8601(std::chrono::system_clock::now());
  recording->out = std::move(out);
  GST_INFO("recording the room to %s", recording->out.dir.c_str());
  for (auto& [id, p] : peers)
    recording->manifest.add_peer(id, p->display_name);
  for (auto& [id, p] : peers)
    for (const auto& mid : p->announced)
      record_track(*p, mid);
  write_manifest();
}

// An announced track, while recording, from now on.
void session::impl::record_track(peer& p, const std::string& mid) {
  if (!recording)
    return;
  const std::string tid = track_id(p.id, mid);
  auto it = p.sources.find(mid);
  if (recording->tracks.count(tid) || it == p.sources.end())
    return;
  published& pub = it->second;
  auto caps = pub.src->caps();
  auto format = recording::format_for(caps.get());
  if (!format) {
    gchar_ptr text{caps ? gst_caps_to_string(caps.get()) : nullptr};
    return emit_error(
      p.id, "recording_failed",
      "cannot record " + (text ? std::string(text.get()) : "?") + " without transcoding");
  }
  // A replaced track (new SSRC) gets a new file: the number keeps names apart.
  const std::string file = file_safe(p.id) + "-" + file_safe(mid) + "-" +
                           std::to_string(recording->next_file++) + "." + format->extension;
  std::weak_ptr<impl> weak = weak_from_this();
  auto on_first = [weak, file, serial = recording->serial](GstClockTime first) {
    if (auto self = weak.lock())
      self->rt->post([self, file, first, serial] {
        if (!self->recording || self->recording->serial != serial)
          return;
        if (auto* t = self->recording->manifest.find_track(file)) {
          t->start_offset_ms =
            std::max<std::int64_t>(0, ms_between(self->recording->started, first));
          self->write_manifest();
        }
      });
  };
  try {
    // A simulcast camera is written from its best layer flowing, the top one
    // once it comes (track_recorder, `layered`).
    auto& rec = recording->tracks[tid] = std::make_unique<recording::track_recorder>(
      bin(), *pub.src, recording->out.dir / file, *format, std::move(on_first), pub.simulcast);
    for (auto v : simulcast::all_variants)
      if (source* layer = pub.simulcast ? pub.layer(v) : nullptr)
        rec->add_layer(v, *layer);
    rec->set_enabled(pub.enabled);
  } catch (const std::exception& e) {
    return emit_error(p.id, "recording_failed", e.what());
  }
  recording->files[tid] = file;
  recording->manifest.add_peer(p.id, p.display_name);
  recording->manifest.tracks.push_back(
    {tid, p.id, pub.kind, format->codec, file, std::nullopt, std::nullopt});
  recording_count = recording->tracks.size();
  write_manifest();
}

recording::track_recorder* session::impl::recorder_of(const std::string& tid) {
  if (!recording)
    return nullptr;
  auto it = recording->tracks.find(tid);
  return it == recording->tracks.end() ? nullptr : it->second.get();
}

// The track is gone (or the recording stops): its file is finished, not cut.
void session::impl::close_track(const std::string& tid) {
  if (!recording)
    return;
  auto it = recording->tracks.find(tid);
  if (it == recording->tracks.end())
    return;
  if (auto* t = recording->manifest.find_track(recording->files[tid]))
    t->end_offset_ms = ms_between(recording->started, running_time());
  std::weak_ptr<impl> weak = weak_from_this();
  it->second->finish([weak] {
    if (auto self = weak.lock())
      self->rt->post([self] { self->reap_closed(); });
  });
  closing.push_back(std::move(it->second));
  recording->tracks.erase(it);
  recording->files.erase(tid);
  recording_count = recording->tracks.size();
  write_manifest();
}

void session::impl::stop_room_recording() {
  if (!recording)
    return;
  std::vector<std::string> tids;
  for (auto& [tid, r] : recording->tracks)
    tids.push_back(tid);
  for (const auto& tid : tids)
    close_track(tid);
  recording->manifest.stopped_at = recording::utc_iso8601(std::chrono::system_clock::now());
  write_manifest();
  GST_INFO("recording to %s stopped", recording->out.dir.c_str());
  recording.reset();
}

// A small file, rewritten on the media thread (never on an actor's).
void session::impl::write_manifest() {
  if (recording && !recording::write(recording->manifest, recording->out.dir))
    emit_error("", "recording_failed",
               "cannot write the manifest in " + recording->out.dir.string());
}

void session::impl::reap_closed() {
  std::erase_if(closing, [](const auto& r) { return r->finished(); });
}

void session::impl::finish_closing() {
  // Muxers finish in milliseconds; a stuck branch must not hold teardown long.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (auto& r : closing) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (!r->wait_finished(std::max(left, std::chrono::milliseconds(0))))
      GST_WARNING("a recorded file did not finish in time");
  }
  closing.clear();
}

}  // namespace vr::media
