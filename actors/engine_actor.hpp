// One per room: the RTC engine. Holds the media session of the room's peers
// (who entered it with the `join` media event, their metadata and tracks) and
// answers media events. The room tells it who is a member and with which role.
#pragma once

#include "actors/messages.hpp"
#include "actors/room_rules.hpp"
#include "actors/settings.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <string>

namespace vr {

struct engine_peer {
  peer_info info;
  caf::actor channel;
  bool joined = false;          // sent the `join` media event
  std::string metadata = "{}";  // JSON object
  std::map<std::string, std::string> tracks;  // track id → {"kind","metadata"} JSON
};

struct engine_state {
  std::string room_id;
  room_type type = room_type::group;
  settings_ptr settings;
  std::string owner;  // empty = none
  std::map<std::string, engine_peer> peers;
  static inline const char* name = "engine_actor";
};

caf::behavior engine_actor(caf::stateful_actor<engine_state>* self, std::string room_id,
                           room_type type, settings_ptr settings);

}  // namespace vr
