#include "test/protocol_peer/room_view.hpp"

#include "signaling/json.hpp"

namespace vr::test {

namespace json = vr::signaling::json;

namespace {

// PEER {"id", "tracks": {TRACK_ID: {"kind", ...}}} or tracksAdded {"peerId", "tracks"}.
void add_tracks(const rapidjson::Value& holder, const std::string& peer_id,
                std::set<std::string>& live, std::map<std::string, announced_track>& owner) {
  auto* tracks = json::get_object(holder, "tracks");
  if (tracks == nullptr)
    return;
  for (auto& t : tracks->GetObject()) {
    std::string kind =
      t.value.IsObject() ? std::string{json::get_string(t.value, "kind").value_or("")} : "";
    owner[t.name.GetString()] = {peer_id, kind};
    live.insert(t.name.GetString());
  }
}

void add_peer(const rapidjson::Value& peer, std::set<std::string>& peers,
              std::set<std::string>& live, std::map<std::string, announced_track>& owner) {
  if (!peer.IsObject())
    return;
  std::string id{json::get_string(peer, "id").value_or("")};
  if (id.empty())
    return;
  peers.insert(id);
  add_tracks(peer, id, live, owner);
}

}  // namespace

std::vector<std::string> room_view::apply(const std::string& type, const std::string& data_json) {
  std::vector<std::string> removed;
  auto doc = json::parse(data_json, 64);
  if (!doc || !doc->IsObject())
    return removed;
  auto peer_id = std::string{json::get_string(*doc, "peerId").value_or("")};
  if (type == "peerAccepted") {
    if (doc->HasMember("peersInRoom") && (*doc)["peersInRoom"].IsArray())
      for (auto& p : (*doc)["peersInRoom"].GetArray())
        add_peer(p, peers_, live_, owner_);
  } else if (type == "peerJoined") {
    if (auto* p = json::get_object(*doc, "peer"))
      add_peer(*p, peers_, live_, owner_);
  } else if (type == "peerLeft") {
    peers_.erase(peer_id);
    for (auto& [id, t] : owner_)
      if (t.peer_id == peer_id)
        live_.erase(id);
  } else if (type == "tracksAdded") {
    add_tracks(*doc, peer_id, live_, owner_);
  } else if (type == "tracksRemoved") {
    if (doc->HasMember("trackIds") && (*doc)["trackIds"].IsArray())
      for (auto& v : (*doc)["trackIds"].GetArray())
        if (v.IsString() && live_.erase(v.GetString()))
          removed.emplace_back(v.GetString());
  }
  return removed;
}

void room_view::clear() {
  peers_.clear();
  live_.clear();
  owner_.clear();
}

std::map<std::string, std::string> room_view::tracks_of(const std::string& peer_id) const {
  std::map<std::string, std::string> out;
  for (auto& id : live_)
    if (auto it = owner_.find(id); it != owner_.end() && it->second.peer_id == peer_id)
      out[id] = it->second.kind;
  return out;
}

}  // namespace vr::test
