// One per room: members, roles, owner and the rules (room_rules), plus the
// room's engine_actor. Monitors every member's channel: a channel that dies
// (closed tab, crash, lost node) removes its peer and the others are told.
#pragma once

#include "actors/room_rules.hpp"
#include "actors/settings.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>

namespace vr {

struct room_actor_state {
  std::optional<room_state> room;
  std::map<std::string, caf::actor> channels;  // peer id → its channel
  caf::actor engine;
  caf::actor registry;
  settings_ptr settings;
  std::uint64_t joins_seen = 0;  // lets the registry tell a join in flight
  std::mt19937_64 rng{std::random_device{}()};
  static inline const char* name = "room_actor";
};

caf::behavior room_actor(caf::stateful_actor<room_actor_state>* self, std::string id,
                         room_type type, caf::actor registry, settings_ptr settings);

}  // namespace vr
