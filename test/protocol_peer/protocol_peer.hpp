// A client of the real server that speaks protocol.md end to end: Phoenix v2
// over a Beast WebSocket, the room channel, and media events driving a
// webrtc_peer (test/peer). Used by the SFU tests and the benchmarks.
//
// Thread-safe. The WebSocket runs on its own thread; every wait is bounded.
#pragma once

#include "test/peer/webrtc_peer.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vr::test {

using namespace std::chrono_literals;

struct join_reply {
  bool ok = false;
  std::string reason;  // on error
  std::string peer_id, role, room_type, owner_id;
};

struct received_event {
  std::string kind;  // "media" (a media event) or "push" (a channel event)
  std::string type;  // media event type or channel event name
  std::string data;  // its JSON
};

class protocol_peer {
 public:
  protocol_peer(std::string name, peer_options opts = {});
  ~protocol_peer();
  protocol_peer(const protocol_peer&) = delete;
  protocol_peer& operator=(const protocol_peer&) = delete;

  // Connects, joins room:ROOM with {displayName, ...extra} and, when that
  // succeeds, enters the media session (waits for peerAccepted).
  // `extra_params` are more members of the join params, e.g. R"("role":"viewer")".
  join_reply join(std::uint16_t port, const std::string& room, const std::string& extra_params = "",
                  std::chrono::milliseconds timeout = 10s);
  // Starts publishing the generated stream (publish offer).
  void publish();
  // A room request; returns {status, response JSON}.
  std::pair<std::string, std::string> request(const std::string& event, const std::string& payload,
                                              std::chrono::milliseconds timeout = 5s);
  // Sends any media event (for tests of refusals).
  void send_media_event(const std::string& type, const std::string& data_json);
  void leave();           // phx_leave, then the socket closes
  void close_abruptly();  // drops the TCP connection without a word

  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
  // Whether a received event of `type` (whose data contains `needle`) arrived.
  bool has_event(const std::string& type, const std::string& needle = "") const;
  bool wait_event(const std::string& type, const std::string& needle = "",
                  std::chrono::milliseconds timeout = 10s);
  std::vector<received_event> events() const;

  // Packets received from `peer_id`'s tracks of `kind` ("audio"/"video"; "" = all).
  std::uint64_t packets_from(const std::string& peer_id, const std::string& kind = "") const;
  std::uint64_t keyframes_from(const std::string& peer_id) const;
  std::string peer_id() const;
  webrtc_peer& media();
  bool closed() const;  // the server closed the WebSocket

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace vr::test
