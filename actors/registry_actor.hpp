// One per node: finds or creates rooms by id (the Elixir videoroom's :global
// registry). Joins pass through it to the room, so it can tell whether a join is
// still in flight when a room reports that it is empty.
//
// In a cluster (settings->cluster_name set) a room lives on one node: the one
// its id names by rendezvous hashing over the live nodes, unless another node
// already holds it (a room stays where it began when nodes come and go). The
// registries tell each other which rooms they hold; a join for a room held or
// placed elsewhere is delegated to that node's registry, so the room's reply
// goes straight back to the channel, under the channel's request timeout.
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
  std::map<std::string, entry> rooms;             // rooms of this node
  std::map<std::string, caf::actor> nodes;        // other live nodes' registries by name
  std::map<std::string, std::string> remote_rooms;  // room id → name of the node holding it
  settings_ptr settings;
  static inline const char* name = "registry_actor";
};

caf::behavior registry_actor(caf::stateful_actor<registry_state>* self, settings_ptr settings);

}  // namespace vr
