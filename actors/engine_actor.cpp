#include "actors/engine_actor.hpp"

#include "signaling/json.hpp"
#include "signaling/media_event.hpp"
#include "signaling/metrics.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <random>

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

std::string mid_map_json(const std::map<std::string, std::string>& mid_to_track) {
  std::string out = "{";
  for (auto& [mid, track] : mid_to_track) {
    if (out.size() > 1)
      out += ',';
    out += json::quote(mid) + ":" + json::quote(track);
  }
  return out + "}";
}

// GStreamer threads may only send messages: every event becomes one. HLS
// snapshots are the exception: they go straight to the thread-safe HTTP side
// (no actor hop on the latency path, and the last one still arrives while the
// engine is being destroyed).
media::session_events session_events(caf::actor engine, const engine_state& st) {
  media::session_events ev;
  if (st.settings->hls_update)
    ev.hls_update = [update = st.settings->hls_update, started = st.hls_started,
                     token = st.hls_token](std::string peer,
                                           std::shared_ptr<const media::hls::snapshot> snap) {
      started->store(true);
      update(peer + "/" + token, std::move(snap));
    };
  auto sdp = [engine](const char* type) {
    return [engine, type](std::string peer, std::string sdp,
                          std::map<std::string, std::string> mid_to_track) {
      caf::anon_send(engine, sdp_atom::value, std::move(peer), std::string{type},
                     std::move(sdp), mid_map_json(mid_to_track));
    };
  };
  ev.publish_answer = sdp("publishAnswer");
  ev.subscribe_offer = sdp("subscribeOffer");
  ev.candidate = [engine](std::string peer, media::pc_kind pc, std::string cand,
                          unsigned mline) {
    caf::anon_send(engine, ice_atom::value, std::move(peer),
                   std::string{pc == media::pc_kind::publish ? "publish" : "subscribe"},
                   std::move(cand), static_cast<std::uint32_t>(mline));
  };
  ev.tracks_added = [engine](std::string peer, std::vector<media::track> tracks) {
    std::vector<std::string> ids, mids, kinds;
    for (auto& t : tracks) {
      ids.push_back(std::move(t.id));
      mids.push_back(std::move(t.mid));
      kinds.push_back(std::move(t.kind));
    }
    caf::anon_send(engine, tracks_atom::value, std::move(peer), true, std::move(ids),
                   std::move(mids), std::move(kinds));
  };
  ev.tracks_removed = [engine](std::string peer, std::vector<std::string> ids) {
    caf::anon_send(engine, tracks_atom::value, std::move(peer), false, std::move(ids),
                   std::vector<std::string>{}, std::vector<std::string>{});
  };
  ev.error = [engine](std::string peer, std::string reason, std::string message) {
    caf::anon_send(engine, merror_atom::value, std::move(peer), std::move(reason),
                   std::move(message));
  };
  return ev;
}

media::session_config session_config(const engine_state& st) {
  media::session_config c;
  c.ice.local_addresses = st.settings->ice_local_addresses;
  c.ice.min_port = st.settings->ice_min_port;
  c.ice.max_port = st.settings->ice_max_port;
  c.ice.stun_servers = st.settings->stun_servers;
  c.ice.turn_servers = st.settings->turn_servers;
  c.audio_only = st.type == room_type::audio;
  c.prefer_h264 = st.type == room_type::broadcast;
  c.playback_timing = st.type == room_type::broadcast;  // recorded as LL-HLS
  return c;
}

std::string random_token() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// The publisher of a broadcast room names the room's stream as soon as it is
// a member, so viewers who join before its media flows get the URL at once.
void name_stream(engine_state& st, const engine_peer& p) {
  if (st.type != room_type::broadcast || !st.hls_stream.empty() || p.info.role != "publisher")
    return;
  st.hls_publisher = p.info.id;
  st.hls_stream = p.info.id + "/" + st.hls_token;
  if (st.settings->hls_expect)
    st.settings->hls_expect(st.hls_stream);
}

std::string hls_url(const engine_state& st) {
  // Absolute when configured: in a cluster the files are on the room's node,
  // which need not be the node the viewer's socket is on.
  return st.settings->http_public_url + "/" + st.settings->hls_stage + "/live/" + st.hls_stream +
         "/playlist.m3u8";
}

// tracksAdded / tracksRemoved to every other peer in the media session.
void on_tracks(self_ptr self, const std::string& from, bool added, std::vector<std::string>& ids,
               std::vector<std::string>& mids, std::vector<std::string>& kinds) {
  auto it = self->state.peers.find(from);
  if (it == self->state.peers.end() || ids.empty())
    return;
  auto& p = it->second;
  std::string list;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!list.empty())
      list += ',';
    if (!added) {
      p.tracks.erase(ids[i]);
      list += json::quote(ids[i]);
      continue;
    }
    auto meta = p.track_metadata.find(mids[i]);
    auto track = R"({"kind":)" + json::quote(kinds[i]) + R"(,"metadata":)" +
                 (meta == p.track_metadata.end() ? std::string{"{}"} : meta->second) + "}";
    list += json::quote(ids[i]) + ":" + track;
    p.tracks[ids[i]] = std::move(track);
  }
  auto peer = R"({"peerId":)" + json::quote(from);
  if (added)
    send_others(self, from, "tracksAdded", peer + R"(,"tracks":{)" + list + "}}");
  else
    send_others(self, from, "tracksRemoved", peer + R"(,"trackIds":[)" + list + "]}");
}

// publishOffer {"sdp", "trackMetadata": {MID: object}}.
void on_publish_offer(self_ptr self, engine_peer& p, const std::string& data) {
  auto doc = json::parse(data, self->state.settings->max_json_depth);
  auto sdp = doc ? json::get_string(*doc, "sdp") : std::nullopt;
  if (!sdp)
    return send_error(self, p, "invalid_params", "publishOffer needs {\"sdp\": string}");
  if (auto* meta = json::get_object(*doc, "trackMetadata"))
    for (auto& m : meta->GetObject())
      p.track_metadata[m.name.GetString()] = json::to_string(m.value);
  self->state.media->publish_offer(p.info.id, std::string{*sdp});
}

// candidate {"pc", "candidate", "sdpMLineIndex", "sdpMid"}.
void on_candidate(self_ptr self, engine_peer& p, const std::string& data) {
  auto doc = json::parse(data, self->state.settings->max_json_depth);
  if (!doc)
    return send_error(self, p, "invalid_params", "candidate data is a JSON object");
  auto pc = json::get_string(*doc, "pc").value_or("");
  auto cand = json::get_string(*doc, "candidate");
  auto mline = json::get_int(*doc, "sdpMLineIndex").value_or(-1);
  if ((pc != "publish" && pc != "subscribe") || !cand || mline < 0 || mline > 1000)
    return send_error(self, p, "invalid_params",
                      "candidate needs pc, candidate and sdpMLineIndex");
  // The same answer as to the viewer's offer, for each of its candidates.
  if (pc == "publish" && p.info.role != "publisher")
    return send_error(self, p, "forbidden", "viewers cannot publish");
  if (cand->empty())
    return;  // end of candidates: libnice needs no word of it
  self->state.media->add_candidate(
    p.info.id, pc == "publish" ? media::pc_kind::publish : media::pc_kind::subscribe,
    std::string{*cand}, static_cast<unsigned>(mline));
}

// Adds what was forwarded since the last report to the node's counters; a
// room that ends takes its tracks out of the gauge.
void report_stats(engine_state& st, bool ending) {
  if (!st.media)
    return;
  auto now = st.media->get_stats();
  if (ending)
    now.tracks = now.elements = 0;
  auto& m = *st.settings->metrics;
  m.add("vr_forwarded_packets_total", static_cast<double>(now.forwarded_packets - st.reported.forwarded_packets));
  m.add("vr_forwarded_bytes_total", static_cast<double>(now.forwarded_bytes - st.reported.forwarded_bytes));
  m.add("vr_dropped_packets_total", static_cast<double>(now.dropped_packets - st.reported.dropped_packets));
  m.add("vr_tracks", static_cast<double>(now.tracks) - static_cast<double>(st.reported.tracks));
  m.add("vr_media_elements",
        static_cast<double>(now.elements) - static_cast<double>(st.reported.elements));
  st.reported = now;
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
                  st.settings->ice_servers_json +
                  (st.hls_stream.empty() ? "" : R"(,"hlsUrl":)" + json::quote(hls_url(st))) + "}";
  send_event(self, p, "peerAccepted", accepted);
  send_others(self, p.info.id, "peerJoined", R"({"peer":)" + peer_json(p) + "}");
  if (!st.media)
    return;
  if (st.type != room_type::broadcast) {
    st.media->add_peer(p.info.id);
  } else if (p.info.id == st.hls_publisher) {
    // Broadcast viewers watch over HLS: only the publisher has WebRTC state.
    st.media->add_peer(p.info.id);
    media::hls_output out;
    out.dir = st.settings->hls_dir / st.hls_stream;
    out.playlist = st.settings->hls_playlist;
    // Files leave a segment plus a playlist duration after they left it.
    out.expiry_grace = std::chrono::milliseconds(static_cast<long>(
      1000 * out.playlist.target_segment_s * (static_cast<double>(out.playlist.window_segments) + 2)));
    st.media->record_hls(p.info.id, std::move(out));
  }
}

void on_leave(self_ptr self, engine_peer& p) {
  if (!p.joined)
    return;
  p.joined = false;
  // The others hear of its tracks at once; the media's own removal event comes
  // later, for a peer that is gone by then.
  if (!p.tracks.empty()) {
    std::string ids;
    for (auto& [id, t] : p.tracks)
      ids += (ids.empty() ? "" : ",") + json::quote(id);
    send_others(self, p.info.id, "tracksRemoved",
                R"({"peerId":)" + json::quote(p.info.id) + R"(,"trackIds":[)" + ids + "]}");
  }
  p.tracks.clear();
  p.track_metadata.clear();
  if (self->state.media)
    self->state.media->remove_peer(p.info.id);
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
  if (type == "publishOffer" || type == "subscribeAnswer" || type == "candidate") {
    if (!st.media)
      return send_error(self, p, "forbidden", "call rooms carry media browser to browser");
    if (type == "candidate")
      return on_candidate(self, p, data);
    if (type == "publishOffer") {
      if (p.info.role != "publisher")
        return send_error(self, p, "forbidden", "viewers cannot publish");
      return on_publish_offer(self, p, data);
    }
    auto doc = json::parse(data, st.settings->max_json_depth);
    auto sdp = doc ? json::get_string(*doc, "sdp") : std::nullopt;
    if (!sdp)
      return send_error(self, p, "invalid_params", "subscribeAnswer needs {\"sdp\": string}");
    st.media->subscribe_answer(from, std::string{*sdp});
    return;
  }
  send_error(self, p, "unknown_event", "unknown media event type");
}

}  // namespace

engine_state::~engine_state() {
  report_stats(*this, true);
  media.reset();  // the recording's last snapshot (ENDLIST) goes out here
  // A stream that never got media: viewers waiting for it are told it is gone.
  if (!hls_stream.empty() && !hls_started->load() && settings->hls_forget)
    settings->hls_forget(hls_stream);
}

caf::behavior engine_actor(self_ptr self, std::string room_id, room_type type,
                           settings_ptr settings) {
  auto& st = self->state;
  st.room_id = std::move(room_id);
  st.type = type;
  st.settings = std::move(settings);
  st.hls_token = random_token();
  if (type != room_type::call) {
    st.media = std::make_unique<media::session>(session_config(st), session_events(self, st));
    self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
  }
  return {
    [self](add_peer_atom, peer_info& info, caf::actor& channel) {
      auto& p = self->state.peers[info.id];
      p.info = std::move(info);
      p.channel = std::move(channel);
      name_stream(self->state, p);
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
    [self](sdp_atom, const std::string& peer, const std::string& type, const std::string& sdp,
           const std::string& mids) {
      auto it = self->state.peers.find(peer);
      if (it != self->state.peers.end() && it->second.joined)
        send_event(self, it->second, type,
                   R"({"sdp":)" + json::quote(sdp) + R"(,"midToTrackId":)" + mids + "}");
    },
    [self](ice_atom, const std::string& peer, const std::string& pc, const std::string& cand,
           std::uint32_t mline) {
      auto it = self->state.peers.find(peer);
      if (it != self->state.peers.end() && it->second.joined)
        send_event(self, it->second, "candidate",
                   R"({"pc":)" + json::quote(pc) + R"(,"candidate":)" + json::quote(cand) +
                     R"(,"sdpMLineIndex":)" + std::to_string(mline) + R"(,"sdpMid":null})");
    },
    [self](tracks_atom, const std::string& peer, bool added, std::vector<std::string>& ids,
           std::vector<std::string>& mids, std::vector<std::string>& kinds) {
      on_tracks(self, peer, added, ids, mids, kinds);
    },
    [self](merror_atom, const std::string& peer, const std::string& reason,
           const std::string& message) {
      auto it = self->state.peers.find(peer);
      if (it != self->state.peers.end())
        send_error(self, it->second, reason, message);
    },
    [self](tick_atom) {
      report_stats(self->state, false);
      self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
    },
    [self](media_atom, const std::string& from, const std::string& type,
           const std::string& data) { on_media(self, from, type, data); },
  };
}

}  // namespace vr
