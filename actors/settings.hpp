// What the actors of one node share, handed to them at spawn (never sent across
// nodes: each node builds its own from its config).
#pragma once

#include "actors/room_rules.hpp"

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include <memory>
#include <string>
#include <vector>

namespace vr::signaling {
class metrics;
}

namespace vr {

class config;

struct node_settings {
  room_limits limits;
  room_type default_type = room_type::group;
  caf::timespan request_timeout = std::chrono::seconds(5);
  std::size_t max_json_depth = 32;
  std::string hls_stage = "dev";
  std::string ice_servers_json = "[]";  // peerAccepted.iceServers, for browsers
  std::vector<std::string> ice_local_addresses;
  std::uint16_t ice_min_port = 0;
  std::uint16_t ice_max_port = 0;
  std::vector<std::string> stun_servers, turn_servers;  // GStreamer's URL forms
  std::shared_ptr<signaling::metrics> metrics;
  // Engines get a thread of their own (their media teardown waits); the
  // deterministic actor tests keep them on the test scheduler instead.
  bool detach_engines = true;
};

using settings_ptr = std::shared_ptr<const node_settings>;

settings_ptr make_settings(const config& cfg, std::shared_ptr<signaling::metrics> m);

// "stun://h:p" → {"urls":"stun:h:p"}; "turn://u:p@h:p" → {"urls":"turn:h:p",
// "username":u,"credential":p}, as RTCPeerConnection's iceServers wants them.
std::string browser_ice_servers(const std::vector<std::string>& stun,
                                const std::vector<std::string>& turn);

}  // namespace vr
