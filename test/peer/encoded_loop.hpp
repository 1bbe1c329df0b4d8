// Media encoded once, then replayed in a loop to any number of publishing
// webrtc_peers (each through an appsrc), so that a load generator spends its
// CPU on WebRTC and not on encoders: VP8 at about 1 Mbit/s, 30 fps, and Opus.
//
// Packets sent from a loop carry a stamp (see stamp.hpp) that receivers turn
// into a one-way delay, whatever SSRC and sequence numbers the server writes.
#pragma once

#include "media/gst_ptr.hpp"

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vr::test {

class encoded_loop {
public:
  struct options {
    int width = 640, height = 360, fps = 30;
    unsigned video_bitrate = 1'000'000;  // bit/s
    unsigned keyframe_distance = 60;     // frames (a looped stream cannot make one on demand)
    int seconds = 10;                    // looped again and again
  };

  // Encodes `seconds` of test video and audio (blocking, faster than real time)
  // and starts the thread that paces them out.
  explicit encoded_loop(options o);
  ~encoded_loop();
  encoded_loop(const encoded_loop&) = delete;
  encoded_loop& operator=(const encoded_loop&) = delete;

  const media::caps_ptr& video_caps() const { return video_caps_; }
  const media::caps_ptr& audio_caps() const { return audio_caps_; }
  double video_bitrate_measured() const;  // of the encoded loop, bit/s

  // Feeds these appsrcs (either may be null) until the handle is dropped.
  class feed {
  public:
    ~feed();
    feed(const feed&) = delete;
    feed& operator=(const feed&) = delete;

  private:
    friend class encoded_loop;
    feed(encoded_loop* loop, media::element_ptr v, media::element_ptr a);
    encoded_loop* loop_;
    media::element_ptr video_, audio_;
    // The loop's video frame count when attached: the feed starts at the
    // loop's first frame (a keyframe), so publishers that joined at different
    // times do not send their keyframes in the same frame slot, as real ones
    // do not (aligned, six publishers' keyframes were one burst to forward).
    std::uint64_t origin_ = 0;
  };
  std::unique_ptr<feed> attach(GstElement* video_src, GstElement* audio_src);

private:
  void run(std::stop_token stop);
  // Video or audio frame number `n` of the pacing (each feed takes its own frame).
  void push(std::uint64_t n, bool video);

  struct unref_buffer {
    void operator()(GstBuffer* b) const { gst_buffer_unref(b); }
  };
  using buffer_ptr = std::unique_ptr<GstBuffer, unref_buffer>;

  options opts_;
  std::vector<buffer_ptr> video_, audio_;
  media::caps_ptr video_caps_, audio_caps_;
  std::mutex mutex_;
  std::vector<feed*> feeds_;
  std::uint64_t pushes_ = 0;        // under mutex_
  std::uint64_t video_pushed_ = 0;  // video frames paced out so far, under mutex_
  std::jthread thread_;
};

}  // namespace vr::test
