#include "actors/room_actor.hpp"

#include "actors/messages.hpp"
#include "actors/rate_limiter.hpp"
#include "signaling/metrics.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <random>

namespace vr {

namespace {

struct room_actor_state {
  // Not an aggregate: CAF would otherwise build it from the actor pointer.
  room_actor_state() = default;
  std::optional<room_state> room;
  std::map<std::string, channel_api> channels;  // peer id → its channel
  // Each peer's media is on its own node's engine (join_request::engine); a
  // join that brings none uses the room's own, made on first need.
  std::map<std::string, engine_api> peer_engines;
  std::vector<engine_api> engines;  // the distinct ones, each monitored
  engine_api own_engine;
  registry_api registry;
  settings_ptr settings;
  proto::recording_status recording;  // the engine records while active
  std::uint64_t joins_seen = 0;       // lets the registry tell a join in flight
  // Set by the first rejoin into a room made anew after its node was lost: the
  // owner its members knew.
  std::optional<std::optional<std::string>> takeover_owner;
  std::mt19937_64 rng{std::random_device{}()};
  // The last chat messages, oldest first: the room's memory only, gone with it.
  std::deque<proto::chat_message> chat;
  // Per peer: 5 messages a second, 10 at once.
  rate_limiter chat_limiter{5, 10};
  static inline const char* name = "room_actor";
};

using self_ptr = room_api::stateful_pointer<room_actor_state>;

constexpr std::size_t chat_history = 50;  // messages a join reply carries
// How long the members of a lost room have to rejoin before the owner is settled.
constexpr auto takeover_grace = std::chrono::seconds(3);

// 128 random bits: peer ids are made here, never by clients.
std::string new_peer_id(std::mt19937_64& rng) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

void count_peer(self_ptr self, peer_role role, double delta) {
  auto& st = self->state;
  st.settings->metrics->add(
    "vr_peers", delta,
    {{"type", std::string{to_string(st.room->type())}}, {"role", std::string{to_string(role)}}});
}

void push_to(self_ptr self, const std::string& peer, proto::server_push event) {
  auto& st = self->state;
  if (auto it = st.channels.find(peer); it != st.channels.end())
    self->send(it->second, push{std::move(event)});
}

template <class Message>
void to_engines(self_ptr self, const Message& msg) {
  for (auto& engine : self->state.engines)
    self->send(engine, msg);
}

template <class Message>
void to_engine_of(self_ptr self, const std::string& peer, Message msg) {
  auto& pe = self->state.peer_engines;
  if (auto it = pe.find(peer); it != pe.end())
    self->send(it->second, std::move(msg));
}

// Every engine learns the others: a cascaded room's nodes mirror their peers.
void tell_mesh(self_ptr self) {
  auto& engines = self->state.engines;
  for (auto& engine : engines) {
    engine_mesh m;
    for (auto& other : engines)
      if (other != engine)
        m.others.push_back(other);
    self->send(engine, std::move(m));
  }
}

void drop_engine(self_ptr self, const caf::actor_addr& engine) {
  auto& engines = self->state.engines;
  auto it =
    std::find_if(engines.begin(), engines.end(), [&](auto& e) { return e.address() == engine; });
  if (it == engines.end())
    return;
  self->demonitor(engine);
  engines.erase(it);
  tell_mesh(self);
}

void push_all(self_ptr self, const proto::server_push& event, const std::string& except = {}) {
  for (auto& [id, channel] : self->state.channels)
    if (id != except)
      self->send(channel, push{event});
}

// `except`: a joiner, who learns the owner from its join reply.
void owner_changed(self_ptr self, const std::string& except = {}) {
  auto owner = self->state.room->owner();
  push_all(self, proto::owner_changed{owner}, except);
  to_engines(self, set_owner{owner});
}

void media_error(self_ptr self, const std::string& peer, std::string reason, std::string message) {
  push_to(self, peer,
          proto::server_media_event{proto::media_error{std::move(reason), std::move(message)}});
}

void tell_registry_if_empty(self_ptr self) {
  auto& st = self->state;
  if (st.room->empty())
    self->send(st.registry, room_empty{st.room->id(), st.joins_seen});
}

// The actor side of a member that room_state no longer has: its channel (told
// first when it was kicked), its media, the owner and, at the last, the room.
void forget(self_ptr self, const std::string& peer_id, peer_role role, bool owner_moved,
            const std::string& kicked_by = {}) {
  auto& st = self->state;
  count_peer(self, role, -1);
  if (auto it = st.channels.find(peer_id); it != st.channels.end()) {
    self->demonitor(it->second.address());
    if (!kicked_by.empty())
      self->send(it->second, push{proto::kicked{kicked_by}});
    st.channels.erase(it);
  }
  if (auto it = st.peer_engines.find(peer_id); it != st.peer_engines.end()) {
    auto engine = it->second;
    self->send(engine, remove_peer{peer_id});
    st.peer_engines.erase(it);
    // An engine with no member left here leaves the mesh (a node engine then
    // tells its registry it is idle).
    if (std::none_of(st.peer_engines.begin(), st.peer_engines.end(),
                     [&](auto& kv) { return kv.second == engine; }))
      drop_engine(self, engine.address());
  }
  if (owner_moved)
    owner_changed(self);
  tell_registry_if_empty(self);
}

// A member leaves (phx_leave, or its channel died).
void remove_member(self_ptr self, const std::string& peer_id) {
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
  auto channel = caf::actor_cast<channel_api>(self->current_sender());
  join_result r{proto::reply_error{"unavailable"}, self};
  if (!channel)
    return r;
  auto& p = req.params;
  auto out = req.rejoin ? st.room->restore(req.rejoin->peer_id, p.display_name, req.rejoin->role,
                                           req.rejoin->owner_id == req.rejoin->peer_id)
                        : st.room->join(new_peer_id(st.rng), p.display_name, p.type, p.role,
                                        req.viewer_only);
  if (!out.error.empty()) {
    if (out.over_max_peers)
      st.settings->metrics->add("vr_refused_total", 1, {{"reason", "max_peers"}});
    else if (out.error == "unauthorized")  // a viewer token in a call room
      st.settings->metrics->add("vr_refused_total", 1, {{"reason", "unauthorized"}});
    r.reply = proto::reply_error{out.error};
    if (req.engine)
      self->send(req.engine, join_refused{});
    tell_registry_if_empty(self);  // a room made by a failed first join must not linger
    return r;
  }
  auto& m = out.joined;
  self->monitor(channel);
  st.channels.emplace(m.id, channel);
  count_peer(self, m.role, 1);
  auto engine = req.engine;
  if (!engine) {
    if (!st.own_engine)
      st.own_engine = spawn_engine(*self, st.room->id(), st.room->type(), st.settings);
    engine = st.own_engine;
  }
  st.peer_engines.emplace(m.id, engine);
  self->send(engine, add_peer{peer_info{m.id, m.display_name, m.role}, channel, st.room->type()});
  if (std::find(st.engines.begin(), st.engines.end(), engine) == st.engines.end()) {
    // A node new to the room: it learns the owner, the recording and the others.
    self->monitor(engine);
    st.engines.push_back(engine);
    self->send(engine, set_owner{st.room->owner()});
    if (st.recording.active)
      self->send(engine, start_recording{});
    tell_mesh(self);
  }
  if (req.rejoin) {
    // Members of a lost room come back one by one: the owner is settled (and
    // told, if it moved) once they had time to, not at each rejoin.
    if (!st.takeover_owner) {
      st.takeover_owner = req.rejoin->owner_id;
      self->delayed_send(self, takeover_grace, takeover_settled{});
    }
  } else if (out.owner_changed) {
    owner_changed(self, m.id);
  }
  r.reply = proto::join_reply{m.id,
                              m.role,
                              st.room->type(),
                              st.room->owner(),
                              st.recording,
                              {st.chat.begin(), st.chat.end()}};
  return r;
}

proto::reply error_reply(std::string reason) { return proto::reply_error{std::move(reason)}; }

proto::reply raise_hand(self_ptr self, const std::string& from) {
  auto& room = *self->state.room;
  auto out = room.raise_hand(from);
  if (!out.error.empty())
    return error_reply(out.error);
  if (auto owner = room.owner())
    push_to(self, *owner, proto::hand_raised{from, room.find(from)->display_name});
  return proto::reply_ok{};
}

proto::reply answer_hand(self_ptr self, const std::string& from, const proto::answer_hand& req) {
  auto& st = self->state;
  auto out = st.room->answer_hand(from, req.peer_id, req.accept);
  if (!out.error.empty())
    return error_reply(out.error);
  push_to(self, req.peer_id, proto::hand_answered{req.accept});
  if (out.role_changed) {
    count_peer(self, peer_role::viewer, -1);
    count_peer(self, peer_role::publisher, 1);
    to_engine_of(self, req.peer_id, set_role{req.peer_id, peer_role::publisher});
    push_all(self, proto::role_changed{req.peer_id, peer_role::publisher});
  }
  if (out.owner_changed)
    owner_changed(self);
  return proto::reply_ok{};
}

// The rules decide; the target hears it first, then its media stops.
proto::reply kick(self_ptr self, const std::string& from, const proto::kick& req) {
  auto& room = *self->state.room;
  auto* victim = room.find(req.peer_id);
  auto role = victim ? victim->role : peer_role::viewer;
  auto out = room.kick(from, req.peer_id);
  if (!out.error.empty())
    return error_reply(out.error);
  forget(self, req.peer_id, role, out.owner_changed, from);
  return proto::reply_ok{};
}

// recordStart / recordStop: the owner of a group or audio room (where the
// server has the media). A second start or stop changes nothing.
proto::reply record(self_ptr self, const std::string& from, bool start) {
  auto& st = self->state;
  if (!st.settings->recording_enabled)
    return error_reply("unavailable");
  if (auto type = st.room->type(); type != room_type::group && type != room_type::audio)
    return error_reply("invalid_params");
  if (st.room->owner() != from)
    return error_reply("forbidden");
  if (st.recording.active == start)
    return proto::reply_ok{};
  st.recording = {start, start ? std::optional<std::string>{from} : std::nullopt};
  if (start)
    to_engines(self, start_recording{});
  else
    to_engines(self, stop_recording{});
  push_all(self, proto::recording_changed{start, from});
  return proto::reply_ok{};
}

// chat: any member, in every room type; all members get it, the sender too.
proto::reply chat(self_ptr self, const std::string& from, const proto::send_chat& req) {
  auto& st = self->state;
  if (!st.chat_limiter.allow(from))
    return error_reply("rate_limited");
  auto now = std::chrono::system_clock::now().time_since_epoch();
  proto::chat_message msg{from, st.room->find(from)->display_name, req.text,
                          std::chrono::duration_cast<std::chrono::milliseconds>(now).count()};
  push_all(self, msg);
  st.chat.push_back(std::move(msg));
  if (st.chat.size() > chat_history)
    st.chat.pop_front();
  return proto::reply_ok{};
}

// relay (call rooms): browser-to-browser signaling passes through untouched.
void relay(self_ptr self, const std::string& from, const proto::relay_request& r) {
  if (auto err = self->state.room->can_relay(from, r.to); !err.empty())
    return media_error(self, from, err, "relay is for the two peers of a call room");
  push_to(self, r.to, proto::server_media_event{proto::relay_message{from, r.payload}});
}

void on_media(self_ptr self, peer_media& m) {
  if (auto* r = std::get_if<proto::relay_request>(&m.event))
    return relay(self, m.peer_id, *r);
  if (auto* bad = std::get_if<proto::invalid_media_event>(&m.event);
      bad && bad->kind == proto::media_kind::relay)
    return media_error(self, m.peer_id, "invalid_params", bad->message);
  auto peer = m.peer_id;
  to_engine_of(self, peer, std::move(m));
}

// Only a member's own channel speaks for it.
bool from_member(self_ptr self, const std::string& peer) {
  auto& channels = self->state.channels;
  auto it = channels.find(peer);
  return it != channels.end() && it->second.address() == self->current_sender();
}

room_api::behavior_type room_actor(self_ptr self, std::string id, room_type type,
                                   registry_api registry, settings_ptr settings) {
  auto& st = self->state;
  st.room.emplace(id, type, settings->limits);
  st.registry = std::move(registry);
  st.settings = std::move(settings);
  auto metrics = st.settings->metrics;
  auto type_label = signaling::metrics::labels{{"type", std::string{to_string(type)}}};
  metrics->add("vr_rooms", 1, type_label);
  self->attach_functor(
    [metrics, type_label](const caf::error&) { metrics->add("vr_rooms", -1, type_label); });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [peer, channel] : st.channels)
      if (channel.address() == dm.source) {
        auto gone = peer;  // remove_member erases the entry `peer` refers to
        remove_member(self, gone);
        return;
      }
    // An engine ended (its node lost): its members' media is gone with it.
    std::vector<std::string> members;
    for (auto& [peer, engine] : st.peer_engines)
      if (engine.address() == dm.source)
        members.push_back(peer);
    for (auto& peer : members)
      remove_member(self, peer);
    drop_engine(self, dm.source);
  });
  return {
    [self](const join_request& req) { return join(self, req); },
    [self](const leave_room& m) {
      if (from_member(self, m.peer_id))
        remove_member(self, m.peer_id);
    },
    [self](const room_request_from& m) -> request_result {
      if (!from_member(self, m.peer_id))
        return {error_reply("not_found")};
      auto& from = m.peer_id;
      return {std::visit(
        [&](auto& req) -> proto::reply {
          using T = std::decay_t<decltype(req)>;
          if constexpr (std::is_same_v<T, proto::raise_hand>)
            return raise_hand(self, from);
          else if constexpr (std::is_same_v<T, proto::answer_hand>)
            return answer_hand(self, from, req);
          else if constexpr (std::is_same_v<T, proto::record_start>)
            return record(self, from, true);
          else if constexpr (std::is_same_v<T, proto::record_stop>)
            return record(self, from, false);
          else if constexpr (std::is_same_v<T, proto::send_chat>)
            return chat(self, from, req);
          else
            return kick(self, from, req);
        },
        m.request)};
    },
    [self](peer_media& m) {
      if (from_member(self, m.peer_id))
        on_media(self, m);
    },
    [self](takeover_settled&) {
      auto& st = self->state;
      if (st.takeover_owner && *st.takeover_owner != st.room->owner())
        owner_changed(self);
    },
  };
}

}  // namespace

room_api spawn_room(caf::actor_system& sys, caf::local_actor* parent, std::string id,
                    room_type type, registry_api registry, settings_ptr settings) {
  if (parent != nullptr)
    return parent->spawn<caf::linked>(room_actor, std::move(id), type, std::move(registry),
                                      std::move(settings));
  return sys.spawn(room_actor, std::move(id), type, std::move(registry), std::move(settings));
}

}  // namespace vr
