#include "actors/registry_actor.hpp"

#include "actors/messages.hpp"
#include "actors/room_actor.hpp"

#include <caf/all.hpp>

namespace vr {

namespace {

using self_ptr = caf::stateful_actor<registry_state>*;

// Forgets a room, if `addr` is still the actor behind `id`.
void forget(self_ptr self, const caf::actor_addr& addr) {
  auto& rooms = self->state.rooms;
  for (auto it = rooms.begin(); it != rooms.end(); ++it)
    if (it->second.room.address() == addr) {
      rooms.erase(it);
      return;
    }
}

}  // namespace

caf::behavior registry_actor(self_ptr self, settings_ptr settings) {
  self->state.settings = std::move(settings);
  // Rooms are linked to the registry: they end with it, and it hears when one
  // ends (an exit message) without ending itself.
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& rooms = self->state.rooms;
    bool is_room = std::any_of(rooms.begin(), rooms.end(),
                               [&](auto& kv) { return kv.second.room.address() == em.source; });
    if (is_room)
      forget(self, em.source);
    else if (em.reason)
      self->quit(em.reason);
  });
  return {
    [self](join_atom, const std::string& id, const join_request& req) {
      auto& st = self->state;
      auto it = st.rooms.find(id);
      if (it == st.rooms.end()) {
        auto type = parse_room_type(req.room_type).value_or(st.settings->default_type);
        auto room = self->spawn<caf::linked>(room_actor, id, type, caf::actor{self}, st.settings);
        it = st.rooms.emplace(id, registry_state::entry{room}).first;
      }
      ++it->second.joins_sent;
      return self->delegate(it->second.room, join_atom::value, id, req);
    },
    [self](empty_atom, const std::string& id, std::uint64_t joins_seen) {
      // Stop the room only if no join is on its way to it.
      auto& rooms = self->state.rooms;
      auto it = rooms.find(id);
      if (it == rooms.end() || it->second.room.address() != self->current_sender() ||
          it->second.joins_sent != joins_seen)
        return;
      auto room = it->second.room;
      rooms.erase(it);
      self->unlink_from(room);
      // A normal exit reason would be ignored by the room: say shutdown.
      self->send_exit(room, caf::exit_reason::user_shutdown);
    },
    [self](count_atom) { return self->state.rooms.size(); },
  };
}

}  // namespace vr
