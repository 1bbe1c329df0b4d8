// What the actors of one node share, handed to them at spawn (never sent across
// nodes: each node builds its own from its config).
#pragma once

#include "actors/room_rules.hpp"
#include "signaling/protocol/messages.hpp"

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "media/hls/hls_playlist.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vr::signaling {
class metrics;
}

namespace vr {

class config;
class rate_limiter;

struct node_settings {
  room_limits limits;
  room_type default_type = room_type::group;
  bool simulcast = false;  // rooms.simulcast: group rooms receive simulcast layers
  caf::timespan request_timeout = std::chrono::seconds(5);
  // auth.secret: when set, every join needs a token signed with it (join_token.hpp).
  std::string auth_secret;
  std::size_t max_rooms = 0;  // rooms on this node, 0 = unlimited
  // Joins per second per IP, node-wide (socket_actor; thread-safe). Null = unlimited.
  std::shared_ptr<rate_limiter> join_limiter;
  std::size_t max_json_depth = 32;
  std::string hls_stage = "dev";
  std::string http_public_url;  // "" = URLs relative to the page's node
  // LL-HLS of broadcast rooms: streams are written under hls_dir/PUB/STREAM.
  std::filesystem::path hls_dir;
  media::hls::playlist_config hls_playlist{
    .target_part_s = 0.3, .target_segment_s = 2.0, .window_segments = 6};
  // The HTTP side that serves them (thread-safe; hls_update is called from
  // media threads). Unset in actor tests.
  std::function<void(const std::string&stream)> hls_expect, hls_forget;
  std::function<void(const std::string& stream, std::shared_ptr<const media::hls::snapshot>)>
    hls_update;
  // Recordings (recordStart): one directory each under recording_dir.
  bool recording_enabled = true;
  std::filesystem::path recording_dir = "recordings";
  std::vector<signaling::protocol::ice_server>
    ice_servers;  // peerAccepted.iceServers, for browsers
  std::vector<std::string> ice_local_addresses;
  std::uint16_t ice_min_port = 0;
  std::uint16_t ice_max_port = 0;
  std::vector<std::string> stun_servers, turn_servers;  // GStreamer's URL forms
  // TURN REST API (ice.turn-secret, ice.turn-ttl): "" = static credentials only.
  std::string turn_secret;
  std::chrono::seconds turn_ttl{86400};
  // Voice activity (vad.*): see media::voice_activity_config.
  unsigned vad_threshold_dbov = 50;
  std::chrono::milliseconds vad_speech_after{200}, vad_silence_after{500};
  std::shared_ptr<signaling::metrics> metrics;
  // This node's name in a cluster ("host:port" of cluster.host/node-port);
  // empty for a single node.
  std::string cluster_name;
  // Node-to-node media (cluster.media-*): where this node sends and receives it.
  std::string media_address = "127.0.0.1";
  std::uint16_t media_min_port = 0, media_max_port = 0;
  bool media_encryption = true;
  // Engines get a thread of their own (their media teardown waits); the
  // deterministic actor tests keep them on the test scheduler instead.
  bool detach_engines = true;
};

using settings_ptr = std::shared_ptr<const node_settings>;

std::shared_ptr<node_settings> make_settings(const config& cfg,
                                             std::shared_ptr<signaling::metrics> m);

// "stun://h:p" → {"urls":"stun:h:p"}; "turn://u:p@h:p" → {"urls":"turn:h:p",
// "username":u,"credential":p}, as RTCPeerConnection's iceServers wants them;
// "turn://h:p" → {"urls":"turn:h:p"} (credentials per peer: peer_ice_servers).
std::vector<signaling::protocol::ice_server> browser_ice_servers(
  const std::vector<std::string>& stun, const std::vector<std::string>& turn);

// peerAccepted.iceServers for one peer: ice_servers, where a turn_secret is set
// with time-limited credentials ("EXPIRY:PEERID", EXPIRY = now + turn_ttl) on
// the TURN entries that have no user:password of their own.
std::vector<signaling::protocol::ice_server> peer_ice_servers(
  const node_settings& s, std::string_view peer_id,
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace vr
