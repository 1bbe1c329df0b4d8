// One per node: finds or creates rooms by id (the Elixir videoroom's :global
// registry). Joins pass through it to the room, so it can tell whether a join is
// still in flight when a room reports that it is empty.
#pragma once

#include "actors/settings.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace vr {

struct registry_state {
  struct entry {
    caf::actor room;
    std::uint64_t joins_sent = 0;
  };
  std::map<std::string, entry> rooms;
  settings_ptr settings;
  static inline const char* name = "registry_actor";
};

caf::behavior registry_actor(caf::stateful_actor<registry_state>* self, settings_ptr settings);

}  // namespace vr
