// A WebRTC peer on webrtcbin that behaves like the browser client of
// protocol.md section 4, driven by plain calls and callbacks (no signaling
// transport), so tests and benchmarks can wire it to a media::session
// in-process or wrap it in a protocol-speaking client.
//
// - publish(): generated VP8 (or H264) video and Opus audio on a publish connection
//   (this peer offers, only it sends).
// - on_subscribe_offer(): answers the server's offers on a subscribe
//   connection and counts the RTP packets received per track (no decoding),
//   keyframes included (from the VP8 / H264 payload headers), and the one-way delay of packets that
//   another webrtc_peer of this process sent.
//
// Thread-safe: calls are queued onto the media::runtime thread; callbacks run
// on that thread; the counters may be read from any thread.
#pragma once

#include "media/session.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vr::test {

class encoded_loop;

struct peer_options {
  bool audio = true, video = true;    // what publish() sends
  std::string address = "127.0.0.1";  // ICE pinned to this address ("" = all interfaces)
  // Frames between keyframes the encoder makes on its own. Large by default:
  // after the first one, keyframes come only when the server asks (PLI), which
  // is what the tests want to observe.
  unsigned keyframe_distance = 100000;
  int width = 320, height = 240, fps = 15;
  std::string video_codec = "VP8";  // or "H264" (constrained baseline, packetization-mode 1)
  bool subscribe = true;            // false: subscribe offers are ignored (never answered)
  // Publish this pre-encoded VP8 + Opus loop instead of encoding test sources
  // (the load generator); its packets carry send-time stamps (stamp.hpp).
  std::shared_ptr<encoded_loop> loop;
  // > 0: a lossy wire. Every Nth video packet of the publish connection is
  // dropped after webrtcbin's RTX sender kept it, and the video transceivers
  // do NACK/RTX, so a receiver that asks gets it back.
  unsigned drop_every = 0;
  // How long this peer's jitterbuffers wait for a missing packet. 0: none,
  // packets are counted as they come (a late retransmission is dropped).
  unsigned receive_latency_ms = 0;
  // > 0: the generated audio is offered with the audio-level header extension
  // (RFC 6464) under this id, and every audio packet carries the level last
  // given to set_audio_level (like a browser's microphone, without decoding).
  unsigned audio_level_id = 0;
};

struct received_track {
  std::string track_id, mid, kind;
  std::uint64_t packets = 0, bytes = 0, keyframes = 0;  // keyframes: VP8 and H264
  // Sequence numbers spanned (first to highest seen): expected - packets = lost.
  std::uint64_t expected = 0;
};

struct latency_summary {
  std::size_t samples = 0;
  double min_ms = 0, median_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};

class webrtc_peer {
public:
  // Where this peer's messages go (to the server).
  struct signaling {
    std::function<void(std::string sdp)> publish_offer;
    std::function<void(std::string sdp)> subscribe_answer;
    std::function<void(media::pc_kind, std::string candidate, unsigned mline)> candidate;
    std::function<void(std::string what)> error;  // optional
  };

  webrtc_peer(std::string name, peer_options opts, signaling sig);
  ~webrtc_peer();  // stops the pipeline (blocks for the teardown)
  webrtc_peer(const webrtc_peer&) = delete;
  webrtc_peer& operator=(const webrtc_peer&) = delete;

  const std::string& name() const;

  // Starts the test sources and sends a publish offer.
  void publish();

  // A publish renegotiation like a browser's after transceiver.direction =
  // "inactive" (kinds listed) or back to "sendonly" (kinds not listed): the
  // first publish offer is re-sent with those m-lines inactive. The media keeps
  // flowing from this side (webrtcbin 1.22 cannot renegotiate directions), so
  // it is the server that must stop forwarding; the answer is only recorded.
  void renegotiate_publish(std::vector<std::string> inactive_kinds);
  std::string last_publish_answer() const;

  // Messages from the server.
  void on_publish_answer(std::string sdp);
  void on_subscribe_offer(std::string sdp, std::map<std::string, std::string> mid_to_track);
  void on_candidate(media::pc_kind kind, std::string candidate, unsigned mline);
  // Asks the server for a keyframe of a received track (a PLI, like a
  // browser's decoder that lost a frame).
  void request_keyframe(std::string track_id);
  // tracksRemoved: frees what this peer's webrtcbin keeps per remote SSRC.
  void forget_tracks(std::vector<std::string> track_ids);

  // Snapshots, keyed by track id (mids not yet mapped are keyed "mid:<mid>").
  std::map<std::string, received_track> received() const;
  std::uint64_t packets(const std::string& track_id) const;
  std::uint64_t keyframes(const std::string& track_id) const;
  std::uint64_t total_packets() const;
  std::size_t offers_received() const;
  bool publish_connected() const;
  std::uint64_t wire_dropped() const;  // video packets the lossy wire dropped
  void stop_wire_loss();               // the lossy wire drops nothing from now on
  // The level (0 loudest .. 127 silence, -dBov) written into the audio packets
  // from now on (audio_level_id); 127 to begin with.
  void set_audio_level(std::uint8_t level);
  bool subscribe_connected() const;
  latency_summary latency() const;
  // Forgets the delays measured so far (a benchmark's warm-up).
  void clear_latency();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace vr::test
