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
#include "media/relay/relay_stream.hpp"

#include <caf/meta/type_name.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace caf {
class actor_system_config;
}

namespace vr::media {

// A relay stream crosses the cluster link between engines (ADL finds it here).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_stream& x) {
  return f(caf::meta::type_name("vr::media::relay_stream"), x.track_id, x.kind, x.caps, x.ssrc,
           x.variant);
}

}  // namespace vr::media

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
struct rejoin_tick {
  int attempts_left = 0;
};

// ---- room_api ----

// A member rejoining by itself after its room's node was lost.
struct rejoin_info {
  std::string peer_id;
  peer_role role = peer_role::viewer;
  std::optional<std::string> owner_id;  // of the lost room, as the member last heard
};
struct join_request {
  proto::join_params params;  // with a token: its name; its token dropped once verified
  // From a verified join token (auth.secret): a viewer whatever it asks, and
  // the only room type it may create (unauthorized otherwise).
  bool viewer_only = false;
  std::optional<room_type> create_type;
  // The engine of the joiner's node (set by its node's registry): the peer's
  // media terminates there, whichever node holds the room. Null: the room's own.
  engine_api engine;
  std::optional<rejoin_info> rejoin;
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
// room → itself: the members of a lost room have had time to rejoin.
struct takeover_settled {};
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
  room_type type = room_type::group;  // an engine made by a registry learns it here
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
// room → engines: the engines of the room's other nodes (all of them, each time
// the set changes). Each engine mirrors its own peers' media-session events to them.
struct engine_mesh {
  std::vector<engine_api> others;
};
// engine → engine: an event of the origin engine's media session (peerJoined,
// peerLeft, peerUpdated, tracksAdded, tracksRemoved, trackUpdated,
// vadNotification), for the receiving engine's peers and its directory of
// remote peers.
struct mesh_event {
  proto::server_media_event event;
};
// engine → engine: the broadcast's LL-HLS URL, from the publisher's node (its
// viewers on other nodes get it in peerAccepted).
struct mesh_hls {
  std::string url;
};
// engine → itself: viewers waiting for the broadcast's URL wait no longer.
struct hls_wait_over {};
// engine → the engine of a track's node: send me these tracks, to the UDP
// port I opened on my cluster.media-address, with this SRTP key.
struct relay_request {
  std::string address;
  std::uint16_t port = 0;
  bool encryption = true;
  std::vector<std::uint8_t> key;
  std::vector<std::string> track_ids;
};
// engine → the engine that asked: the RTP streams it now sends (SSRC, caps,
// simulcast layer), so its session accepts them as relayed tracks.
struct relay_offer {
  std::vector<media::relay_stream> streams;
};
// media::session (its thread) → engine: streams now sent to node `node`.
struct session_relay_streams {
  std::string node;
  std::vector<media::relay_stream> streams;
};
// room → a node engine: a join its registry handed it was refused (so its
// count of joins seen still meets the registry's).
struct join_refused {};
// engine → its registry: no peer left on this node (with the joins it has seen).
struct engine_idle {
  std::string room_id;
  std::uint64_t peers_seen = 0;
};

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
typename Inspector::result_type inspect(Inspector& f, rejoin_tick& x) {
  return f(meta::type_name("vr::rejoin_tick"), x.attempts_left);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(meta::type_name("vr::join_request"), x.params, x.viewer_only, opt(x.create_type),
           x.engine, opt(x.rejoin));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rejoin_info& x) {
  return f(meta::type_name("vr::rejoin_info"), x.peer_id, x.role, opt(x.owner_id));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_result& x) {
  return f(meta::type_name("vr::join_result"), x.reply, x.room);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, takeover_settled&) {
  return f(meta::type_name("vr::takeover_settled"));
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
  return f(meta::type_name("vr::add_peer"), x.info, x.channel, x.type);
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
typename Inspector::result_type inspect(Inspector& f, engine_mesh& x) {
  return f(meta::type_name("vr::engine_mesh"), x.others);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mesh_event& x) {
  return f(meta::type_name("vr::mesh_event"), x.event);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mesh_hls& x) {
  return f(meta::type_name("vr::mesh_hls"), x.url);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_request& x) {
  return f(meta::type_name("vr::relay_request"), x.address, x.port, x.encryption, x.key,
           x.track_ids);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_offer& x) {
  return f(meta::type_name("vr::relay_offer"), x.streams);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_relay_streams& x) {
  return f(meta::type_name("vr::session_relay_streams"), x.node, x.streams);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hls_wait_over&) {
  return f(meta::type_name("vr::hls_wait_over"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_refused&) {
  return f(meta::type_name("vr::join_refused"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_idle& x) {
  return f(meta::type_name("vr::engine_idle"), x.room_id, x.peers_seen);
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
