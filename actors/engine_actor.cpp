#include "actors/engine_actor.hpp"

#include "actors/messages.hpp"
#include "media/recording/manifest.hpp"
#include "media/session.hpp"
#include "signaling/metrics.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>

namespace vr {

namespace {

struct engine_peer {
  peer_info info;
  channel_api channel;
  bool joined = false;  // sent the `join` media event
  proto::raw_json metadata;
  proto::track_map tracks;
  std::map<std::string, proto::raw_json> track_metadata;  // mid → metadata of the last publishOffer
};

struct engine_state {
  std::string room_id;
  room_type type = room_type::group;
  settings_ptr settings;
  std::optional<std::string> owner;
  std::map<std::string, engine_peer> peers;  // this node's peers
  // A cascaded room: the engines of its other nodes, and the peers in their
  // media sessions as they last described them (for peersInRoom).
  std::vector<engine_api> mesh;
  std::set<caf::actor_addr> watched;  // every engine ever in the mesh
  // Node-to-node media, keyed by the other engine's node (node_key): the port
  // and key of the receiver opened for its tracks, and who asked for ours.
  struct relay_in {
    std::uint16_t port = 0;
    std::vector<std::uint8_t> key;
  };
  std::map<std::string, relay_in> relays_in;
  std::map<std::string, engine_api> relays_out;
  struct remote_peer {
    proto::peer_desc desc;
    caf::actor_addr engine;  // the engine of its node
  };
  std::map<std::string, remote_peer> remote;
  bool started = false;   // the media session exists (or, in call rooms, never will)
  registry_api registry;  // a node engine's; null for a room's own engine
  std::uint64_t peers_seen = 0;
  // The room's pipeline; none in call rooms, whose media goes browser to browser.
  // Its teardown waits for the media thread, which is why the engine is a
  // detached actor: the wait never holds a scheduler thread.
  std::unique_ptr<media::session> media;
  media::session::stats reported;  // what the metrics were last told
  // Broadcast rooms: the publisher recorded as LL-HLS, its stream "PUB/TOKEN"
  // (TOKEN random per room, so URLs cannot be guessed from peer ids alone).
  std::string hls_token, hls_publisher, hls_stream;
  std::optional<std::string> remote_hls_url;  // the publisher is on another node
  // Broadcast viewers whose `join` came before the URL crossed the mesh: they
  // are accepted once it arrives (or after hls_wait without it).
  std::map<std::string, proto::media_join> awaiting_hls;
  std::shared_ptr<std::atomic<bool>> hls_started = std::make_shared<std::atomic<bool>>(false);
  static inline const char* name = "engine_actor";

  engine_state() = default;
  engine_state(const engine_state&) = delete;
  engine_state& operator=(const engine_state&) = delete;
  // Reports the last forwarding figures, then tears the pipeline down.
  ~engine_state();
};

using self_ptr = engine_api::stateful_pointer<engine_state>;

void send_event(self_ptr self, const engine_peer& to, proto::server_media_event ev) {
  self->send(to.channel, push{std::move(ev)});
}

// To every other peer of this node inside the media session.
void send_local(self_ptr self, const std::string& except, const proto::server_media_event& ev) {
  for (auto& [id, p] : self->state.peers)
    if (id != except && p.joined)
      send_event(self, p, ev);
}

// To every other peer inside the media session, on this node and the others.
void send_others(self_ptr self, const std::string& except, const proto::server_media_event& ev) {
  send_local(self, except, ev);
  for (auto& engine : self->state.mesh)
    self->send(engine, mesh_event{ev});
}

void send_error(self_ptr self, const engine_peer& to, std::string reason, std::string message) {
  send_event(self, to, proto::media_error{std::move(reason), std::move(message)});
}

proto::peer_desc describe(const engine_peer& p) {
  return {p.info.id, p.metadata, p.info.role, p.tracks};
}

proto::track_kind track_kind_of(const std::string& kind) {
  return kind == "video" ? proto::track_kind::video : proto::track_kind::audio;
}

// GStreamer threads may only send messages: every event becomes one. HLS
// snapshots are the exception: they go straight to the thread-safe HTTP side
// (no actor hop on the latency path, and the last one still arrives while the
// engine is being destroyed).
media::session_events session_events(engine_api engine, const engine_state& st) {
  media::session_events ev;
  if (st.settings->hls_update)
    ev.hls_update = [update = st.settings->hls_update, started = st.hls_started,
                     token = st.hls_token](std::string peer,
                                           std::shared_ptr<const media::hls::snapshot> snap) {
      started->store(true);
      update(peer + "/" + token, std::move(snap));
    };
  auto sdp = [engine](proto::sdp_kind kind) {
    return [engine, kind](std::string peer, std::string sdp,
                          std::map<std::string, std::string> mid_to_track) {
      caf::anon_send(engine,
                     session_sdp{std::move(peer), {kind, std::move(sdp), std::move(mid_to_track)}});
    };
  };
  ev.publish_answer = sdp(proto::sdp_kind::publish_answer);
  ev.subscribe_offer = sdp(proto::sdp_kind::subscribe_offer);
  ev.candidate = [engine](std::string peer, media::pc_kind pc, std::string cand, unsigned mline) {
    auto kind = pc == media::pc_kind::publish ? proto::pc_kind::publish : proto::pc_kind::subscribe;
    caf::anon_send(
      engine, session_candidate{std::move(peer), {kind, std::move(cand), mline, std::nullopt}});
  };
  ev.tracks_added = [engine](std::string peer, std::vector<media::track> tracks) {
    std::vector<session_track> out;
    for (auto& t : tracks)
      out.push_back({std::move(t.id), std::move(t.mid), track_kind_of(t.kind)});
    caf::anon_send(engine, session_tracks_added{std::move(peer), std::move(out)});
  };
  ev.tracks_removed = [engine](std::string peer, std::vector<std::string> ids) {
    caf::anon_send(engine, session_tracks_removed{std::move(peer), std::move(ids)});
  };
  ev.voice_activity = [engine](std::string peer, std::string track_id, bool speech) {
    caf::anon_send(engine, session_vad{std::move(peer), {std::move(track_id), speech}});
  };
  ev.variant_switched = [engine](std::string peer, std::string track_id, std::string variant) {
    std::string publisher = track_id.substr(0, track_id.rfind(':'));
    caf::anon_send(
      engine, session_variant_switched{
                std::move(peer), {std::move(publisher), std::move(track_id), std::move(variant)}});
  };
  ev.relay_streams = [engine](std::string node, std::vector<media::relay_stream> streams) {
    caf::anon_send(engine, session_relay_streams{std::move(node), std::move(streams)});
  };
  ev.variant_availability = [engine](std::string peer, std::string track_id, std::string variant,
                                     bool enabled) {
    std::string publisher = track_id.substr(0, track_id.rfind(':'));
    caf::anon_send(engine, session_variant_availability{std::move(peer),
                                                        {enabled, std::move(publisher),
                                                         std::move(track_id), std::move(variant)}});
  };
  ev.error = [engine](std::string peer, std::string reason, std::string message) {
    caf::anon_send(engine, session_error{std::move(peer), {std::move(reason), std::move(message)}});
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
  // Group rooms only: broadcast rooms record one H264 stream as HLS, audio
  // rooms have no video, calls have one viewer per track.
  c.simulcast = st.settings->simulcast && st.type == room_type::group;
  c.voice = {static_cast<std::uint8_t>(st.settings->vad_threshold_dbov),
             st.settings->vad_speech_after, st.settings->vad_silence_after};
  return c;
}

std::string random_token() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// The media session, once the room's type is known (call rooms have none).
void start(self_ptr self, room_type type) {
  auto& st = self->state;
  if (st.started)
    return;
  st.started = true;
  st.type = type;
  if (type != room_type::call) {
    st.media = std::make_unique<media::session>(session_config(st), session_events(self, st));
    self->delayed_send(self, std::chrono::seconds(1), stats_tick{});
  }
}

// The publisher of a broadcast room names the room's stream as soon as it is
// a member, so viewers who join before its media flows get the URL at once.
void name_stream(engine_state& st, const engine_peer& p) {
  if (st.type != room_type::broadcast || !st.hls_stream.empty() ||
      p.info.role != peer_role::publisher)
    return;
  st.hls_publisher = p.info.id;
  st.hls_stream = p.info.id + "/" + st.hls_token;
  if (st.settings->hls_expect)
    st.settings->hls_expect(st.hls_stream);
}

std::optional<std::string> hls_url(const engine_state& st) {
  if (st.hls_stream.empty())
    return st.remote_hls_url;
  // Absolute when configured: in a cluster the files are on the room's node,
  // which need not be the node the viewer's socket is on.
  return st.settings->http_public_url + "/" + st.settings->hls_stage + "/live/" + st.hls_stream +
         "/playlist.m3u8";
}

// A directory per recording: ROOM-UTCTIME (milliseconds: a restart within
// the same second gets its own). The media thread creates it.
media::recording_output recording_output(const engine_state& st) {
  std::string room;
  for (char c : st.room_id)
    room += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  char millis[8];
  std::snprintf(millis, sizeof millis, "%03d", static_cast<int>(ms % 1000));
  auto stamp = media::recording::utc_compact(now);
  stamp.insert(stamp.size() - 1, std::string(".") + millis);  // before the Z
  return {st.settings->recording_dir / (room + "-" + stamp), st.room_id};
}

// tracksAdded to every other peer in the media session.
void on_tracks_added(self_ptr self, session_tracks_added& m) {
  auto it = self->state.peers.find(m.peer_id);
  if (it == self->state.peers.end() || m.tracks.empty())
    return;
  auto& p = it->second;
  proto::tracks_added added{m.peer_id, {}};
  for (auto& t : m.tracks) {
    auto meta = p.track_metadata.find(t.mid);
    proto::track_info info{t.kind,
                           meta == p.track_metadata.end() ? proto::raw_json{} : meta->second};
    added.tracks[t.id] = info;
    p.tracks[t.id] = std::move(info);
  }
  send_others(self, m.peer_id, added);
}

void on_tracks_removed(self_ptr self, session_tracks_removed& m) {
  auto it = self->state.peers.find(m.peer_id);
  if (it == self->state.peers.end() || m.track_ids.empty())
    return;
  for (auto& id : m.track_ids)
    it->second.tracks.erase(id);
  send_others(self, m.peer_id, proto::tracks_removed{m.peer_id, std::move(m.track_ids)});
}

// Adds what was forwarded since the last report to the node's counters; a
// room that ends takes its tracks out of the gauge.
void report_stats(engine_state& st, bool ending) {
  if (!st.media)
    return;
  auto now = st.media->get_stats();
  if (ending)
    now.tracks = now.elements = now.recording_tracks = now.relayed_tracks_in =
      now.relayed_tracks_out = 0;
  auto& m = *st.settings->metrics;
  auto delta = [](auto a, auto b) { return static_cast<double>(a) - static_cast<double>(b); };
  m.add("vr_forwarded_packets_total", delta(now.forwarded_packets, st.reported.forwarded_packets));
  m.add("vr_forwarded_bytes_total", delta(now.forwarded_bytes, st.reported.forwarded_bytes));
  m.add("vr_dropped_packets_total", delta(now.dropped_packets, st.reported.dropped_packets));
  m.add("vr_tracks", delta(now.tracks, st.reported.tracks));
  m.add("vr_recording_tracks", delta(now.recording_tracks, st.reported.recording_tracks));
  m.add("vr_media_elements", delta(now.elements, st.reported.elements));
  m.add("vr_relayed_tracks_out", delta(now.relayed_tracks_out, st.reported.relayed_tracks_out));
  m.add("vr_relayed_tracks_in", delta(now.relayed_tracks_in, st.reported.relayed_tracks_in));
  m.add("vr_relay_bytes_out_total", delta(now.relay_bytes_out, st.reported.relay_bytes_out));
  m.add("vr_relay_bytes_in_total", delta(now.relay_bytes_in, st.reported.relay_bytes_in));
  st.reported = now;
}

// How long a broadcast viewer's join waits for the URL from the publisher's node.
constexpr auto hls_wait = std::chrono::seconds(1);

// `may_wait`: false once a viewer has waited for the URL.
void on_join(self_ptr self, engine_peer& p, const proto::media_join& j, bool may_wait = true) {
  auto& st = self->state;
  if (may_wait && st.type == room_type::broadcast && p.info.role == peer_role::viewer &&
      !hls_url(st) && !st.mesh.empty() && !st.awaiting_hls.count(p.info.id)) {
    if (st.awaiting_hls.empty())
      self->delayed_send(self, hls_wait, hls_wait_over{});
    st.awaiting_hls.emplace(p.info.id, j);
    return;
  }
  p.metadata = j.metadata;
  p.joined = true;
  auto ice_servers = peer_ice_servers(*st.settings, p.info.id);  // TURN credentials per peer
  proto::peer_accepted accepted{
    p.info.id, p.info.role, st.type, st.owner, {}, std::move(ice_servers), hls_url(st)};
  accepted.simulcast = st.media && session_config(st).simulcast;
  for (auto& [id, other] : st.peers)
    if (id != p.info.id && other.joined)
      accepted.peers_in_room.push_back(describe(other));
  for (auto& [id, other] : st.remote)
    accepted.peers_in_room.push_back(other.desc);
  send_event(self, p, std::move(accepted));
  send_others(self, p.info.id, proto::peer_joined{describe(p)});
  if (!st.media)
    return;
  if (st.type != room_type::broadcast) {
    st.media->add_peer(p.info.id, p.info.display_name);
  } else if (p.info.id == st.hls_publisher) {
    // Broadcast viewers watch over HLS: only the publisher has WebRTC state.
    st.media->add_peer(p.info.id);
    media::hls_output out;
    out.dir = st.settings->hls_dir / st.hls_stream;
    out.playlist = st.settings->hls_playlist;
    // Files leave a segment plus a playlist duration after they left it.
    out.expiry_grace = std::chrono::milliseconds(
      static_cast<long>(1000 * out.playlist.target_segment_s *
                        (static_cast<double>(out.playlist.window_segments) + 2)));
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
    proto::tracks_removed removed{p.info.id, {}};
    for (auto& [id, t] : p.tracks)
      removed.track_ids.push_back(id);
    send_others(self, p.info.id, removed);
  }
  p.tracks.clear();
  p.track_metadata.clear();
  if (self->state.media)
    self->state.media->remove_peer(p.info.id);
  send_others(self, p.info.id, proto::peer_left{p.info.id});
}

media::pc_kind media_pc(proto::pc_kind pc) {
  return pc == proto::pc_kind::publish ? media::pc_kind::publish : media::pc_kind::subscribe;
}

// The media events of a peer in the session, once `join` was checked.
struct media_handler {
  self_ptr self;
  engine_peer& p;

  engine_state& st() const { return self->state; }

  void operator()(proto::media_join&) const {}  // handled before (already_joined)
  void operator()(proto::media_leave&) const { on_leave(self, p); }
  void operator()(proto::update_peer_metadata& m) const {
    p.metadata = std::move(m.metadata);
    send_others(self, p.info.id, proto::peer_updated{p.info.id, p.metadata});
  }
  // Only the owner of a track may change its metadata; what is stored is what
  // later joiners see (peersInRoom) and the others hear now (trackUpdated).
  void operator()(proto::update_track_metadata& m) const {
    auto it = p.tracks.find(m.track_id);
    if (it == p.tracks.end()) {
      for (auto& [id, other] : st().peers)
        if (id != p.info.id && other.tracks.count(m.track_id) != 0)
          return send_error(self, p, "forbidden", "only its publisher updates a track");
      for (auto& [id, other] : st().remote)
        if (other.desc.tracks.count(m.track_id) != 0)
          return send_error(self, p, "forbidden", "only its publisher updates a track");
      return send_error(self, p, "invalid_params", "no such track");
    }
    it->second.metadata = std::move(m.metadata);
    send_others(self, p.info.id, proto::track_updated{p.info.id, m.track_id, it->second.metadata});
  }
  void operator()(proto::publish_offer& o) const {
    for (auto& [mid, meta] : o.track_metadata)
      p.track_metadata[mid] = std::move(meta);
    st().media->publish_offer(p.info.id, std::move(o.sdp));
  }
  void operator()(proto::subscribe_answer& a) const {
    st().media->subscribe_answer(p.info.id, std::move(a.sdp));
  }
  void operator()(proto::ice_candidate& c) const {
    // The same answer as to the viewer's offer, for each of its candidates.
    if (c.pc == proto::pc_kind::publish && p.info.role != peer_role::publisher)
      return send_error(self, p, "forbidden", "viewers cannot publish");
    if (c.candidate.empty())
      return;  // end of candidates: libnice needs no word of it
    st().media->add_candidate(p.info.id, media_pc(c.pc), std::move(c.candidate), c.sdp_mline_index);
  }
  void operator()(proto::relay_request&) const {}  // the room handles relay
  void operator()(proto::set_target_track_variant& t) const {
    for (auto& [id, other] : st().peers)
      if (id != p.info.id && other.tracks.contains(t.track_id))
        return st().media->set_target_variant(p.info.id, t.track_id, t.variant);
    for (auto& [id, other] : st().remote)
      if (other.desc.tracks.contains(t.track_id))
        return st().media->set_target_variant(p.info.id, t.track_id, t.variant);
    send_error(self, p, "invalid_params", "no such remote track");
  }
  void operator()(proto::invalid_media_event& e) const {
    send_error(self, p, "invalid_params", std::move(e.message));
  }
  void operator()(proto::unknown_media_event&) const {
    send_error(self, p, "unknown_event", "unknown media event type");
  }
};

// The checks come in the order clients have always seen: in the session at
// all, media in this room type, the peer's role, then the event's own data.
void on_media(self_ptr self, peer_media& m) {
  auto& st = self->state;
  auto it = st.peers.find(m.peer_id);
  if (it == st.peers.end())
    return;
  auto& p = it->second;
  auto kind = proto::kind_of(m.event);
  if (kind == proto::media_kind::join) {
    if (p.joined)
      return send_error(self, p, "already_joined", "this peer is in the media session");
    if (auto* bad = std::get_if<proto::invalid_media_event>(&m.event))
      return send_error(self, p, "invalid_params", bad->message);
    return on_join(self, p, std::get<proto::media_join>(m.event));
  }
  if (!p.joined)
    return send_error(self, p, "not_joined", "send the join media event first");
  using k = proto::media_kind;
  if (kind == k::publish_offer || kind == k::subscribe_answer || kind == k::candidate ||
      kind == k::set_target_track_variant) {
    if (!st.media)
      return send_error(self, p, "forbidden", "call rooms carry media browser to browser");
    if (kind == k::publish_offer && p.info.role != peer_role::publisher)
      return send_error(self, p, "forbidden", "viewers cannot publish");
  }
  std::visit(media_handler{self, p}, m.event);
}

// The name a session knows another node's engine by (its relay links).
std::string node_key(const caf::actor_addr& engine) { return caf::to_string(engine.node()); }

// Asks the engine of `origin`'s node to send these tracks here: once per
// track, however many of this node's peers subscribe (the session forwards a
// relayed track to each of them like a local one).
void want_tracks(self_ptr self, const engine_api& origin, std::vector<std::string> track_ids) {
  auto& st = self->state;
  if (!st.media || track_ids.empty())
    return;
  auto key = node_key(origin.address());
  auto it = st.relays_in.find(key);
  if (it == st.relays_in.end()) {
    auto& s = *st.settings;
    media::relay_listen listen{
      s.media_address, s.media_min_port, s.media_max_port, s.media_encryption, {}};
    if (listen.encryption)
      listen.key = media::random_relay_key();
    auto port = st.media->open_relay_receiver(key, listen);
    if (port == 0) {
      std::fprintf(stderr, "videoroom: no free cluster.media port for room %s\n",
                   st.room_id.c_str());
      return;
    }
    it = st.relays_in.emplace(key, engine_state::relay_in{port, listen.key}).first;
  }
  auto& s = *st.settings;
  self->send(origin, relay_request{s.media_address, it->second.port, s.media_encryption,
                                   it->second.key, std::move(track_ids)});
}

std::vector<std::string> track_ids(const proto::track_map& tracks) {
  std::vector<std::string> ids;
  for (auto& [id, t] : tracks)
    ids.push_back(id);
  return ids;
}

// Another node's engine asks for tracks of this node's publishers.
void on_relay_request(self_ptr self, relay_request& r) {
  auto& st = self->state;
  if (!st.media)
    return;
  auto asker = caf::actor_cast<engine_api>(self->current_sender());
  auto key = node_key(asker.address());
  st.relays_out[key] = asker;
  auto& s = *st.settings;
  media::relay_target target{
    s.media_address, s.media_min_port, s.media_max_port, r.address, r.port, r.encryption, r.key};
  for (auto& id : r.track_ids)
    st.media->relay_track_to(key, id, target);
}

// Keeps the directory of another node's peers as its events describe them.
struct remote_directory {
  std::map<std::string, engine_state::remote_peer>& remote;
  const caf::actor_addr& from;

  proto::peer_desc* find(const std::string& id) const {
    auto it = remote.find(id);
    return it == remote.end() ? nullptr : &it->second.desc;
  }
  void operator()(const proto::peer_joined& e) const { remote[e.peer.id] = {e.peer, from}; }
  void operator()(const proto::peer_left& e) const { remote.erase(e.peer_id); }
  void operator()(const proto::peer_updated& e) const {
    if (auto* p = find(e.peer_id))
      p->metadata = e.metadata;
  }
  void operator()(const proto::tracks_added& e) const {
    if (auto* p = find(e.peer_id))
      for (auto& [id, t] : e.tracks)
        p->tracks[id] = t;
  }
  void operator()(const proto::tracks_removed& e) const {
    if (auto* p = find(e.peer_id))
      for (auto& id : e.track_ids)
        p->tracks.erase(id);
  }
  void operator()(const proto::track_updated& e) const {
    if (auto* p = find(e.peer_id))
      if (auto t = p->tracks.find(e.track_id); t != p->tracks.end())
        t->second.metadata = e.metadata;
  }
  void operator()(const auto&) const {}  // vadNotification: nothing to keep
};

// Another node's engine tells of its peers: its directory entry and this
// node's peers follow.
void on_mesh_event(self_ptr self, mesh_event& m) {
  auto from = caf::actor_cast<caf::actor_addr>(self->current_sender());
  // Known already (a room made anew tells the engines of each other again).
  if (auto* j = std::get_if<proto::peer_joined>(&m.event);
      j && self->state.remote.count(j->peer.id))
    return;
  std::visit(remote_directory{self->state.remote, from}, m.event);
  auto origin = caf::actor_cast<engine_api>(self->current_sender());
  if (auto* j = std::get_if<proto::peer_joined>(&m.event))
    want_tracks(self, origin, track_ids(j->peer.tracks));
  else if (auto* a = std::get_if<proto::tracks_added>(&m.event))
    want_tracks(self, origin, track_ids(a->tracks));
  else if (auto* r = std::get_if<proto::tracks_removed>(&m.event); r && self->state.media)
    self->state.media->remove_relayed_tracks(node_key(from), r->track_ids);
  send_local(self, {}, m.event);
}

// The room's engines changed. The new ones hear of this node's peers as if
// they had just joined, and are watched: when one ends (its node lost), its
// peers leave here. An engine only missing from the list (its last peer left
// and said so; a room made anew that has not heard of it yet) is no loss.
void on_mesh(self_ptr self, engine_mesh& m) {
  auto& st = self->state;
  for (auto& engine : m.others) {
    if (!st.watched.insert(engine.address()).second)
      continue;
    self->monitor(engine);
    for (auto& [id, p] : st.peers)
      if (p.joined)
        self->send(engine, mesh_event{proto::peer_joined{describe(p)}});
    if (!st.hls_stream.empty())
      self->send(engine, mesh_hls{*hls_url(st)});
  }
  st.mesh = std::move(m.others);
}

// Another node's engine ended: its peers are gone, with their tracks.
void on_engine_down(self_ptr self, const caf::actor_addr& engine) {
  auto& st = self->state;
  std::erase_if(st.mesh, [&](auto& e) { return e.address() == engine; });
  st.watched.erase(engine);
  auto key = node_key(engine);
  if (st.media) {
    if (st.relays_in.erase(key) != 0)
      st.media->close_relay_receiver(key);
    if (st.relays_out.erase(key) != 0)
      st.media->close_relay_sender(key);
  }
  for (auto it = st.remote.begin(); it != st.remote.end();) {
    if (it->second.engine != engine) {
      ++it;
      continue;
    }
    auto& desc = it->second.desc;
    if (!desc.tracks.empty()) {
      proto::tracks_removed removed{desc.id, {}};
      for (auto& [id, t] : desc.tracks)
        removed.track_ids.push_back(id);
      send_local(self, {}, removed);
    }
    send_local(self, {}, proto::peer_left{desc.id});
    it = st.remote.erase(it);
  }
}

// The broadcast viewers that waited for the URL (their join answered now).
void accept_awaiting(self_ptr self) {
  auto waiting = std::exchange(self->state.awaiting_hls, {});
  for (auto& [id, j] : waiting)
    if (auto it = self->state.peers.find(id); it != self->state.peers.end() && !it->second.joined)
      on_join(self, it->second, j, false);
}

// A node engine with no peer tells its registry, which ends it unless a join
// is on its way here.
void maybe_idle(self_ptr self) {
  auto& st = self->state;
  if (st.peers.empty() && st.registry)
    self->send(st.registry, engine_idle{st.room_id, st.peers_seen});
}

engine_api::behavior_type engine_actor(self_ptr self, std::string room_id,
                                       std::optional<room_type> type, registry_api registry,
                                       settings_ptr settings) {
  auto& st = self->state;
  st.room_id = std::move(room_id);
  st.registry = std::move(registry);
  st.settings = std::move(settings);
  st.hls_token = random_token();
  if (type)
    start(self, *type);
  self->set_down_handler([self](caf::down_msg& dm) { on_engine_down(self, dm.source); });
  auto find_joined = [self](const std::string& id) -> engine_peer* {
    auto it = self->state.peers.find(id);
    return it != self->state.peers.end() && it->second.joined ? &it->second : nullptr;
  };
  return {
    [self](add_peer& m) {
      start(self, m.type);
      ++self->state.peers_seen;
      auto& p = self->state.peers[m.info.id];
      p.info = std::move(m.info);
      p.channel = std::move(m.channel);
      bool named = self->state.hls_stream.empty();
      name_stream(self->state, p);
      if (named && !self->state.hls_stream.empty())
        for (auto& engine : self->state.mesh)
          self->send(engine, mesh_hls{*hls_url(self->state)});
    },
    [self](const remove_peer& m) {
      auto& peers = self->state.peers;
      auto it = peers.find(m.peer_id);
      if (it == peers.end())
        return;
      on_leave(self, it->second);
      peers.erase(it);
      maybe_idle(self);
    },
    [self](join_refused&) {
      ++self->state.peers_seen;
      maybe_idle(self);
    },
    [self](const set_role& m) {
      if (auto it = self->state.peers.find(m.peer_id); it != self->state.peers.end())
        it->second.info.role = m.role;
    },
    [self](set_owner& m) { self->state.owner = std::move(m.owner_id); },
    [self](peer_media& m) { on_media(self, m); },
    [self, find_joined](session_sdp& m) {
      if (auto* p = find_joined(m.peer_id))
        send_event(self, *p, std::move(m.sdp));
    },
    [self, find_joined](session_candidate& m) {
      if (auto* p = find_joined(m.peer_id))
        send_event(self, *p, std::move(m.candidate));
    },
    [self](session_tracks_added& m) { on_tracks_added(self, m); },
    [self](session_tracks_removed& m) { on_tracks_removed(self, m); },
    [self](session_error& m) {
      auto it = self->state.peers.find(m.peer_id);
      if (it != self->state.peers.end())
        send_event(self, it->second, std::move(m.error));
    },
    [self](start_recording&) {
      if (self->state.media)
        self->state.media->start_recording(recording_output(self->state));
    },
    [self](stop_recording&) {
      if (self->state.media)
        self->state.media->stop_recording();
    },
    [self](session_vad& m) {
      // Everyone in the media session hears who speaks, the speaker too (its
      // own tile lights up as the others see it).
      auto& st = self->state;
      auto speaker = st.peers.find(m.peer_id);
      if (speaker == st.peers.end() || !speaker->second.tracks.count(m.vad.track_id))
        return;  // its tracks were removed meanwhile
      send_others(self, {}, m.vad);
      st.settings->metrics->add("vr_vad_notifications_total", 1);
    },
    [self](session_variant_switched& m) {
      auto& st = self->state;
      auto to = st.peers.find(m.peer_id);
      if (to != st.peers.end() && to->second.joined)
        send_event(self, to->second, std::move(m.switched));
    },
    [self](engine_mesh& m) { on_mesh(self, m); },
    [self](mesh_event& m) { on_mesh_event(self, m); },
    [self](mesh_hls& m) {
      self->state.remote_hls_url = std::move(m.url);
      accept_awaiting(self);
    },
    [self](hls_wait_over&) { accept_awaiting(self); },
    [self](relay_request& r) { on_relay_request(self, r); },
    [self](relay_offer& o) {
      auto& st = self->state;
      if (st.media)
        st.media->add_relayed_streams(
          node_key(caf::actor_cast<caf::actor_addr>(self->current_sender())), std::move(o.streams));
    },
    [self](session_relay_streams& m) {
      auto& out = self->state.relays_out;
      if (auto it = out.find(m.node); it != out.end())
        self->send(it->second, relay_offer{std::move(m.streams)});
    },
    [self](session_variant_availability& m) {
      auto& st = self->state;
      auto to = st.peers.find(m.peer_id);
      if (to != st.peers.end() && to->second.joined)
        send_event(self, to->second, std::move(m.availability));
    },
    [self](stats_tick&) {
      report_stats(self->state, false);
      self->delayed_send(self, std::chrono::seconds(1), stats_tick{});
    },
  };
}

engine_state::~engine_state() {
  report_stats(*this, true);
  media.reset();  // the recording's last snapshot (ENDLIST) goes out here
  // A stream that never got media: viewers waiting for it are told it is gone.
  if (!hls_stream.empty() && !hls_started->load() && settings->hls_forget)
    settings->hls_forget(hls_stream);
}

// Linked to `parent` (its room or its node's registry); detached when settings
// say so.
engine_api spawn_linked(caf::local_actor& parent, std::string room_id,
                        std::optional<room_type> type, registry_api registry,
                        settings_ptr settings) {
  if (settings->detach_engines)
    return parent.spawn<caf::linked + caf::detached>(engine_actor, std::move(room_id), type,
                                                     std::move(registry), std::move(settings));
  return parent.spawn<caf::linked>(engine_actor, std::move(room_id), type, std::move(registry),
                                   std::move(settings));
}

}  // namespace

engine_api spawn_engine(caf::local_actor& room, std::string room_id, room_type type,
                        settings_ptr settings) {
  return spawn_linked(room, std::move(room_id), type, {}, std::move(settings));
}

engine_api spawn_node_engine(caf::local_actor& parent, registry_api registry, std::string room_id,
                             settings_ptr settings) {
  return spawn_linked(parent, std::move(room_id), std::nullopt, std::move(registry),
                      std::move(settings));
}

}  // namespace vr
