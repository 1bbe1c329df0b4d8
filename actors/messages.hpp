// The messages the actors exchange: one struct each, named in the typed
// interfaces of the actor headers (socket_api, channel_api, room_api,
// engine_api, registry_api, cluster_api). Each has an `inspect` and is
// registered once (register_message_types), so the actors that exchange it may
// live on different nodes. Wire content travels as the protocol's structs
// (signaling/protocol/messages.hpp), never as JSON.
#pragma once

#include "actors/channel_actor.hpp"
#include "actors/cluster_actor.hpp"
#include "actors/engine_actor.hpp"
#include "actors/protocol_inspect.hpp"
#include "actors/registry_actor.hpp"
#include "actors/room_actor.hpp"
#include "actors/socket_actor.hpp"

#include <caf/meta/type_name.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace caf {
class actor_system_config;
}

namespace vr {

namespace proto = signaling::protocol;
using proto::opt;

// ---- socket_api ----

struct ws_text {
  std::string text;
};
struct ws_binary {
  std::size_t bytes = 0;
};
struct ws_closed {};
// A channel's encoded frame, to write as it is.
struct ws_out {
  std::string text;
};

// ---- channel_api ----

// What the client sent on the channel's topic (decoded once by the socket).
struct client_push {
  std::optional<std::string> ref;
  proto::client_event event;
};
// What the room or the engine tells the client.
struct push {
  proto::server_push event;
};

// ---- room_api ----

struct join_request {
  proto::join_params params;  // with a token: its name; its token dropped once verified
  // From a verified join token (auth.secret): a viewer whatever it asks, and
  // the only room type it may create (unauthorized otherwise).
  bool viewer_only = false;
  std::optional<room_type> create_type;
};
// The room's answer: the join reply (ok or error) and, on success, the room.
struct join_result {
  proto::reply reply;
  room_api room;
};
struct leave_room {
  std::string peer_id;
};
struct room_request_from {
  std::string peer_id;
  proto::room_request request;
};
struct request_result {
  proto::reply reply;  // reply_ok or reply_error
};
// channel → room → engine
struct peer_media {
  std::string peer_id;
  proto::client_media_event event;
};

// ---- engine_api ----

struct peer_info {
  std::string id;
  std::string display_name;
  peer_role role = peer_role::viewer;
};
struct add_peer {
  peer_info info;
  channel_api channel;
};
struct remove_peer {
  std::string peer_id;
};
struct set_role {
  std::string peer_id;
  peer_role role = peer_role::viewer;
};
struct set_owner {
  std::optional<std::string> owner_id;
};
struct session_sdp {
  std::string peer_id;
  proto::sdp_message sdp;
};
struct session_candidate {
  std::string peer_id;
  proto::ice_candidate candidate;
};
struct session_track {
  std::string id;
  std::string mid;
  proto::track_kind kind = proto::track_kind::audio;
};
struct session_tracks_added {
  std::string peer_id;
  std::vector<session_track> tracks;
};
struct session_tracks_removed {
  std::string peer_id;
  std::vector<std::string> track_ids;
};
struct session_error {
  std::string peer_id;  // may be ""
  proto::media_error error;
};
// room → engine: recordStart / recordStop, already allowed by the room.
struct start_recording {};
struct stop_recording {};
// An audio track of `peer_id` started or stopped carrying speech.
struct session_vad {
  std::string peer_id;
  proto::vad_notification vad;
};
// Subscriber `peer_id` now gets another simulcast layer of a remote track.
struct session_variant_switched {
  std::string peer_id;
  proto::track_variant_switched switched;
};
// Subscriber `peer_id` is told a simulcast layer of a remote track stopped or
// started flowing.
struct session_variant_availability {
  std::string peer_id;
  proto::track_variant_availability availability;
};
struct stats_tick {};

// ---- registry_api ----

struct find_room {
  std::string room_id;
  join_request join;
};
struct placed_join {
  std::string room_id;
  join_request join;
};
struct room_empty {
  std::string room_id;
  std::uint64_t joins_seen = 0;
};
struct count_rooms {};
struct node_up {
  std::string name;
  registry_api registry;
};
struct node_down {
  std::string name;
};
struct rooms_here {
  std::string node;
  std::vector<std::string> room_ids;
};
struct room_gone {
  std::string room_id;
  std::string node;
};

// ---- cluster_api ----

struct hello {
  std::string name;
  registry_api registry;
};
struct hello_reply {
  std::string name;
  registry_api registry;
  std::vector<std::string> members;  // the other nodes the answering node knows
};
struct cluster_tick {};

// ---- inspect ----

namespace meta = caf::meta;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_text& x) {
  return f(meta::type_name("vr::ws_text"), x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_binary& x) {
  return f(meta::type_name("vr::ws_binary"), x.bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_out& x) {
  return f(meta::type_name("vr::ws_out"), x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_push& x) {
  return f(meta::type_name("vr::client_push"), opt(x.ref), x.event);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push& x) {
  return f(meta::type_name("vr::push"), x.event);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(meta::type_name("vr::join_request"), x.params, x.viewer_only, opt(x.create_type));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_result& x) {
  return f(meta::type_name("vr::join_result"), x.reply, x.room);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leave_room& x) {
  return f(meta::type_name("vr::leave_room"), x.peer_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_request_from& x) {
  return f(meta::type_name("vr::room_request_from"), x.peer_id, x.request);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_result& x) {
  return f(meta::type_name("vr::request_result"), x.reply);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_media& x) {
  return f(meta::type_name("vr::peer_media"), x.peer_id, x.event);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_info& x) {
  return f(meta::type_name("vr::peer_info"), x.id, x.display_name, x.role);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add_peer& x) {
  return f(meta::type_name("vr::add_peer"), x.info, x.channel);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_peer& x) {
  return f(meta::type_name("vr::remove_peer"), x.peer_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_role& x) {
  return f(meta::type_name("vr::set_role"), x.peer_id, x.role);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_owner& x) {
  return f(meta::type_name("vr::set_owner"), opt(x.owner_id));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_sdp& x) {
  return f(meta::type_name("vr::session_sdp"), x.peer_id, x.sdp);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_candidate& x) {
  return f(meta::type_name("vr::session_candidate"), x.peer_id, x.candidate);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_track& x) {
  return f(meta::type_name("vr::session_track"), x.id, x.mid, x.kind);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_tracks_added& x) {
  return f(meta::type_name("vr::session_tracks_added"), x.peer_id, x.tracks);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_tracks_removed& x) {
  return f(meta::type_name("vr::session_tracks_removed"), x.peer_id, x.track_ids);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_error& x) {
  return f(meta::type_name("vr::session_error"), x.peer_id, x.error);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_vad& x) {
  return f(meta::type_name("vr::session_vad"), x.peer_id, x.vad);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_variant_switched& x) {
  return f(meta::type_name("vr::session_variant_switched"), x.peer_id, x.switched);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_variant_availability& x) {
  return f(meta::type_name("vr::session_variant_availability"), x.peer_id, x.availability);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, find_room& x) {
  return f(meta::type_name("vr::find_room"), x.room_id, x.join);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, placed_join& x) {
  return f(meta::type_name("vr::placed_join"), x.room_id, x.join);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_empty& x) {
  return f(meta::type_name("vr::room_empty"), x.room_id, x.joins_seen);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_up& x) {
  return f(meta::type_name("vr::node_up"), x.name, x.registry);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_down& x) {
  return f(meta::type_name("vr::node_down"), x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rooms_here& x) {
  return f(meta::type_name("vr::rooms_here"), x.node, x.room_ids);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_gone& x) {
  return f(meta::type_name("vr::room_gone"), x.room_id, x.node);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello& x) {
  return f(meta::type_name("vr::hello"), x.name, x.registry);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello_reply& x) {
  return f(meta::type_name("vr::hello_reply"), x.name, x.registry, x.members);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_closed&) {
  return f(meta::type_name("vr::ws_closed"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_recording&) {
  return f(meta::type_name("vr::start_recording"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_recording&) {
  return f(meta::type_name("vr::stop_recording"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats_tick&) {
  return f(meta::type_name("vr::stats_tick"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, count_rooms&) {
  return f(meta::type_name("vr::count_rooms"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_tick&) {
  return f(meta::type_name("vr::cluster_tick"));
}

void register_message_types(caf::actor_system_config& cfg);

}  // namespace vr
