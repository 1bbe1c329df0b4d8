#include "actors/channel_actor.hpp"

#include "actors/messages.hpp"
#include "actors/room_rules.hpp"
#include "signaling/json.hpp"
#include "signaling/media_event.hpp"
#include "signaling/metrics.hpp"
#include "signaling/phoenix.hpp"

#include <caf/all.hpp>

namespace vr {

namespace phx = signaling::phoenix;
namespace json = signaling::json;

namespace {

using self_ptr = caf::stateful_actor<channel_state>*;
using opt_ref = std::optional<std::string>;

void out(self_ptr self, const phx::frame& f) {
  self->send(self->state.socket, out_atom::value, phx::encode(f));
}

void reply(self_ptr self, const opt_ref& ref, std::string_view status,
           std::string_view response = "{}") {
  auto& st = self->state;
  self->send(st.socket, out_atom::value,
             phx::reply(st.join_ref, ref, st.topic, status, response));
}

void push(self_ptr self, std::string event, std::string payload) {
  auto& st = self->state;
  out(self, {st.join_ref, std::nullopt, st.topic, std::move(event), std::move(payload)});
}

void close_channel(self_ptr self) {
  auto& st = self->state;
  out(self, {st.join_ref, st.join_ref, st.topic, "phx_close", "{}"});
  self->quit();
}

// Join params: {"displayName": 1..64 chars, "roomType"?: TYPE, "role"?: ROLE}.
std::optional<join_request> parse_params(const std::string& params, std::size_t depth) {
  auto doc = json::parse(params, depth);
  if (!doc || !doc->IsObject())
    return std::nullopt;
  join_request req;
  auto name = json::get_string(*doc, "displayName");
  if (!name || !valid_display_name(*name))
    return std::nullopt;
  req.display_name = *name;
  if (doc->HasMember("roomType")) {
    auto type = json::get_string(*doc, "roomType");
    if (!type || !parse_room_type(*type))
      return std::nullopt;
    req.room_type = *type;
  }
  if (doc->HasMember("role")) {
    auto role = json::get_string(*doc, "role");
    if (!role || !parse_peer_role(*role))
      return std::nullopt;
    req.role = *role;
  }
  return req;
}

std::string join_response(const join_result& r) {
  return R"({"peerId":)" + json::quote(r.peer_id) + R"(,"role":)" + json::quote(r.role) +
         R"(,"roomType":)" + json::quote(r.room_type) + R"(,"ownerId":)" +
         (r.owner_id.empty() ? std::string{"null"} : json::quote(r.owner_id)) + "}";
}

void on_client(self_ptr self, const opt_ref& ref, const std::string& event,
               std::string& payload) {
  auto& st = self->state;
  if (event == "phx_leave") {
    self->send(st.room, leave_atom::value, st.peer_id);
    reply(self, ref, "ok");
    close_channel(self);
    return;
  }
  if (event == "mediaEvent") {
    auto ev = signaling::media_event::decode_payload(payload, st.settings->max_json_depth);
    if (!ev) {
      push(self, "mediaEvent",
           signaling::media_event::error_payload("bad_media_event",
                                                 "a mediaEvent payload is {\"data\": STRING}"));
      return;
    }
    self->send(st.room, media_atom::value, st.peer_id, std::move(ev->type),
               std::move(ev->data));
    return;
  }
  if (event == "raiseHand" || event == "answerHand" || event == "kick") {
    self->request(st.room, st.settings->request_timeout, request_atom::value, st.peer_id,
                  event, std::move(payload))
      .then([self, ref](request_reply& r) { reply(self, ref, r.status, r.response); },
            [self, ref](caf::error&) {
              reply(self, ref, "error", phx::reason_json("unavailable"));
            });
    return;
  }
  reply(self, ref, "error", phx::reason_json("unknown_event"));
}

caf::behavior joined(self_ptr self) {
  return {
    [self](client_atom, std::string& ref, bool has_ref, std::string& event,
           std::string& payload) {
      on_client(self, has_ref ? opt_ref{ref} : opt_ref{}, event, payload);
    },
    [self](push_atom, std::string& event, std::string& payload) {
      push(self, std::move(event), std::move(payload));
    },
    [self](kicked_atom, const std::string& by) {
      push(self, "kicked", R"({"by":)" + json::quote(by) + "}");
      close_channel(self);
    },
  };
}

void try_join(self_ptr self, std::string room_id, join_request req, opt_ref ref,
              int attempts) {
  auto& st = self->state;
  self->request(st.registry, st.settings->request_timeout, join_atom::value, room_id, req)
    .then(
      [self, ref](join_result& r) {
        if (!r.error.empty()) {
          reply(self, ref, "error", phx::reason_json(r.error));
          self->quit();
          return;
        }
        auto& st = self->state;
        st.room = r.room;
        st.peer_id = r.peer_id;
        self->monitor(st.room);
        reply(self, ref, "ok", join_response(r));
        self->set_default_handler(caf::print_and_drop);
        self->become(joined(self));
      },
      [self, room_id, req, ref, attempts](caf::error& err) {
        // The room may have died between lookup and join: ask the registry again.
        if (err == caf::sec::request_receiver_down && attempts > 1) {
          try_join(self, room_id, req, ref, attempts - 1);
          return;
        }
        reply(self, ref, "error", phx::reason_json("unavailable"));
        self->quit();
      });
}

}  // namespace

caf::behavior channel_actor(self_ptr self, caf::actor socket, std::string topic,
                            opt_ref join_ref, opt_ref ref, std::string params,
                            caf::actor registry, settings_ptr settings) {
  auto& st = self->state;
  st.socket = std::move(socket);
  st.registry = std::move(registry);
  st.topic = std::move(topic);
  st.join_ref = std::move(join_ref);
  st.settings = std::move(settings);
  auto metrics = st.settings->metrics;
  metrics->add("vr_channels", 1);
  self->attach_functor([metrics](const caf::error&) { metrics->add("vr_channels", -1); });
  self->monitor(st.socket);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.room.address())
      out(self, {st.join_ref, st.join_ref, st.topic, "phx_error", "{}"});
    self->quit();
  });
  auto room_id = room_id_from_topic(st.topic);
  if (!room_id) {
    reply(self, ref, "error", phx::reason_json("invalid_room"));
    self->quit();
    return {};
  }
  auto req = parse_params(params, st.settings->max_json_depth);
  if (!req) {
    reply(self, ref, "error", phx::reason_json("invalid_params"));
    self->quit();
    return {};
  }
  // Client pushes and room pushes that arrive before the join reply wait their turn.
  self->set_default_handler(caf::skip);
  try_join(self, std::move(*room_id), std::move(*req), std::move(ref), 3);
  return {
    [](client_atom, std::string&, bool, std::string&, std::string&) {
      return caf::skip();
    },
  };
}

}  // namespace vr
