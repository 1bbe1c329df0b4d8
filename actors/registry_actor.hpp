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

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include <cstddef>

namespace vr {

struct find_room;
struct placed_join;
struct join_result;
struct room_empty;
struct count_rooms;
struct node_up;
struct node_down;
struct rooms_here;
struct room_gone;
struct engine_idle;

using registry_api = caf::typed_actor<
  // channel → registry: join room `id` (delegated to the room, here or on its node).
  caf::replies_to<find_room>::with<join_result>,
  // registry → registry of another node: a join placed there (never forwarded again).
  caf::replies_to<placed_join>::with<join_result>,
  // room → registry: no member left (with the count of joins it has seen).
  caf::reacts_to<room_empty>,
  // anyone → registry: how many rooms this node holds (tests, metrics).
  caf::replies_to<count_rooms>::with<std::size_t>,
  // cluster → registry: a node came or went.
  caf::reacts_to<node_up>, caf::reacts_to<node_down>,
  // registry → registries of other nodes: rooms that live on a node now, or ended there.
  caf::reacts_to<rooms_here>, caf::reacts_to<room_gone>,
  // engine of this node → registry: none of the room's peers is on this node now.
  caf::reacts_to<engine_idle>>;

registry_api spawn_registry(caf::actor_system& sys, settings_ptr settings);

}  // namespace vr
