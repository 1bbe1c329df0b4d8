// Forwarding without decoding: a published track's RTP goes from its publish
// webrtcbin src pad into a `tee` (a `source`); each subscriber gets a tee src
// pad linked straight to its webrtcbin sink pad (a `branch`).
#pragma once

#include "media/gst_ptr.hpp"
#include "media/voice_activity.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace vr::media {

class runtime;

// Counters bumped on streaming threads, read by session::get_stats.
struct forward_counters {
  std::atomic<std::uint64_t> packets{0}, bytes{0}, dropped{0};
  std::atomic<std::uint64_t> keyframe_requests{0}, keyframe_requests_coalesced{0};
};

// The caps a subscriber's m-line needs, nothing else: media, encoding-name,
// payload, clock-rate, ssrc, encoding-params, rtcp-fb-* and the H264/Opus fmtp
// parameters the browser's decoder matches on. Drops extmap-* (the publisher's
// header extension ids mean nothing on the subscribe connection), Opus sprop-*
// and webrtcbin's a-* / ssrc-* leftovers.
caps_ptr forwarded_caps(const GstCaps* in);

// One published track. Created on the streaming thread that emits pad-added
// (the src pad must be linked before that thread returns or the publish
// connection's data flow errors out), then handed to the media thread.
class source {
public:
  // `on_caps` runs on a streaming thread when the forwarded caps change.
  source(GstBin* pipeline, GstPad* webrtc_src, runtime& rt,
         std::chrono::milliseconds keyframe_throttle, std::shared_ptr<forward_counters> counters,
         std::function<void(caps_ptr)> on_caps);
  ~source();  // unlinks the tee, sets it to NULL and removes it
  source(const source&) = delete;
  source& operator=(const source&) = delete;

  GstElement* tee() const { return tee_.get(); }
  caps_ptr caps() const;  // forwarded caps, null until known

  // Asks the publisher for a keyframe (PLI), through the per-source throttle.
  void request_keyframe();
  // The same, callable from any thread, also after the source is gone (then
  // it does nothing).
  std::function<void()> keyframe_requester() const;

  // How long since the last packet (max if none yet).
  std::chrono::milliseconds idle_for() const;

  // From now on, reads the audio-level header extension `ext_id` of every
  // packet into a voice activity detector; `on_change` runs on the streaming
  // thread when speech starts (true) or stops. Once per source: later calls
  // are ignored (the m-line's extension id does not change).
  void watch_voice(unsigned ext_id, voice_activity_config cfg,
                   std::function<void(bool speech)> on_change);

  // Once the header extension `ext_id` shows up on a packet, `on_value` runs
  // once on the streaming thread with its value (a simulcast layer's rid).
  // Call before buffers flow (in pad-added). Once per source.
  void watch_extension(unsigned ext_id, std::function<void(std::string)> on_value);

  // A listener sees every buffer before the tee (on the streaming thread, the
  // buffer borrowed): how a simulcast variant_branch picks one layer.
  using listener = std::function<void(GstBuffer*)>;
  void add_listener(std::shared_ptr<const listener> l);
  void remove_listener(const std::shared_ptr<const listener>& l);

  struct shared;  // state shared with pad probes, timers and branches

private:
  friend class branch;
  GstBin* pipeline_;
  element_ptr tee_;
  pad_ptr tee_sink_;
  pad_ptr webrtc_src_;
  std::shared_ptr<shared> shared_;
  gulong downstream_probe_ = 0, upstream_probe_ = 0, buffer_probe_ = 0;
};

// One subscriber's copy of one track: tee src pad → webrtcbin sink pad, through
// a probe that reports OK upstream whatever the subscriber returns (and counts
// what it refused as dropped). While all of a tee's src pads are branches,
// the source hands buffers to them itself instead of the tee.
class branch {
public:
  branch(source& src, GstPad* webrtc_sink, std::shared_ptr<forward_counters> counters);
  ~branch();  // unlinks and releases the tee pad
  branch(const branch&) = delete;
  branch& operator=(const branch&) = delete;

  struct state;  // shared with the tee pad's probe and the source's buffer probe

private:
  element_ptr tee_;
  pad_ptr webrtc_sink_;
  std::shared_ptr<source::shared> source_;
  std::shared_ptr<state> st_;
  gulong isolate_probe_ = 0;
};

}  // namespace vr::media
