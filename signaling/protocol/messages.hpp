// Every message of the wire protocol (../shared/protocol.md) as a struct.
// decode.hpp turns a client's frame into these once, at the socket; encode.hpp
// writes the server's replies and pushes from them. The actors only ever see
// these types, never JSON.
#pragma once

#include "signaling/protocol/names.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vr::signaling::protocol {

// JSON the server carries without looking inside (peer and track metadata,
// relay payloads, the configured ICE servers): checked to be valid JSON when
// decoded, written out as it is.
struct raw_json {
  std::string text = "{}";
  friend bool operator==(const raw_json&, const raw_json&) = default;
};

enum class pc_kind {
  publish,
  subscribe
};
enum class track_kind {
  audio,
  video
};

// ---- Client to server: channel events (section 1-3) ------------------------

// {"displayName", "roomType"?, "role"?, "token"?}
struct join_params {
  std::string display_name;  // "" only when a token was sent without a valid displayName
  std::optional<room_type> type;
  std::optional<peer_role> role;
  // A signed join token (auth.secret); a member "token" that is not a string is "".
  std::optional<std::string> token;
};

struct heartbeat {};  // topic "phoenix"
struct phx_join {
  std::optional<join_params> params;  // nullopt: not valid join params (invalid_params)
};
struct phx_leave {};

// Room requests, answered with a phx_reply.
struct raise_hand {};
struct answer_hand {
  std::string peer_id;
  bool accept = false;
};
struct kick {
  std::string peer_id;
};
// The owner of a group or audio room records it (payload {}).
struct record_start {};
struct record_stop {};
// chat {"text"}: already trimmed and checked (valid_chat_text) when decoded.
struct send_chat {
  std::string text;
};
using room_request =
  std::variant<raise_hand, answer_hand, kick, record_start, record_stop, send_chat>;
// A room request whose payload is not of its shape (invalid_params).
struct invalid_request {};

// ---- Client to server: media events (section 4) ----------------------------

struct media_join {
  raw_json metadata;
};
struct media_leave {};
struct update_peer_metadata {
  raw_json metadata;
};
// updateTrackMetadata {"trackId", "trackMetadata": object}
struct update_track_metadata {
  std::string track_id;
  raw_json metadata;
};
struct publish_offer {
  std::string sdp;
  std::map<std::string, raw_json> track_metadata;  // mid → metadata
};
struct subscribe_answer {
  std::string sdp;
};
// Also sent by the server (its own candidates); sdp_mid is then always null.
struct ice_candidate {
  pc_kind pc = pc_kind::publish;
  std::string candidate;  // "" = end of candidates
  std::uint32_t sdp_mline_index = 0;
  std::optional<std::string> sdp_mid;
};
struct relay_request {
  std::string to;
  raw_json payload;
};
// setTargetTrackVariant {"trackId", "variant": "h"|"m"|"l"}: which simulcast
// layer of a remote track this subscriber wants (the server may cap it).
struct set_target_track_variant {
  std::string track_id;
  std::string variant;  // "h", "m" or "l" (checked when decoded)
};

// Which media event a client sent, known even when its data was malformed:
// the engine answers in the order of its own checks (joined? allowed?) first.
enum class media_kind {
  join,
  leave,
  update_peer_metadata,
  update_track_metadata,
  publish_offer,
  subscribe_answer,
  candidate,
  relay,
  set_target_track_variant,
  unknown
};

// A known media event whose data is not of its shape: error `invalid_params`.
struct invalid_media_event {
  media_kind kind = media_kind::unknown;
  std::string message;
};
struct unknown_media_event {
  std::string type;
};

using client_media_event =
  std::variant<media_join, media_leave, update_peer_metadata, publish_offer, subscribe_answer,
               ice_candidate, relay_request, set_target_track_variant, invalid_media_event,
               unknown_media_event, update_track_metadata>;

media_kind kind_of(const client_media_event& ev);

// A mediaEvent whose payload is not {"data": "<JSON object with a string type>"}.
struct bad_media_envelope {};
struct unknown_event {
  std::string event;
};

using client_event = std::variant<heartbeat, phx_join, phx_leave, room_request, invalid_request,
                                  client_media_event, bad_media_envelope, unknown_event>;

// ---- Server to client: media events ----------------------------------------

struct track_info {
  track_kind kind = track_kind::audio;
  raw_json metadata;
};
using track_map = std::map<std::string, track_info>;  // track id → track

// PEER
struct peer_desc {
  std::string id;
  raw_json metadata;
  peer_role role = peer_role::viewer;
  track_map tracks;
};

// An RTCIceServer as browsers take it; TURN entries carry credentials.
struct ice_server {
  std::string urls;
  std::optional<std::string> username;
  std::optional<std::string> credential;
};

struct peer_accepted {
  std::string id;
  peer_role role = peer_role::viewer;
  room_type type = room_type::group;
  std::optional<std::string> owner_id;
  std::vector<peer_desc> peers_in_room;
  std::vector<ice_server> ice_servers;
  std::optional<std::string> hls_url;
  // Group rooms with rooms.simulcast: publish cameras as simulcast layers.
  bool simulcast = false;
};
struct peer_joined {
  peer_desc peer;
};
struct peer_left {
  std::string peer_id;
};
struct peer_updated {
  std::string peer_id;
  raw_json metadata;
};
// trackUpdated {"peerId", "trackId", "metadata"}
struct track_updated {
  std::string peer_id;
  std::string track_id;
  raw_json metadata;
};
struct tracks_added {
  std::string peer_id;
  track_map tracks;
};
struct tracks_removed {
  std::string peer_id;
  std::vector<std::string> track_ids;
};
enum class sdp_kind {
  publish_answer,
  subscribe_offer
};
// publishAnswer / subscribeOffer {"sdp", "midToTrackId"}
struct sdp_message {
  sdp_kind kind = sdp_kind::publish_answer;
  std::string sdp;
  std::map<std::string, std::string> mid_to_track_id;
};
struct relay_message {
  std::string from;
  raw_json payload;
};
struct media_error {
  std::string reason;
  std::string message;
};
// vadNotification {"trackId", "status": "speech"|"silence"}: sent on changes only.
struct vad_notification {
  std::string track_id;
  bool speech = false;
};
// trackVariantSwitched {"peerId", "trackId", "variant"}: the layer of a remote
// track this subscriber now receives.
struct track_variant_switched {
  std::string peer_id;  // the track's publisher
  std::string track_id;
  std::string variant;
};
// trackVariantEnabled / trackVariantDisabled {"peerId", "trackId", "variant"}:
// the publisher started or stopped sending that layer.
struct track_variant_availability {
  bool enabled = false;
  std::string peer_id;
  std::string track_id;
  std::string variant;
};

using server_media_event =
  std::variant<peer_accepted, peer_joined, peer_left, peer_updated, tracks_added, tracks_removed,
               sdp_message, ice_candidate, relay_message, media_error, track_updated,
               vad_notification, track_variant_switched, track_variant_availability>;

// ---- Server to client: channel pushes (section 3) --------------------------

struct owner_changed {
  std::optional<std::string> owner_id;
};
struct role_changed {
  std::string peer_id;
  peer_role role = peer_role::viewer;
};
struct hand_raised {
  std::string peer_id;
  std::string display_name;
};
struct hand_answered {
  bool accept = false;
};
struct kicked {
  std::string by;
};
// chat {"from", "name", "text", "at"}: also an entry of the join reply's history.
struct chat_message {
  std::string from;  // peer id
  std::string name;  // its displayName
  std::string text;
  std::int64_t at = 0;  // unix ms, when the room took it
  friend bool operator==(const chat_message&, const chat_message&) = default;
};

// Everyone, the sender too: the room's recording started or stopped, by whom.
struct recording_changed {
  bool active = false;
  std::string by;
};

using server_push = std::variant<owner_changed, role_changed, hand_raised, hand_answered, kicked,
                                 server_media_event, recording_changed, chat_message>;

// ---- Server to client: replies ---------------------------------------------

// Whether the room is being recorded (join reply), and who started it.
struct recording_status {
  bool active = false;
  std::optional<std::string> by;  // null when not recording
};

struct join_reply {
  std::string peer_id;
  peer_role role = peer_role::viewer;
  room_type type = room_type::group;
  std::optional<std::string> owner_id;
  recording_status recording;
  std::vector<chat_message> chat;  // the room's last chat messages, oldest first
};
struct reply_ok {};  // {"status":"ok","response":{}}
struct reply_error {
  std::string reason;
};
using reply = std::variant<reply_ok, join_reply, reply_error>;

}  // namespace vr::signaling::protocol
