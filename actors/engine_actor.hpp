// One per room and node: the RTC engine. Holds the media session of the room's peers
// (who entered it with the `join` media event, their metadata and tracks) and
// answers media events. The room tells it who is a member and with which role;
// the media session (GStreamer threads) tells it what to send to whom.
#pragma once

#include "actors/registry_actor.hpp"
#include "actors/room_rules.hpp"
#include "actors/settings.hpp"

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace vr {

struct add_peer;
struct remove_peer;
struct set_role;
struct set_owner;
struct peer_media;
struct session_sdp;
struct session_candidate;
struct session_tracks_added;
struct session_tracks_removed;
struct session_error;
struct start_recording;
struct stop_recording;
struct session_vad;
struct session_variant_switched;
struct session_variant_availability;
struct stats_tick;
struct engine_mesh;
struct mesh_event;
struct join_refused;
struct mesh_hls;
struct hls_wait_over;
struct relay_request;
struct relay_offer;
struct session_relay_streams;

using engine_api = caf::typed_actor<
  // room → engine: membership, roles, the owner, and members' media events.
  caf::reacts_to<add_peer>, caf::reacts_to<remove_peer>, caf::reacts_to<set_role>,
  caf::reacts_to<set_owner>, caf::reacts_to<peer_media>,
  // room → engine: the owner's recordStart / recordStop (the room checked the rules).
  caf::reacts_to<start_recording>, caf::reacts_to<stop_recording>,
  // media::session (its thread, by anon_send) → engine: what to tell a peer.
  caf::reacts_to<session_sdp>, caf::reacts_to<session_candidate>,
  caf::reacts_to<session_tracks_added>, caf::reacts_to<session_tracks_removed>,
  caf::reacts_to<session_error>, caf::reacts_to<session_vad>,
  caf::reacts_to<session_variant_switched>, caf::reacts_to<session_variant_availability>,
  // engine → itself: time to publish forwarding statistics.
  caf::reacts_to<stats_tick>,
  // room → engine: the room's engines on other nodes; engine → engine: their
  // peers' media-session events (a cascaded room).
  caf::reacts_to<engine_mesh>, caf::reacts_to<mesh_event>, caf::reacts_to<mesh_hls>,
  caf::reacts_to<hls_wait_over>,
  // room → node engine: a join handed to it was refused.
  caf::reacts_to<join_refused>,
  // engine ↔ engine: node-to-node media of a cascaded room; media::session →
  // engine: the streams it sends to another node.
  caf::reacts_to<relay_request>, caf::reacts_to<relay_offer>,
  caf::reacts_to<session_relay_streams>>;

// Linked to its room, whose life it shares. Detached when settings say so:
// its media teardown waits for the media thread, which must not hold a
// scheduler thread.
engine_api spawn_engine(caf::local_actor& room, std::string room_id, room_type type,
                        settings_ptr settings);

// The engine of room `room_id` on this node, made by the node's registry
// (linked to it) before the room's type is known: the first add_peer brings
// it. It outlives a room whose node is lost, so a room made again elsewhere
// finds its peers' media still flowing here. Tells `registry` when it has no
// peer left (engine_idle).
engine_api spawn_node_engine(caf::local_actor& parent, registry_api registry, std::string room_id,
                             settings_ptr settings);

}  // namespace vr
