#include "actors/registry_actor.hpp"

#include "actors/messages.hpp"
#include "actors/rendezvous.hpp"
#include "actors/room_actor.hpp"
#include "signaling/metrics.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <vector>

namespace vr {

namespace {

using self_ptr = caf::stateful_actor<registry_state>*;

void tell_nodes(self_ptr self, const caf::message& msg) {
  for (auto& [name, registry] : self->state.nodes)
    self->send(registry, msg);
}

void count_remote(self_ptr self) {
  self->state.settings->metrics->set("vr_cluster_remote_rooms",
                                     static_cast<double>(self->state.remote_rooms.size()));
}

// Forgets a room, if `addr` is still the actor behind its id; false when
// `addr` is no room of ours.
bool forget(self_ptr self, const caf::actor_addr& addr) {
  auto& rooms = self->state.rooms;
  auto it = std::find_if(rooms.begin(), rooms.end(),
                         [&](auto& kv) { return kv.second.room.address() == addr; });
  if (it == rooms.end())
    return false;
  auto id = it->first;
  rooms.erase(it);
  tell_nodes(self, caf::make_message(room_gone_atom::value, id, self->state.settings->cluster_name));
  return true;
}

registry_state::entry& local_room(self_ptr self, const std::string& id, const join_request& req) {
  auto& st = self->state;
  if (auto it = st.rooms.find(id); it != st.rooms.end())
    return it->second;
  auto type = parse_room_type(req.room_type).value_or(st.settings->default_type);
  auto room = self->spawn<caf::linked>(room_actor, id, type, caf::actor{self}, st.settings);
  st.remote_rooms.erase(id);
  count_remote(self);
  tell_nodes(self, caf::make_message(rooms_atom::value, st.settings->cluster_name,
                                     std::vector<std::string>{id}));
  return st.rooms.emplace(id, registry_state::entry{room}).first->second;
}

// The registry of the node that holds, or is to hold, room `id`; null for this node.
caf::actor placement(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (st.rooms.count(id) != 0 || st.nodes.empty())
    return {};
  if (auto it = st.remote_rooms.find(id); it != st.remote_rooms.end())
    if (auto node = st.nodes.find(it->second); node != st.nodes.end())
      return node->second;
  std::vector<std::string> names{st.settings->cluster_name};
  for (auto& [name, registry] : st.nodes)
    names.push_back(name);
  auto owner = rendezvous_owner(id, names);
  auto node = st.nodes.find(owner);
  return node == st.nodes.end() ? caf::actor{} : node->second;
}

// Joins the room here, making it if need be (counted for the empty check).
caf::delegated<caf::message> join_here(self_ptr self, const std::string& id, const join_request& req) {
  auto& e = local_room(self, id, req);
  ++e.joins_sent;
  return self->delegate(e.room, join_atom::value, id, req);
}

std::vector<std::string> local_ids(self_ptr self) {
  std::vector<std::string> ids;
  for (auto& [id, e] : self->state.rooms)
    ids.push_back(id);
  return ids;
}

}  // namespace

caf::behavior registry_actor(self_ptr self, settings_ptr settings) {
  self->state.settings = std::move(settings);
  // Rooms are linked to the registry: they end with it, and it hears when one
  // ends (an exit message) without ending itself.
  self->set_exit_handler([self](caf::exit_msg& em) {
    if (!forget(self, em.source) && em.reason)
      self->quit(em.reason);
  });
  return {
    [self](join_atom, const std::string& id, const join_request& req) {
      if (auto remote = placement(self, id))
        return self->delegate(remote, placed_join_atom::value, id, req);
      return join_here(self, id, req);
    },
    [self](placed_join_atom, const std::string& id, const join_request& req) {
      // Another node placed this room here: hold it, whatever this node's view.
      return join_here(self, id, req);
    },
    [self](empty_atom, const std::string& id, std::uint64_t joins_seen) {
      // Stop the room only if no join is on its way to it.
      auto& rooms = self->state.rooms;
      auto it = rooms.find(id);
      if (it == rooms.end() || it->second.room.address() != self->current_sender() ||
          it->second.joins_sent != joins_seen)
        return;
      auto room = it->second.room;
      forget(self, room.address());
      self->unlink_from(room);
      // A normal exit reason would be ignored by the room: say shutdown.
      self->send_exit(room, caf::exit_reason::user_shutdown);
    },
    [self](count_atom) { return self->state.rooms.size(); },
    [self](node_up_atom, const std::string& name, const caf::actor& registry) {
      auto& st = self->state;
      st.nodes[name] = registry;
      // It learns which rooms live here; it tells us its own the same way.
      if (!st.rooms.empty())
        self->send(registry, rooms_atom::value, st.settings->cluster_name, local_ids(self));
    },
    [self](node_down_atom, const std::string& name) {
      auto& st = self->state;
      st.nodes.erase(name);
      std::erase_if(st.remote_rooms, [&](auto& kv) { return kv.second == name; });
      count_remote(self);
    },
    [self](rooms_atom, const std::string& node, const std::vector<std::string>& ids) {
      auto& st = self->state;
      for (auto& id : ids)
        if (st.rooms.count(id) == 0)
          st.remote_rooms[id] = node;
      count_remote(self);
    },
    [self](room_gone_atom, const std::string& id, const std::string& node) {
      auto& remote = self->state.remote_rooms;
      if (auto it = remote.find(id); it != remote.end() && it->second == node)
        remote.erase(it);
      count_remote(self);
    },
  };
}

}  // namespace vr
