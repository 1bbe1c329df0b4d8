// The Janus VideoRoom API over Janus's WebSocket transport, driving a
// webrtc_peer: the benchmark's second signaling adapter. One Janus session
// per peer; a publisher handle (join as publisher, publish with an offer) and,
// when subscribing, a subscriber handle (join with the feeds, answer Janus's
// offer, start). Every wait is bounded; errors throw.
#pragma once

#include "test/peer/webrtc_peer.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vr::bench {

class janus_peer {
public:
  janus_peer(std::string name, test::peer_options opts, std::uint16_t port, std::uint64_t room);
  ~janus_peer();
  janus_peer(const janus_peer&) = delete;
  janus_peer& operator=(const janus_peer&) = delete;

  // Creates this peer's room (VP8 + Opus, no bitrate cap, as room 1234 of
  // bench/janus/janus.plugin.videoroom.jcfg) on a handle of its own.
  void create_room(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Joins as a publisher and publishes; returns once Janus answered.
  void publish(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The feed id Janus gave this publisher (after publish()).
  std::uint64_t feed() const;
  // Subscribes to these feeds on one connection; returns once it started.
  void subscribe(const std::vector<std::uint64_t>& feeds,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  test::webrtc_peer& media();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace vr::bench
