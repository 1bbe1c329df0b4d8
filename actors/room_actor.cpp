#include "actors/room_actor.hpp"

#include "actors/engine_actor.hpp"
#include "actors/messages.hpp"
#include "signaling/json.hpp"
#include "signaling/media_event.hpp"
#include "signaling/metrics.hpp"
#include "signaling/phoenix.hpp"

#include <caf/all.hpp>

#include <cstdio>

namespace vr {

namespace json = signaling::json;
namespace media_event = signaling::media_event;

namespace {

using self_ptr = caf::stateful_actor<room_actor_state>*;

// 128 random bits: peer ids are made here, never by clients.
std::string new_peer_id(std::mt19937_64& rng) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

void count_peer(self_ptr self, peer_role role, double delta) {
  auto& st = self->state;
  st.settings->metrics->add("vr_peers", delta,
                            {{"type", std::string{to_string(st.room->type())}},
                             {"role", std::string{to_string(role)}}});
}

void push(self_ptr self, const std::string& peer, std::string event, std::string payload) {
  auto& st = self->state;
  if (auto it = st.channels.find(peer); it != st.channels.end())
    self->send(it->second, push_atom::value, std::move(event), std::move(payload));
}

void push_all(self_ptr self, const std::string& event, const std::string& payload,
              const std::string& except = {}) {
  for (auto& [id, channel] : self->state.channels)
    if (id != except)
      self->send(channel, push_atom::value, event, payload);
}

std::string owner_json(const room_state& room) {
  auto owner = room.owner();
  return owner ? json::quote(*owner) : std::string{"null"};
}

// `except`: a joiner, who learns the owner from its join reply.
void owner_changed(self_ptr self, const std::string& except = {}) {
  auto& room = *self->state.room;
  push_all(self, "ownerChanged", R"({"ownerId":)" + owner_json(room) + "}", except);
  self->send(self->state.engine, owner_atom::value, room.owner().value_or(""));
}

void media_error(self_ptr self, const std::string& peer, std::string_view reason,
                 std::string_view message) {
  push(self, peer, "mediaEvent", media_event::error_payload(reason, message));
}

// The actor side of a member that room_state no longer has: its channel (told
// first when it was kicked), its media, the owner and, at the last, the room.
void forget(self_ptr self, const std::string& peer_id, peer_role role, bool owner_moved,
            const std::string& kicked_by = {}) {
  auto& st = self->state;
  count_peer(self, role, -1);
  if (auto it = st.channels.find(peer_id); it != st.channels.end()) {
    self->demonitor(it->second);
    if (!kicked_by.empty())
      self->send(it->second, kicked_atom::value, kicked_by);
    st.channels.erase(it);
  }
  self->send(st.engine, rm_peer_atom::value, peer_id);
  if (owner_moved)
    owner_changed(self);
  if (st.room->empty())
    self->send(st.registry, empty_atom::value, st.room->id(), st.joins_seen);
}

// A member leaves (phx_leave, or its channel died).
void remove_peer(self_ptr self, const std::string& peer_id) {
  auto* m = self->state.room->find(peer_id);
  if (m == nullptr)
    return;
  auto role = m->role;
  bool moved = false;
  self->state.room->leave(peer_id, &moved);
  forget(self, peer_id, role, moved);
}

join_result join(self_ptr self, const join_request& req) {
  auto& st = self->state;
  ++st.joins_seen;
  auto channel = caf::actor_cast<caf::actor>(self->current_sender());
  join_result r;
  r.room = self;
  r.room_type = std::string{to_string(st.room->type())};
  if (!channel) {
    r.error = "unavailable";
    return r;
  }
  std::optional<room_type> type;
  if (!req.room_type.empty()) {
    type = parse_room_type(req.room_type);
    if (!type) {
      r.error = "invalid_params";
      return r;
    }
  }
  auto out = st.room->join(new_peer_id(st.rng), req.display_name, type,
                           parse_peer_role(req.role));
  if (!out.error.empty()) {
    r.error = out.error;
    if (st.room->empty())  // a room made by a failed first join must not linger
      self->send(st.registry, empty_atom::value, st.room->id(), st.joins_seen);
    return r;
  }
  auto& m = out.joined;
  self->monitor(channel);
  st.channels.emplace(m.id, channel);
  count_peer(self, m.role, 1);
  self->send(st.engine, add_peer_atom::value,
             peer_info{m.id, m.display_name, std::string{to_string(m.role)}}, channel);
  if (out.owner_changed)
    owner_changed(self, m.id);
  r.peer_id = m.id;
  r.role = std::string{to_string(m.role)};
  r.owner_id = st.room->owner().value_or("");
  return r;
}

request_reply error_reply(std::string_view reason) {
  return {"error", signaling::phoenix::reason_json(reason)};
}

request_reply on_request(self_ptr self, const std::string& from, const std::string& event,
                         const std::string& payload) {
  auto& st = self->state;
  auto& room = *st.room;
  auto doc = json::parse(payload, st.settings->max_json_depth);
  if (!doc || !doc->IsObject())
    return error_reply("invalid_params");
  if (event == "raiseHand") {
    auto out = room.raise_hand(from);
    if (!out.error.empty())
      return error_reply(out.error);
    if (auto owner = room.owner())
      push(self, *owner, "handRaised",
           R"({"peerId":)" + json::quote(from) + R"(,"displayName":)" +
             json::quote(room.find(from)->display_name) + "}");
    return {"ok"};
  }
  auto target = json::get_string(*doc, "peerId");
  if (!target)
    return error_reply("invalid_params");
  std::string target_id{*target};
  if (event == "answerHand") {
    auto accept = json::get_bool(*doc, "accept");
    if (!accept)
      return error_reply("invalid_params");
    auto out = room.answer_hand(from, target_id, *accept);
    if (!out.error.empty())
      return error_reply(out.error);
    push(self, target_id, "handAnswered", *accept ? R"({"accept":true})" : R"({"accept":false})");
    if (out.role_changed) {
      count_peer(self, peer_role::viewer, -1);
      count_peer(self, peer_role::publisher, 1);
      self->send(st.engine, role_atom::value, target_id, std::string{"publisher"});
      push_all(self, "roleChanged",
               R"({"peerId":)" + json::quote(target_id) + R"(,"role":"publisher"})");
    }
    if (out.owner_changed)
      owner_changed(self);
    return {"ok"};
  }
  // kick: the rules decide; the target hears it first, then its media stops.
  auto* victim = room.find(target_id);
  auto role = victim ? victim->role : peer_role::viewer;
  auto out = room.kick(from, target_id);
  if (!out.error.empty())
    return error_reply(out.error);
  forget(self, target_id, role, out.owner_changed, from);
  return {"ok"};
}

// relay (call rooms): browser-to-browser signaling passes through untouched.
void relay(self_ptr self, const std::string& from, const std::string& data) {
  auto& st = self->state;
  auto doc = json::parse(data, st.settings->max_json_depth);
  auto to = doc && doc->IsObject() ? json::get_string(*doc, "to") : std::nullopt;
  auto* payload = doc && doc->IsObject() ? json::get_object(*doc, "payload") : nullptr;
  if (!to || payload == nullptr) {
    media_error(self, from, "invalid_params", "relay needs {\"to\": id, \"payload\": {...}}");
    return;
  }
  std::string to_id{*to};
  if (auto err = st.room->can_relay(from, to_id); !err.empty()) {
    media_error(self, from, err, "relay is for the two peers of a call room");
    return;
  }
  auto inner = R"({"from":)" + json::quote(from) + R"(,"payload":)" + json::to_string(*payload) +
               "}";
  push(self, to_id, "mediaEvent", media_event::encode_payload("relay", inner));
}

// Only a member's own channel speaks for it.
bool from_member(self_ptr self, const std::string& peer) {
  auto& channels = self->state.channels;
  auto it = channels.find(peer);
  return it != channels.end() && it->second.address() == self->current_sender();
}

}  // namespace

caf::behavior room_actor(self_ptr self, std::string id, room_type type, caf::actor registry,
                         settings_ptr settings) {
  auto& st = self->state;
  st.room.emplace(id, type, settings->limits);
  st.registry = std::move(registry);
  st.settings = std::move(settings);
  auto metrics = st.settings->metrics;
  auto type_label = signaling::metrics::labels{{"type", std::string{to_string(type)}}};
  metrics->add("vr_rooms", 1, type_label);
  self->attach_functor(
    [metrics, type_label](const caf::error&) { metrics->add("vr_rooms", -1, type_label); });
  // The engine lives and dies with its room.
  st.engine = st.settings->detach_engines
                ? self->spawn<caf::linked + caf::detached>(engine_actor, id, type, st.settings)
                : self->spawn<caf::linked>(engine_actor, id, type, st.settings);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [peer, channel] : self->state.channels)
      if (channel.address() == dm.source) {
        auto gone = peer;  // remove_peer erases the entry `peer` refers to
        remove_peer(self, gone);
        return;
      }
  });
  return {
    [self](join_atom, const std::string&, const join_request& req) { return join(self, req); },
    [self](leave_atom, const std::string& peer) {
      if (from_member(self, peer))
        remove_peer(self, peer);
    },
    [self](request_atom, const std::string& from, const std::string& event,
           const std::string& payload) -> request_reply {
      if (!from_member(self, from))
        return error_reply("not_found");
      return on_request(self, from, event, payload);
    },
    [self](media_atom, const std::string& from, const std::string& type, std::string& data) {
      if (!from_member(self, from))
        return;
      if (type == "relay")
        relay(self, from, data);
      else
        self->send(self->state.engine, media_atom::value, from, type, std::move(data));
    },
  };
}

}  // namespace vr
