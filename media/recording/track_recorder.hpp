// One published track written to a file as it arrives, without transcoding: a
// branch off the track's tee (queue → rtpjitterbuffer → depayloader → muxer →
// filesink). VP8/VP9/Opus go to WebM, H264 to fragmented MP4. The muxers
// write a cluster / fragment at least every second and the file is written
// unbuffered, so a process that dies leaves a file readable up to about the
// last second; finish() sends EOS through the muxer so a stopped file also
// gets its duration and index.
#pragma once

#include "media/gst_ptr.hpp"
#include "media/simulcast/variant.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace vr::media {

class source;
class variant_branch;

namespace recording {

// How a codec (an RTP encoding-name) is written; nullopt: not without transcoding.
struct file_format {
  std::string codec;      // "VP8", "OPUS", "H264", "VP9"
  std::string extension;  // "webm" | "mp4"
};
std::optional<file_format> format_for(const GstCaps* rtp_caps);

class track_recorder {
public:
  // Starts writing `file` (its directory must exist). `on_first` runs once, on
  // a streaming thread, with the running time of the first buffer the muxer
  // gets (video starts at a keyframe, asked of the publisher here).
  // Throws std::runtime_error when the branch cannot be built.
  // With `layered`, `src` is the first layer of a simulcast track: the file
  // gets one layer at a time, the best one flowing (add_layer, set_enabled),
  // switched at a keyframe into one continuous stream (media/variant_branch),
  // so a top layer that starts late (Firefox's, or Chrome's as its bandwidth
  // estimate grows) is recorded from when it comes.
  track_recorder(GstBin* pipeline, source& src, const std::filesystem::path& file,
                 const file_format& format, std::function<void(GstClockTime)> on_first,
                 bool layered = false);
  // Stops at once: a file not finish()ed keeps what was written (as after a crash).
  ~track_recorder();
  track_recorder(const track_recorder&) = delete;
  track_recorder& operator=(const track_recorder&) = delete;

  // Detaches from the tee and sends EOS through the muxer. `done` runs on a
  // streaming thread once the file is complete (then destroy the recorder).
  void finish(std::function<void()> done);
  // Blocks up to `timeout` for finish() to complete; true if it did.
  bool wait_finished(std::chrono::milliseconds timeout);
  bool finished();

  // A simulcast track's layers (the first one included) as they come, and the
  // ones flowing: see `layered`.
  void add_layer(simulcast::variant v, source& layer);
  void set_enabled(simulcast::variant_set flowing);

  struct state;  // shared with the pad probes

private:
  GstBin* pipeline_;
  element_ptr tee_;
  element_ptr bin_;
  pad_ptr tee_src_;
  std::unique_ptr<variant_branch> layers_;  // instead of tee_src_ when layered
  std::shared_ptr<state> st_;
};

}  // namespace recording
}  // namespace vr::media
