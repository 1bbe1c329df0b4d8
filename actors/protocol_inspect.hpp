// CAF `inspect` overloads for the protocol's structs (signaling/protocol), so
// they travel between actors on different nodes. They live here, not in
// signaling/, which knows nothing of CAF; ADL finds them in the structs'
// namespace. std::optional and std::variant, which CAF 0.17 does not know, are
// written as a presence flag or a one-byte tag, as CAF writes its own.
#pragma once

#include "signaling/protocol/messages.hpp"

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace vr::signaling::protocol {

// ---- std::optional, through a wrapper (ADL cannot find std::optional<std::string>'s) ----

template <class T>
struct opt_field {
  std::optional<T>& x;
};

template <class T>
opt_field<T> opt(std::optional<T>& x) {
  return {x};
}

template <class T>
struct opt_loader {
  bool& present;
  T& value;
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, opt_loader& l) {
    return l.present ? f(l.value) : f();
  }
};

template <class Inspector, class T>
std::enable_if_t<Inspector::reads_state, typename Inspector::result_type> inspect(Inspector& f,
                                                                                  opt_field<T>& o) {
  return o.x ? f(true, *o.x) : f(false);
}

template <class Inspector, class T>
std::enable_if_t<Inspector::writes_state, typename Inspector::result_type> inspect(
  Inspector& f, opt_field<T>& o) {
  bool present = false;
  T value{};
  opt_loader<T> loader{present, value};
  auto result = f(present, loader);
  if (present)
    o.x = std::move(value);
  else
    o.x.reset();
  return result;
}

// ---- std::variant of protocol structs: a tag, then the alternative ----

template <class... Ts>
struct variant_saver {
  std::variant<Ts...>& x;
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, variant_saver& s) {
    return std::visit([&f](auto& v) { return f(v); }, s.x);
  }
};

template <class... Ts>
struct variant_loader {
  std::uint8_t& tag;
  std::variant<Ts...>& x;
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, variant_loader& l) {
    return l.load(f, std::index_sequence_for<Ts...>{});
  }
  template <class Inspector, std::size_t... Is>
  caf::error load(Inspector& f, std::index_sequence<Is...>) {
    caf::error result = caf::make_error(caf::sec::invalid_argument);
    ((tag == Is ? (void)(result = f(x.template emplace<Is>())) : void()), ...);
    return result;
  }
};

template <class Inspector, class... Ts>
std::enable_if_t<Inspector::reads_state, typename Inspector::result_type> inspect(
  Inspector& f, std::variant<Ts...>& x) {
  auto tag = static_cast<std::uint8_t>(x.index());
  variant_saver<Ts...> saver{x};
  return f(tag, saver);
}

template <class Inspector, class... Ts>
std::enable_if_t<Inspector::writes_state, typename Inspector::result_type> inspect(
  Inspector& f, std::variant<Ts...>& x) {
  std::uint8_t tag = 0;
  variant_loader<Ts...> loader{tag, x};
  return f(tag, loader);
}

// ---- the structs ----

namespace meta = caf::meta;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raw_json& x) {
  return f(meta::type_name("raw_json"), x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_params& x) {
  return f(meta::type_name("join_params"), x.display_name, opt(x.type), opt(x.role), opt(x.token));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, phx_join& x) {
  return f(meta::type_name("phx_join"), opt(x.params));
}

// Structs without fields.
template <class Inspector, class T>
std::enable_if_t<std::is_same_v<T, heartbeat> || std::is_same_v<T, phx_leave> ||
                   std::is_same_v<T, raise_hand> || std::is_same_v<T, invalid_request> ||
                   std::is_same_v<T, record_start> || std::is_same_v<T, record_stop> ||
                   std::is_same_v<T, media_leave> || std::is_same_v<T, bad_media_envelope>,
                 typename Inspector::result_type>
inspect(Inspector& f, T&) {
  return f(meta::type_name("empty"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, answer_hand& x) {
  return f(meta::type_name("answer_hand"), x.peer_id, x.accept);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kick& x) {
  return f(meta::type_name("kick"), x.peer_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, send_chat& x) {
  return f(meta::type_name("send_chat"), x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_join& x) {
  return f(meta::type_name("media_join"), x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, update_peer_metadata& x) {
  return f(meta::type_name("update_peer_metadata"), x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, update_track_metadata& x) {
  return f(meta::type_name("update_track_metadata"), x.track_id, x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish_offer& x) {
  return f(meta::type_name("publish_offer"), x.sdp, x.track_metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscribe_answer& x) {
  return f(meta::type_name("subscribe_answer"), x.sdp);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ice_candidate& x) {
  return f(meta::type_name("ice_candidate"), x.pc, x.candidate, x.sdp_mline_index, opt(x.sdp_mid));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_request& x) {
  return f(meta::type_name("relay_request"), x.to, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_target_track_variant& x) {
  return f(meta::type_name("set_target_track_variant"), x.track_id, x.variant);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, invalid_media_event& x) {
  return f(meta::type_name("invalid_media_event"), x.kind, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unknown_media_event& x) {
  return f(meta::type_name("unknown_media_event"), x.type);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unknown_event& x) {
  return f(meta::type_name("unknown_event"), x.event);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, track_info& x) {
  return f(meta::type_name("track_info"), x.kind, x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_desc& x) {
  return f(meta::type_name("peer_desc"), x.id, x.metadata, x.role, x.tracks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ice_server& x) {
  return f(meta::type_name("ice_server"), x.urls, opt(x.username), opt(x.credential));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_accepted& x) {
  return f(meta::type_name("peer_accepted"), x.id, x.role, x.type, opt(x.owner_id), x.peers_in_room,
           x.ice_servers, opt(x.hls_url), x.simulcast);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_joined& x) {
  return f(meta::type_name("peer_joined"), x.peer);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_left& x) {
  return f(meta::type_name("peer_left"), x.peer_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_updated& x) {
  return f(meta::type_name("peer_updated"), x.peer_id, x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, track_updated& x) {
  return f(meta::type_name("track_updated"), x.peer_id, x.track_id, x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tracks_added& x) {
  return f(meta::type_name("tracks_added"), x.peer_id, x.tracks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tracks_removed& x) {
  return f(meta::type_name("tracks_removed"), x.peer_id, x.track_ids);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sdp_message& x) {
  return f(meta::type_name("sdp_message"), x.kind, x.sdp, x.mid_to_track_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_message& x) {
  return f(meta::type_name("relay_message"), x.from, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_error& x) {
  return f(meta::type_name("media_error"), x.reason, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vad_notification& x) {
  return f(meta::type_name("vad_notification"), x.track_id, x.speech);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, track_variant_switched& x) {
  return f(meta::type_name("track_variant_switched"), x.peer_id, x.track_id, x.variant);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, track_variant_availability& x) {
  return f(meta::type_name("track_variant_availability"), x.enabled, x.peer_id, x.track_id,
           x.variant);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owner_changed& x) {
  return f(meta::type_name("owner_changed"), opt(x.owner_id));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, role_changed& x) {
  return f(meta::type_name("role_changed"), x.peer_id, x.role);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hand_raised& x) {
  return f(meta::type_name("hand_raised"), x.peer_id, x.display_name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hand_answered& x) {
  return f(meta::type_name("hand_answered"), x.accept);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kicked& x) {
  return f(meta::type_name("kicked"), x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recording_changed& x) {
  return f(meta::type_name("recording_changed"), x.active, x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recording_status& x) {
  return f(meta::type_name("recording_status"), x.active, opt(x.by));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_message& x) {
  return f(meta::type_name("chat_message"), x.from, x.name, x.text, x.at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_reply& x) {
  return f(meta::type_name("join_reply"), x.peer_id, x.role, x.type, opt(x.owner_id), x.recording,
           x.chat);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply_ok&) {
  return f(meta::type_name("reply_ok"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply_error& x) {
  return f(meta::type_name("reply_error"), x.reason);
}

}  // namespace vr::signaling::protocol
