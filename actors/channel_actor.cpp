#include "actors/channel_actor.hpp"

#include "actors/join_token.hpp"
#include "actors/messages.hpp"
#include "signaling/metrics.hpp"
#include "signaling/protocol/encode.hpp"

#include <caf/all.hpp>

namespace vr {

namespace {

struct channel_state {
  // Not an aggregate: CAF would otherwise build it from the actor pointer.
  channel_state() = default;
  socket_api socket;
  registry_api registry;
  room_api room;
  std::string topic;
  std::optional<std::string> join_ref;
  std::string peer_id;
  settings_ptr settings;
  // What a rejoin needs when the room's node is lost: the room, the join as
  // admitted, and the member's role and ownership as last told.
  std::string room_id;
  join_request join;
  peer_role role = peer_role::viewer;
  std::optional<std::string> owner_id;
  static inline const char* name = "channel_actor";
};

using self_ptr = channel_api::stateful_pointer<channel_state>;
using opt_ref = std::optional<std::string>;

// A rejoin after the room's node was lost: tries, a while apart, until the
// surviving registries have noticed the loss and agree where the room goes.
constexpr int rejoin_attempts = 20;
constexpr auto rejoin_delay = std::chrono::milliseconds(250);
constexpr auto rejoin_timeout = std::chrono::seconds(1);

void rejoin(self_ptr self, int attempts);

void out(self_ptr self, std::string frame) {
  self->send(self->state.socket, ws_out{std::move(frame)});
}

void reply(self_ptr self, const opt_ref& ref, const proto::reply& r) {
  auto& st = self->state;
  out(self, proto::encode_reply(st.join_ref, ref, st.topic, r));
}

void close_channel(self_ptr self) {
  out(self, proto::encode_close(self->state.join_ref, self->state.topic));
  self->quit();
}

void on_push(self_ptr self, const proto::server_push& p) {
  auto& st = self->state;
  if (auto* r = std::get_if<proto::role_changed>(&p); r && r->peer_id == st.peer_id)
    st.role = r->role;
  if (auto* o = std::get_if<proto::owner_changed>(&p))
    st.owner_id = o->owner_id;
  out(self, proto::encode_push(st.join_ref, st.topic, p));
  if (std::holds_alternative<proto::kicked>(p))
    close_channel(self);
}

void on_request(self_ptr self, const opt_ref& ref, proto::room_request& req) {
  auto& st = self->state;
  self
    ->request(st.room, st.settings->request_timeout, room_request_from{st.peer_id, std::move(req)})
    .then([self, ref](request_result& r) { reply(self, ref, r.reply); },
          [self, ref](caf::error&) { reply(self, ref, proto::reply_error{"unavailable"}); });
}

// What the client sent on a joined channel.
struct client_visitor {
  self_ptr self;
  const opt_ref& ref;
  void operator()(proto::phx_leave&) const {
    auto& st = self->state;
    self->send(st.room, leave_room{st.peer_id});
    reply(self, ref, proto::reply_ok{});
    close_channel(self);
  }
  void operator()(proto::client_media_event& ev) const {
    auto& st = self->state;
    self->send(st.room, peer_media{st.peer_id, std::move(ev)});
  }
  void operator()(proto::bad_media_envelope&) const {
    on_push(self, proto::server_media_event{proto::media_error{
                    "bad_media_event", "a mediaEvent payload is {\"data\": STRING}"}});
  }
  void operator()(proto::room_request& req) const { on_request(self, ref, req); }
  void operator()(proto::invalid_request&) const {
    reply(self, ref, proto::reply_error{"invalid_params"});
  }
  // heartbeat on a room topic, a phx_join (the socket takes those), or an
  // event nobody knows.
  template <class Other>
  void operator()(Other&) const {
    reply(self, ref, proto::reply_error{"unknown_event"});
  }
};

channel_api::behavior_type joined(self_ptr self) {
  return {
    [self](rejoin_tick& t) { rejoin(self, t.attempts_left); },
    [self](client_push& m) {
      std::visit(client_visitor{self, m.ref}, m.event);
    },
    [self](push& m) { on_push(self, m.event); },
  };
}

// The join as the room is to see it. Open (no auth.secret): the params as
// sent, any token ignored. With auth.secret: the token must verify for this
// room; its claims give the name, the viewer-only role and the type it may
// create. nullopt: unauthorized.
std::optional<join_request> admit(const node_settings& s, const std::string& room_id,
                                  proto::join_params params) {
  join_request req;
  if (s.auth_secret.empty()) {
    params.token.reset();
    req.params = std::move(params);
    return req;
  }
  auto check = verify_join_token(params.token.value_or(""), s.auth_secret, room_id, unix_now());
  if (!check.claims)
    return std::nullopt;
  auto& c = *check.claims;
  params.token.reset();
  params.display_name = c.name;
  req.viewer_only = c.role == peer_role::viewer;
  req.create_type = c.type;
  req.params = std::move(params);
  return req;
}

void try_join(self_ptr self, std::string room_id, join_request req, opt_ref ref, int attempts) {
  auto& st = self->state;
  self->request(st.registry, st.settings->request_timeout, find_room{room_id, req})
    .then(
      [self, ref](join_result& r) {
        auto* ok = std::get_if<proto::join_reply>(&r.reply);
        reply(self, ref, r.reply);
        if (ok == nullptr) {
          self->quit();
          return;
        }
        auto& st = self->state;
        st.room = r.room;
        st.peer_id = ok->peer_id;
        st.role = ok->role;
        st.owner_id = ok->owner_id;
        self->monitor(st.room);
        self->set_default_handler(caf::print_and_drop);
        self->become(joined(self));
      },
      [self, room_id, req, ref, attempts](caf::error& err) {
        // The room may have died between lookup and join: ask the registry again.
        if (err == caf::sec::request_receiver_down && attempts > 1) {
          try_join(self, room_id, req, ref, attempts - 1);
          return;
        }
        reply(self, ref, proto::reply_error{"unavailable"});
        self->quit();
      });
}

// The room's node was lost: the member joins the room again, as it was, on
// the node that now holds it, and its client hears nothing (its media, on
// this node, flows on). The registry may not know of the loss yet: a few
// tries, then phx_error as for any other loss.
void rejoin(self_ptr self, int attempts) {
  auto& st = self->state;
  auto req = st.join;
  req.rejoin = rejoin_info{st.peer_id, st.role, st.owner_id};
  // Short tries: one that went to a node lost meanwhile gets no answer.
  self->request(st.registry, rejoin_timeout, find_room{st.room_id, req})
    .then(
      [self, attempts](join_result& r) {
        auto& st = self->state;
        if (!std::holds_alternative<proto::join_reply>(r.reply) || !r.room) {
          if (attempts > 1)
            return self->delayed_send(self, rejoin_delay, rejoin_tick{attempts - 1});
          out(self, proto::encode_channel_error(st.join_ref, st.topic));
          return self->quit();
        }
        st.room = r.room;
        self->monitor(st.room);
        st.settings->metrics->add("vr_room_takeovers_total", 1);
      },
      [self, attempts](caf::error&) {
        auto& st = self->state;
        if (attempts > 1)
          return self->delayed_send(self, rejoin_delay, rejoin_tick{attempts - 1});
        out(self, proto::encode_channel_error(st.join_ref, st.topic));
        self->quit();
      });
}

channel_api::behavior_type channel_actor(self_ptr self, socket_api socket, channel_args args,
                                         registry_api registry, settings_ptr settings) {
  auto& st = self->state;
  st.socket = std::move(socket);
  st.registry = std::move(registry);
  st.topic = std::move(args.topic);
  st.join_ref = std::move(args.join_ref);
  st.settings = std::move(settings);
  auto metrics = st.settings->metrics;
  metrics->add("vr_channels", 1);
  self->attach_functor([metrics](const caf::error&) { metrics->add("vr_channels", -1); });
  self->monitor(st.socket);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.room.address()) {
      // The registry hears of the loss from the cluster actor at about the
      // same time: give it a moment, or the join goes to the lost node.
      if (dm.reason == caf::exit_reason::remote_link_unreachable && !st.peer_id.empty())
        return self->delayed_send(self, rejoin_delay, rejoin_tick{rejoin_attempts});
      out(self, proto::encode_channel_error(st.join_ref, st.topic));
    }
    self->quit();
  });
  auto room_id = room_id_from_topic(st.topic);
  if (!room_id) {
    reply(self, args.ref, proto::reply_error{"invalid_room"});
    self->quit();
    return channel_api::behavior_type::make_empty_behavior();
  }
  auto refuse = [&](const char* reason) {
    reply(self, args.ref, proto::reply_error{reason});
    self->quit();
    return channel_api::behavior_type::make_empty_behavior();
  };
  if (!args.join.params)
    return refuse("invalid_params");
  auto req = admit(*st.settings, *room_id, std::move(*args.join.params));
  if (!req) {
    metrics->add("vr_refused_total", 1, {{"reason", "unauthorized"}});
    return refuse("unauthorized");
  }
  if (req->params.display_name.empty())  // open mode: a token does not stand for displayName
    return refuse("invalid_params");
  // Client pushes and room pushes that arrive before the join reply wait their turn.
  self->set_default_handler(caf::skip);
  st.room_id = *room_id;
  st.join = *req;
  try_join(self, std::move(*room_id), std::move(*req), std::move(args.ref), 3);
  return {
    [](client_push&) -> caf::result<void> { return caf::skip(); },
    [](push&) -> caf::result<void> { return caf::skip(); },
    [](rejoin_tick&) {},
  };
}

}  // namespace

channel_api spawn_channel(caf::actor_system& sys, socket_api socket, channel_args args,
                          registry_api registry, settings_ptr settings) {
  return sys.spawn(channel_actor, std::move(socket), std::move(args), std::move(registry),
                   std::move(settings));
}

}  // namespace vr
