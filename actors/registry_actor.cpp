#include "actors/registry_actor.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "actors/rendezvous.hpp"
#include "actors/room_actor.hpp"
#include "signaling/metrics.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <map>
#include <vector>

namespace vr {

namespace {

struct registry_state {
  // Not an aggregate: CAF would otherwise build it from the actor pointer.
  registry_state() = default;
  struct entry {
    room_api room;
    std::uint64_t joins_sent = 0;
  };
  std::map<std::string, entry> rooms;  // rooms of this node
  struct engine_entry {
    engine_api engine;
    std::uint64_t joins_sent = 0;
  };
  // This node's engine of each room with a peer here, wherever the room is.
  std::map<std::string, engine_entry> engines;
  std::map<std::string, registry_api> nodes;        // other live nodes' registries by name
  std::map<std::string, std::string> remote_rooms;  // room id → name of the node holding it
  settings_ptr settings;
  static inline const char* name = "registry_actor";
};

using self_ptr = registry_api::stateful_pointer<registry_state>;

template <class Message>
void tell_nodes(self_ptr self, const Message& msg) {
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
  tell_nodes(self, room_gone{id, self->state.settings->cluster_name});
  return true;
}

registry_state::entry& local_room(self_ptr self, const std::string& id, const join_request& req) {
  auto& st = self->state;
  if (auto it = st.rooms.find(id); it != st.rooms.end())
    return it->second;
  auto type = req.params.type.value_or(req.create_type.value_or(st.settings->default_type));
  auto room = spawn_room(self->system(), self, id, type, self, st.settings);
  st.remote_rooms.erase(id);
  count_remote(self);
  tell_nodes(self, rooms_here{st.settings->cluster_name, {id}});
  return st.rooms.emplace(id, registry_state::entry{room}).first->second;
}

// The registry of the node that holds, or is to hold, room `id`; null for this node.
registry_api placement(self_ptr self, const std::string& id) {
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
  return node == st.nodes.end() ? registry_api{} : node->second;
}

// Why a join may not make room `id` here: rooms.max-rooms reached
// (unavailable), or a join token that may not create a room of this type
// (unauthorized); nullptr when it may, or the room exists.
const char* refuse_new_room(self_ptr self, const std::string& id, const join_request& req) {
  auto& st = self->state;
  if (st.rooms.count(id) != 0)
    return nullptr;
  if (st.settings->max_rooms != 0 && st.rooms.size() >= st.settings->max_rooms) {
    st.settings->metrics->add("vr_refused_total", 1, {{"reason", "max_rooms"}});
    return "unavailable";
  }
  auto type = req.params.type.value_or(req.create_type.value_or(st.settings->default_type));
  if (req.create_type && type != *req.create_type) {
    st.settings->metrics->add("vr_refused_total", 1, {{"reason", "unauthorized"}});
    return "unauthorized";
  }
  return nullptr;
}

// Forgets an engine of this node, if `addr` is one.
bool forget_engine(self_ptr self, const caf::actor_addr& addr) {
  return std::erase_if(self->state.engines,
                       [&](auto& kv) { return kv.second.engine.address() == addr; }) != 0;
}

// This node's engine for room `id`, made if need be; each join it is handed
// is counted (for the idle check).
engine_api node_engine(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.engines.find(id);
  if (it == st.engines.end())
    it =
      st.engines
        .emplace(id, registry_state::engine_entry{spawn_node_engine(*self, self, id, st.settings)})
        .first;
  ++it->second.joins_sent;
  return it->second.engine;
}

// Joins the room here, making it if need be (counted for the empty check).
caf::result<join_result> join_here(self_ptr self, const std::string& id, const join_request& req) {
  if (auto reason = refuse_new_room(self, id, req)) {
    if (req.engine)
      self->send(req.engine, join_refused{});
    return join_result{proto::reply_error{reason}, room_api{}};
  }
  auto& e = local_room(self, id, req);
  ++e.joins_sent;
  return self->delegate(e.room, req);
}

std::vector<std::string> local_ids(self_ptr self) {
  std::vector<std::string> ids;
  for (auto& [id, e] : self->state.rooms)
    ids.push_back(id);
  return ids;
}

registry_api::behavior_type registry_actor(self_ptr self, settings_ptr settings) {
  self->state.settings = std::move(settings);
  // Rooms are linked to the registry: they end with it, and it hears when one
  // ends (an exit message) without ending itself.
  self->set_exit_handler([self](caf::exit_msg& em) {
    if (!forget(self, em.source) && !forget_engine(self, em.source) && em.reason)
      self->quit(em.reason);
  });
  return {
    [self](const find_room& m) -> caf::result<join_result> {
      // The joiner's media stays on this node, wherever the room is.
      auto join = m.join;
      join.engine = node_engine(self, m.room_id);
      if (auto remote = placement(self, m.room_id))
        return self->delegate(remote, placed_join{m.room_id, std::move(join)});
      return join_here(self, m.room_id, join);
    },
    [self](const placed_join& m) {
      // Another node placed this room here: hold it, whatever this node's view.
      return join_here(self, m.room_id, m.join);
    },
    [self](const room_empty& m) {
      // Stop the room only if no join is on its way to it.
      auto& rooms = self->state.rooms;
      auto it = rooms.find(m.room_id);
      if (it == rooms.end() || it->second.room.address() != self->current_sender() ||
          it->second.joins_sent != m.joins_seen)
        return;
      auto room = it->second.room;
      forget(self, room.address());
      self->unlink_from(room);
      // A normal exit reason would be ignored by the room: say shutdown.
      self->send_exit(room, caf::exit_reason::user_shutdown);
    },
    [self](const engine_idle& m) {
      // Stop the engine only if no join handed to it is on its way.
      auto& engines = self->state.engines;
      auto it = engines.find(m.room_id);
      if (it == engines.end() || it->second.engine.address() != self->current_sender() ||
          it->second.joins_sent != m.peers_seen)
        return;
      auto engine = it->second.engine;
      engines.erase(it);
      self->unlink_from(engine);
      self->send_exit(engine, caf::exit_reason::user_shutdown);
    },
    [self](const count_rooms&) { return self->state.rooms.size(); },
    [self](const node_up& m) {
      auto& st = self->state;
      st.nodes[m.name] = m.registry;
      // It learns which rooms live here; it tells us its own the same way.
      if (!st.rooms.empty())
        self->send(m.registry, rooms_here{st.settings->cluster_name, local_ids(self)});
    },
    [self](const node_down& m) {
      auto& st = self->state;
      st.nodes.erase(m.name);
      std::erase_if(st.remote_rooms, [&](auto& kv) { return kv.second == m.name; });
      count_remote(self);
    },
    [self](const rooms_here& m) {
      auto& st = self->state;
      for (auto& id : m.room_ids)
        if (st.rooms.count(id) == 0)
          st.remote_rooms[id] = m.node;
      count_remote(self);
    },
    [self](const room_gone& m) {
      auto& remote = self->state.remote_rooms;
      if (auto it = remote.find(m.room_id); it != remote.end() && it->second == m.node)
        remote.erase(it);
      count_remote(self);
    },
  };
}

}  // namespace

registry_api spawn_registry(caf::actor_system& sys, settings_ptr settings) {
  return sys.spawn(registry_actor, std::move(settings));
}

}  // namespace vr
