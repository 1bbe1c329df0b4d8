#include "test/peer/encoded_loop.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace vr::test {

using namespace vr::media;

namespace {

// Runs `description` (ending in "appsink name=out") to its end and keeps the
// encoded buffers and their caps.
template <class Buffers>
void encode(const std::string& description, Buffers& out, caps_ptr& caps) {
  GError* raw_err = nullptr;
  GstElement* raw = gst_parse_launch(description.c_str(), &raw_err);
  if (raw)
    gst_object_ref_sink(raw);
  element_ptr pipeline{raw};
  error_ptr err{raw_err};
  if (!pipeline || err)
    throw std::runtime_error("encoded_loop: " + std::string(err ? err->message : "cannot build") +
                             ": " + description);
  element_ptr sink{gst_bin_get_by_name(GST_BIN(pipeline.get()), "out")};
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  while (GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink.get()))) {
    if (!caps)
      caps.reset(gst_caps_copy(gst_sample_get_caps(sample)));
    out.emplace_back(gst_buffer_ref(gst_sample_get_buffer(sample)));
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  if (out.empty() || !caps)
    throw std::runtime_error("encoded_loop: nothing encoded by " + description);
}

}  // namespace

encoded_loop::encoded_loop(options o) : opts_(o) {
  gst_init(nullptr, nullptr);
  auto frames = std::to_string(opts_.fps * opts_.seconds);
  encode("videotestsrc num-buffers=" + frames +
           " pattern=smpte horizontal-speed=4 ! video/x-raw,width=" + std::to_string(opts_.width) +
           ",height=" + std::to_string(opts_.height) + ",framerate=" + std::to_string(opts_.fps) +
           "/1 ! vp8enc deadline=1 cpu-used=4 end-usage=cbr "
           "target-bitrate=" +
           std::to_string(opts_.video_bitrate) + " keyframe-max-dist=" +
           std::to_string(opts_.keyframe_distance) + " ! appsink name=out sync=false",
         video_, video_caps_);
  // 20 ms Opus frames.
  encode("audiotestsrc num-buffers=" + std::to_string(50 * opts_.seconds) +
           " samplesperbuffer=960 wave=sine ! audio/x-raw,rate=48000,channels=2 ! opusenc "
           "frame-size=20 ! appsink name=out sync=false",
         audio_, audio_caps_);
  thread_ = std::jthread{[this](std::stop_token st) { run(st); }};
}

encoded_loop::~encoded_loop() {
  thread_.request_stop();
  if (thread_.joinable())
    thread_.join();
}

double encoded_loop::video_bitrate_measured() const {
  std::size_t bytes = 0;
  for (auto& b : video_)
    bytes += gst_buffer_get_size(b.get());
  return 8.0 * static_cast<double>(bytes) / opts_.seconds;
}

encoded_loop::feed::feed(encoded_loop* loop, element_ptr v, element_ptr a)
    : loop_(loop), video_(std::move(v)), audio_(std::move(a)) {}

encoded_loop::feed::~feed() {
  std::lock_guard lock{loop_->mutex_};
  std::erase(loop_->feeds_, this);
}

std::unique_ptr<encoded_loop::feed> encoded_loop::attach(GstElement* video_src,
                                                         GstElement* audio_src) {
  auto keep = [](GstElement* e) {
    return element_ptr{e ? GST_ELEMENT(gst_object_ref(e)) : nullptr};
  };
  std::unique_ptr<feed> f{new feed(this, keep(video_src), keep(audio_src))};
  std::lock_guard lock{mutex_};
  f->origin_ = video_pushed_;
  feeds_.push_back(f.get());
  return f;
}

void encoded_loop::push(std::uint64_t n, bool video) {
  std::lock_guard lock{mutex_};
  if (video)
    video_pushed_ = n + 1;
  // Every other frame in reverse: no publisher is always served first (the
  // benchmark compares servers loaded at once; the first fed would get its
  // packets first on every frame).
  bool reverse = (pushes_++ % 2) == 1;
  for (std::size_t i = 0; i < feeds_.size(); ++i) {
    auto* f = feeds_[reverse ? feeds_.size() - 1 - i : i];
    auto* src = video ? f->video_.get() : f->audio_.get();
    if (!src)
      continue;
    GstBuffer* frame =
      video ? video_[(n - f->origin_) % video_.size()].get() : audio_[n % audio_.size()].get();
    // Shares the encoded memory; appsrc (do-timestamp) gives it the running time.
    GstBuffer* copy = gst_buffer_copy(frame);
    GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION(copy) = GST_CLOCK_TIME_NONE;
    gst_app_src_push_buffer(GST_APP_SRC(src), copy);
  }
}

// Paces frames out in real time; a new publisher starts at the loop's first
// frame, a keyframe.
void encoded_loop::run(std::stop_token stop) {
  using clock = std::chrono::steady_clock;
  const auto frame = std::chrono::nanoseconds(1'000'000'000 / opts_.fps);
  const auto audio_frame = std::chrono::milliseconds(20);
  auto start = clock::now();
  std::uint64_t v = 0, a = 0;
  while (!stop.stop_requested()) {
    auto next_v = start + v * frame, next_a = start + a * audio_frame;
    std::this_thread::sleep_until(std::min(next_v, next_a));
    if (clock::now() >= next_v)
      push(v++, true);
    if (clock::now() >= next_a)
      push(a++, false);
  }
}

}  // namespace vr::test
