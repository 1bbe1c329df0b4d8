// A client of the real server that speaks protocol.md end to end: Phoenix v2
// over a WebSocket (ws_client), the room channel, and media events driving a
// webrtc_peer (test/peer). Used by the SFU tests and the benchmarks.
//
// Thread-safe. The WebSocket runs on its own thread; every wait is bounded.
// A peer can leave and join again on the same socket (a new join ref, a fresh
// webrtc_peer), as the browser client does on rejoin.
#pragma once

#include "test/peer/webrtc_peer.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace vr::test {

using namespace std::chrono_literals;

struct join_options {
  std::string room_type;     // "roomType" of the join params; "" = not sent
  std::string role;          // "role" wish; "" = not sent
  std::string extra_params;  // more members of the join params, raw JSON: R"("x":1)"
  bool publish = false;      // publish once peerAccepted grants the publisher role
  // On tracksRemoved, webrtc_peer::forget_tracks (rtpbin's clear-ssrc) frees
  // the receiver's per-SSRC state, as a long-lived client must. Packets of
  // that SSRC arriving later are then no longer counted for the track, so a
  // test that must see whether the server stopped forwarding a removed track
  // turns this off.
  bool forget_removed_tracks = true;
  std::chrono::milliseconds timeout = 10s;  // for the join reply and for peerAccepted each
};

struct join_reply {
  bool ok = false;     // joined the channel and accepted into the media session
  std::string reason;  // why not: the join error reason, "timeout", "connect: ...", ...
  std::string peer_id, role, room_type, owner_id;
};

struct push_reply {
  std::string status;           // "ok", "error", or "timeout" (no reply in time)
  std::string response = "{}";  // its JSON
};

struct received_event {
  std::string kind;  // "media" (a media event) or "push" (a channel event)
  std::string type;  // media event type or channel event name
  std::string data;  // its JSON (a media event's inner data)
};

struct media_error {
  std::string reason, message;
};

class protocol_peer {
public:
  explicit protocol_peer(std::string display_name, peer_options opts = {});
  ~protocol_peer();  // drops the connection (no goodbye) and stops the media
  protocol_peer(const protocol_peer&) = delete;
  protocol_peer& operator=(const protocol_peer&) = delete;

  // Connects (once; later joins reuse the socket), joins room:ROOM with
  // {displayName, roomType?, role?, ...}, reads the join reply and sends the
  // `join` media event, then waits for peerAccepted. A later join starts from
  // a fresh webrtc_peer and forgets the events and room view of the last one.
  join_reply connect_and_join(std::uint16_t port, const std::string& room, join_options opts = {});
  // The same with the join params' extra members given raw; never publishes
  // by itself (call publish()).
  join_reply join(std::uint16_t port, const std::string& room, const std::string& extra_params = "",
                  std::chrono::milliseconds timeout = 10s);
  // Starts publishing the generated stream (sends a publishOffer), whatever
  // the role: a viewer's offer is how a test provokes a refusal.
  void publish();
  // A channel request (raiseHand, answerHand, kick, ...) and its reply.
  push_reply push(const std::string& event, const std::string& payload_json,
                  std::chrono::milliseconds timeout = 5s);
  // Any media event, raw (for tests of refusals).
  void send_media_event(const std::string& type, const std::string& data_json);
  // phx_leave; true once the reply is ok and phx_close arrived. The socket
  // stays open for a later join; the webrtc_peer keeps sending until then, so
  // a test sees whether the server stopped forwarding it by itself.
  bool leave(std::chrono::milliseconds timeout = 5s);
  // Drops the TCP connection without a WebSocket close, phx_leave or leave.
  void close_abruptly();

  // Polls `pred` until it holds or `timeout` passes; returns its last value.
  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
  // Events of the current join. `needle` must occur in the event's data.
  bool has_event(const std::string& type, const std::string& needle = "") const;
  bool wait_event(const std::string& type, const std::string& needle = "",
                  std::chrono::milliseconds timeout = 10s);
  std::size_t count_events(const std::string& type, const std::string& needle = "") const;
  std::vector<received_event> events() const;
  std::vector<media_error> errors() const;  // `error` media events

  // The room as announced to this peer: other peers' ids, and the live
  // tracks (track id → kind) of one of them.
  std::set<std::string> peers() const;
  std::map<std::string, std::string> tracks_of(const std::string& peer_id) const;

  // RTP packets (keyframes) received from `peer_id`'s tracks of `kind`
  // ("audio", "video", "" = all), attributed through tracksAdded.
  std::uint64_t packets_from(const std::string& peer_id, const std::string& kind = "") const;
  std::uint64_t keyframes_from(const std::string& peer_id) const;
  // Per track id, as webrtc_peer counts them.
  std::map<std::string, received_track> received() const;

  std::string peer_id() const;  // of the current join
  std::string role() const;     // as last granted (join reply, roleChanged)
  // The current webrtc_peer (replaced by a later join).
  webrtc_peer& media();
  bool closed() const;          // the WebSocket is gone
  bool channel_closed() const;  // phx_close (or phx_error) for the current join

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace vr::test
