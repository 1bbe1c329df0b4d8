#include "signaling/protocol/decode.hpp"

#include "signaling/json.hpp"

namespace vr::signaling::protocol {

namespace {

using value = rapidjson::Value;

raw_json raw(const value& v) { return {json::to_string(v)}; }

// {"displayName": 1..64 chars, "roomType"?: TYPE, "role"?: ROLE, "token"?: JWT}.
// With a token, the name comes from the token: displayName may then be
// missing or invalid (display_name ""); the channel decides.
std::optional<join_params> decode_join_params(const value& v) {
  join_params p;
  if (v.HasMember("token"))
    p.token = std::string{json::get_string(v, "token").value_or("")};
  auto name = json::get_string(v, "displayName");
  if (name && valid_display_name(*name))
    p.display_name = *name;
  else if (!p.token)
    return std::nullopt;
  if (v.HasMember("roomType")) {
    auto type = json::get_string(v, "roomType");
    p.type = type ? parse_room_type(*type) : std::nullopt;
    if (!p.type)
      return std::nullopt;
  }
  if (v.HasMember("role")) {
    auto role = json::get_string(v, "role");
    p.role = role ? parse_peer_role(*role) : std::nullopt;
    if (!p.role)
      return std::nullopt;
  }
  return p;
}

client_event decode_answer_hand(const value& v) {
  auto peer = json::get_string(v, "peerId");
  auto accept = json::get_bool(v, "accept");
  if (!peer || !accept)
    return invalid_request{};
  return room_request{answer_hand{std::string{*peer}, *accept}};
}

client_event decode_kick(const value& v) {
  auto peer = json::get_string(v, "peerId");
  if (!peer)
    return invalid_request{};
  return room_request{kick{std::string{*peer}}};
}

// chat {"text"}: trimmed and checked here, once.
client_event decode_chat(const value& v) {
  auto text = json::get_string(v, "text");
  auto trimmed = text ? chat_text(*text) : std::nullopt;
  if (!trimmed)
    return invalid_request{};
  return room_request{send_chat{std::move(*trimmed)}};
}

// The "metadata" object of join and updatePeerMetadata; {} when absent.
std::optional<raw_json> metadata(const value& data) {
  if (!data.HasMember("metadata"))
    return raw_json{};
  auto* m = json::get_object(data, "metadata");
  return m ? std::optional<raw_json>{raw(*m)} : std::nullopt;
}

client_media_event invalid(media_kind kind, std::string message) {
  return invalid_media_event{kind, std::move(message)};
}

client_media_event decode_publish_offer(const value& data) {
  auto sdp = json::get_string(data, "sdp");
  if (!sdp)
    return invalid(media_kind::publish_offer, "publishOffer needs {\"sdp\": string}");
  publish_offer o{std::string{*sdp}, {}};
  if (auto* meta = json::get_object(data, "trackMetadata"))
    for (auto& m : meta->GetObject())
      o.track_metadata[m.name.GetString()] = raw(m.value);
  return o;
}

client_media_event decode_update_track_metadata(const value& data) {
  auto track = json::get_string(data, "trackId");
  auto* meta = json::get_object(data, "trackMetadata");
  if (!track || meta == nullptr)
    return invalid(media_kind::update_track_metadata,
                   "updateTrackMetadata needs {\"trackId\": id, \"trackMetadata\": {...}}");
  return update_track_metadata{std::string{*track}, raw(*meta)};
}

client_media_event decode_candidate(const value& data) {
  auto pc = json::get_string(data, "pc").value_or("");
  auto cand = json::get_string(data, "candidate");
  auto mline = json::get_int(data, "sdpMLineIndex").value_or(-1);
  if ((pc != "publish" && pc != "subscribe") || !cand || mline < 0 || mline > 1000)
    return invalid(media_kind::candidate, "candidate needs pc, candidate and sdpMLineIndex");
  ice_candidate c;
  c.pc = pc == "publish" ? pc_kind::publish : pc_kind::subscribe;
  c.candidate = *cand;
  c.sdp_mline_index = static_cast<std::uint32_t>(mline);
  if (auto mid = json::get_string(data, "sdpMid"))
    c.sdp_mid = std::string{*mid};
  return c;
}

client_media_event decode_relay(const value& data) {
  auto to = json::get_string(data, "to");
  auto* payload = json::get_object(data, "payload");
  if (!to || payload == nullptr)
    return invalid(media_kind::relay, "relay needs {\"to\": id, \"payload\": {...}}");
  return relay_request{std::string{*to}, raw(*payload)};
}

client_media_event decode_media(std::string_view type, const value& data) {
  if (type == "join") {
    auto m = metadata(data);
    if (!m)
      return invalid(media_kind::join, "join data is {\"metadata\": {...}}");
    return media_join{std::move(*m)};
  }
  if (type == "leave")
    return media_leave{};
  if (type == "updatePeerMetadata") {
    auto m = metadata(data);
    if (!m)
      return invalid(media_kind::update_peer_metadata, "metadata must be an object");
    return update_peer_metadata{std::move(*m)};
  }
  if (type == "updateTrackMetadata")
    return decode_update_track_metadata(data);
  if (type == "publishOffer")
    return decode_publish_offer(data);
  if (type == "subscribeAnswer") {
    auto sdp = json::get_string(data, "sdp");
    if (!sdp)
      return invalid(media_kind::subscribe_answer, "subscribeAnswer needs {\"sdp\": string}");
    return subscribe_answer{std::string{*sdp}};
  }
  if (type == "candidate")
    return decode_candidate(data);
  if (type == "relay")
    return decode_relay(data);
  return unknown_media_event{std::string{type}};
}

// {"data": "{\"type\": STRING, \"data\"?: OBJECT}"}: the inner JSON is parsed
// here, once, under the same depth limit as the frame.
client_event decode_media_payload(const value& payload, std::size_t max_depth) {
  auto inner = json::get_string(payload, "data");
  if (!inner)
    return bad_media_envelope{};
  auto doc = json::parse(*inner, max_depth);
  if (!doc || !doc->IsObject())
    return bad_media_envelope{};
  auto type = json::get_string(*doc, "type");
  if (!type)
    return bad_media_envelope{};
  if (!doc->HasMember("data")) {
    value empty{rapidjson::kObjectType};
    return decode_media(*type, empty);
  }
  auto* data = json::get_object(*doc, "data");
  if (data == nullptr)
    return bad_media_envelope{};
  return decode_media(*type, *data);
}

client_event decode_event(const phoenix::parsed_frame& f, std::size_t max_depth) {
  auto& payload = f.payload();
  auto& e = f.event;
  if (e == "heartbeat" && f.topic == "phoenix")
    return heartbeat{};
  if (e == "phx_join")
    return phx_join{decode_join_params(payload)};
  if (e == "phx_leave")
    return phx_leave{};
  if (e == "mediaEvent")
    return decode_media_payload(payload, max_depth);
  if (e == "raiseHand")
    return room_request{raise_hand{}};
  if (e == "answerHand")
    return decode_answer_hand(payload);
  if (e == "kick")
    return decode_kick(payload);
  if (e == "recordStart")
    return room_request{record_start{}};
  if (e == "recordStop")
    return room_request{record_stop{}};
  if (e == "chat")
    return decode_chat(payload);
  return unknown_event{e};
}

}  // namespace

media_kind kind_of(const client_media_event& ev) {
  struct visitor {
    media_kind operator()(const media_join&) const { return media_kind::join; }
    media_kind operator()(const media_leave&) const { return media_kind::leave; }
    media_kind operator()(const update_peer_metadata&) const {
      return media_kind::update_peer_metadata;
    }
    media_kind operator()(const update_track_metadata&) const {
      return media_kind::update_track_metadata;
    }
    media_kind operator()(const publish_offer&) const { return media_kind::publish_offer; }
    media_kind operator()(const subscribe_answer&) const { return media_kind::subscribe_answer; }
    media_kind operator()(const ice_candidate&) const { return media_kind::candidate; }
    media_kind operator()(const relay_request&) const { return media_kind::relay; }
    media_kind operator()(const invalid_media_event& e) const { return e.kind; }
    media_kind operator()(const unknown_media_event&) const { return media_kind::unknown; }
  };
  return std::visit(visitor{}, ev);
}

std::variant<client_frame, phoenix::decode_error> decode_client(std::string_view text,
                                                                phoenix::limits lim) {
  auto parsed = phoenix::parse(text, lim);
  if (auto* err = std::get_if<phoenix::decode_error>(&parsed))
    return std::move(*err);
  auto& f = std::get<phoenix::parsed_frame>(parsed);
  auto event = decode_event(f, lim.max_depth);
  return client_frame{std::move(f.join_ref), std::move(f.ref), std::move(f.topic),
                      std::move(event)};
}

}  // namespace vr::signaling::protocol
