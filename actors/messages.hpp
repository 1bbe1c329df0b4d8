// The typed vocabulary the actors exchange. Every struct has an `inspect`
// overload and is registered once (register_message_types), so the actors that
// exchange it may live on different nodes.
#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <string>

namespace caf {
class actor_system_config;
}

namespace vr {

// WebSocket → socket_actor (from Asio threads, by anon_send).
using ws_text_atom = caf::atom_constant<caf::atom("ws_text")>;
using ws_binary_atom = caf::atom_constant<caf::atom("ws_binary")>;
using ws_closed_atom = caf::atom_constant<caf::atom("ws_closed")>;
// socket_actor → channel_actor: a client push (ref, event, payload).
using client_atom = caf::atom_constant<caf::atom("client")>;
// channel_actor → socket_actor: an encoded frame to write.
using out_atom = caf::atom_constant<caf::atom("out")>;
// room/engine → channel_actor: push (event, payload JSON) to the client.
using push_atom = caf::atom_constant<caf::atom("push")>;
// room → channel_actor: you were kicked by (peer id); close the channel.
using kicked_atom = caf::atom_constant<caf::atom("kicked")>;
// channel → registry → room: join; channel → room: leave, request, media.
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using request_atom = caf::atom_constant<caf::atom("request")>;
using media_atom = caf::atom_constant<caf::atom("media")>;
// room → registry: no member left (with the count of joins seen).
using empty_atom = caf::atom_constant<caf::atom("empty")>;
// room → engine_actor: membership and role changes.
using add_peer_atom = caf::atom_constant<caf::atom("add_peer")>;
using rm_peer_atom = caf::atom_constant<caf::atom("rm_peer")>;
using role_atom = caf::atom_constant<caf::atom("role")>;
using owner_atom = caf::atom_constant<caf::atom("owner")>;
// media::session events → engine_actor (from GStreamer threads, by anon_send):
// an SDP to send, a local ICE candidate, tracks added/removed, an error.
using sdp_atom = caf::atom_constant<caf::atom("sdp")>;
using ice_atom = caf::atom_constant<caf::atom("ice")>;
using tracks_atom = caf::atom_constant<caf::atom("tracks")>;
using merror_atom = caf::atom_constant<caf::atom("merror")>;
// engine_actor → itself: time to publish forwarding statistics.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
// anyone → registry: how many rooms are open (for tests and metrics).
using count_atom = caf::atom_constant<caf::atom("count")>;

// Cluster (see cluster_actor.hpp). cluster ↔ cluster of another node: hello
// (my name, my registry) → (your name, your registry, the members you know).
using hello_atom = caf::atom_constant<caf::atom("hello")>;
// cluster → local registry: a node (name, its registry) is up / was lost.
using node_up_atom = caf::atom_constant<caf::atom("node_up")>;
using node_down_atom = caf::atom_constant<caf::atom("node_down")>;
// registry → registry of another node: a join the sender places on the
// receiver (never forwarded again, so a join cannot circle).
using placed_join_atom = caf::atom_constant<caf::atom("pjoin")>;
// registry → registries of other nodes: rooms (ids) that live on node (name)
// now, and a room that ended there.
using rooms_atom = caf::atom_constant<caf::atom("rooms")>;
using room_gone_atom = caf::atom_constant<caf::atom("room_gone")>;

// Join params as the channel validated them; empty strings mean "not given".
struct join_request {
  std::string display_name;
  std::string room_type;
  std::string role;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("vr::join_request"), x.display_name, x.room_type, x.role);
}

// The room's answer to a join: `error` empty on success. `owner_id` empty = none.
struct join_result {
  std::string error;
  std::string peer_id;
  std::string role;
  std::string room_type;
  std::string owner_id;
  caf::actor room;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_result& x) {
  return f(caf::meta::type_name("vr::join_result"), x.error, x.peer_id, x.role,
           x.room_type, x.owner_id, x.room);
}

// A room member as the engine needs it.
struct peer_info {
  std::string id;
  std::string display_name;
  std::string role;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_info& x) {
  return f(caf::meta::type_name("vr::peer_info"), x.id, x.display_name, x.role);
}

// A reply to a room request: {"status": status, "response": response}.
struct request_reply {
  std::string status;
  std::string response = "{}";
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_reply& x) {
  return f(caf::meta::type_name("vr::request_reply"), x.status, x.response);
}

void register_message_types(caf::actor_system_config& cfg);

}  // namespace vr
