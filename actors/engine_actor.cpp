#include "actors/engine_actor.hpp"

#include "signaling/json.hpp"
#include "signaling/media_event.hpp"

#include <caf/all.hpp>

namespace vr {

namespace json = signaling::json;
namespace media_event = signaling::media_event;

namespace {

using self_ptr = caf::stateful_actor<engine_state>*;

void send_event(self_ptr self, const engine_peer& to, std::string_view type,
                std::string_view data) {
  self->send(to.channel, push_atom::value, std::string{"mediaEvent"},
             media_event::encode_payload(type, data));
}

// To every other peer inside the media session.
void send_others(self_ptr self, const std::string& except, std::string_view type,
                 std::string_view data) {
  for (auto& [id, p] : self->state.peers)
    if (id != except && p.joined)
      send_event(self, p, type, data);
}

void send_error(self_ptr self, const engine_peer& to, std::string_view reason,
                std::string_view message) {
  self->send(to.channel, push_atom::value, std::string{"mediaEvent"},
             media_event::error_payload(reason, message));
}

std::string tracks_json(const engine_peer& p) {
  std::string out = "{";
  for (auto& [id, t] : p.tracks) {
    if (out.size() > 1)
      out += ',';
    out += json::quote(id) + ":" + t;
  }
  return out + "}";
}

// PEER: {"id", "metadata", "role", "tracks"}.
std::string peer_json(const engine_peer& p) {
  return R"({"id":)" + json::quote(p.info.id) + R"(,"metadata":)" + p.metadata +
         R"(,"role":)" + json::quote(p.info.role) + R"(,"tracks":)" + tracks_json(p) + "}";
}

std::string peer_left_json(const std::string& id) {
  return R"({"peerId":)" + json::quote(id) + "}";
}

// The metadata object of a join or updatePeerMetadata; {} when absent.
std::optional<std::string> metadata_of(self_ptr self, const std::string& data) {
  auto doc = json::parse(data, self->state.settings->max_json_depth);
  if (!doc || !doc->IsObject())
    return std::nullopt;
  if (!doc->HasMember("metadata"))
    return std::string{"{}"};
  auto* m = json::get_object(*doc, "metadata");
  if (m == nullptr)
    return std::nullopt;
  return json::to_string(*m);
}

void on_join(self_ptr self, engine_peer& p, const std::string& data) {
  auto& st = self->state;
  if (p.joined)
    return send_error(self, p, "already_joined", "this peer is in the media session");
  auto metadata = metadata_of(self, data);
  if (!metadata)
    return send_error(self, p, "invalid_params", "join data is {\"metadata\": {...}}");
  p.metadata = *metadata;
  p.joined = true;
  std::string peers = "[";
  for (auto& [id, other] : st.peers)
    if (id != p.info.id && other.joined) {
      if (peers.size() > 1)
        peers += ',';
      peers += peer_json(other);
    }
  peers += "]";
  auto accepted = R"({"id":)" + json::quote(p.info.id) + R"(,"role":)" +
                  json::quote(p.info.role) + R"(,"roomType":)" +
                  json::quote(to_string(st.type)) + R"(,"ownerId":)" +
                  (st.owner.empty() ? std::string{"null"} : json::quote(st.owner)) +
                  R"(,"peersInRoom":)" + peers + R"(,"iceServers":)" +
                  st.settings->ice_servers_json + "}";
  send_event(self, p, "peerAccepted", accepted);
  send_others(self, p.info.id, "peerJoined", R"({"peer":)" + peer_json(p) + "}");
}

void on_leave(self_ptr self, engine_peer& p) {
  if (!p.joined)
    return;
  p.joined = false;
  p.tracks.clear();
  send_others(self, p.info.id, "peerLeft", peer_left_json(p.info.id));
}

void on_media(self_ptr self, const std::string& from, const std::string& type,
              const std::string& data) {
  auto& st = self->state;
  auto it = st.peers.find(from);
  if (it == st.peers.end())
    return;
  auto& p = it->second;
  if (type == "join")
    return on_join(self, p, data);
  if (!p.joined)
    return send_error(self, p, "not_joined", "send the join media event first");
  if (type == "leave")
    return on_leave(self, p);
  if (type == "updatePeerMetadata") {
    auto metadata = metadata_of(self, data);
    if (!metadata)
      return send_error(self, p, "invalid_params", "metadata must be an object");
    p.metadata = *metadata;
    send_others(self, from, "peerUpdated",
                R"({"peerId":)" + json::quote(from) + R"(,"metadata":)" + p.metadata + "}");
    return;
  }
  if (type == "publishOffer") {
    if (p.info.role != "publisher" || st.type == room_type::call)
      return send_error(self, p, "forbidden", "this peer may not publish");
    return send_error(self, p, "unavailable", "media forwarding is not available");
  }
  if (type == "subscribeAnswer" || type == "candidate")
    return send_error(self, p, "unavailable", "media forwarding is not available");
  send_error(self, p, "unknown_event", "unknown media event type");
}

}  // namespace

caf::behavior engine_actor(self_ptr self, std::string room_id, room_type type,
                           settings_ptr settings) {
  auto& st = self->state;
  st.room_id = std::move(room_id);
  st.type = type;
  st.settings = std::move(settings);
  return {
    [self](add_peer_atom, peer_info& info, caf::actor& channel) {
      auto& p = self->state.peers[info.id];
      p.info = std::move(info);
      p.channel = std::move(channel);
    },
    [self](rm_peer_atom, const std::string& id) {
      auto& peers = self->state.peers;
      auto it = peers.find(id);
      if (it == peers.end())
        return;
      on_leave(self, it->second);
      peers.erase(it);
    },
    [self](role_atom, const std::string& id, std::string& role) {
      if (auto it = self->state.peers.find(id); it != self->state.peers.end())
        it->second.info.role = std::move(role);
    },
    [self](owner_atom, std::string& owner) { self->state.owner = std::move(owner); },
    [self](media_atom, const std::string& from, const std::string& type,
           const std::string& data) { on_media(self, from, type, data); },
  };
}

}  // namespace vr
