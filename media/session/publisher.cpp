// The publisher side of a media::session: the browser offers on its publish
// connection and webrtcbin answers, one renegotiation at a time; each incoming
// stream gets a source (a tee) and is announced once accepted and flowing.
// State and threading: session/impl.hpp.
#include "media/session/impl.hpp"

#include "media/runtime.hpp"

#include <algorithm>

namespace vr::media {

void session::impl::publish_offer(const std::string& id, std::string text) {
  peer* p = find(id);
  if (!p)
    return emit_error(id, "unknown_peer", "publish_offer before add_peer");
  p->queued_offers.push_back(std::move(text));
  next_publish(*p);
}

// Publish renegotiations run one at a time, in order.
void session::impl::next_publish(peer& p) {
  if (p.publish_busy || p.queued_offers.empty())
    return;
  std::string text = std::move(p.queued_offers.front());
  p.queued_offers.pop_front();

  sdp_ptr offer = parse_sdp(text);
  if (!offer)
    return emit_error(p.id, "invalid_sdp", "publish offer is not SDP"), next_publish(p);
  auto plan = sdp::plan_publish_offer(*offer, {cfg.audio_only, cfg.prefer_h264, cfg.simulcast});
  if (!plan)
    return emit_error(p.id, "invalid_sdp", "publish offer has an m-line without mid"),
           next_publish(p);
  for (const auto& ml : plan->mlines)
    if (ml.sending && ml.refusal != "" && ml.refusal != "audio_only")
      emit_error(p.id, ml.refusal, "m-line " + ml.mid + " (" + ml.kind + ") is not received");

  if (!p.pub)
    p.pub = make_publish_connection(p);
  p.publish_busy = true;
  auto plan_holder = std::make_shared<sdp::publish_plan>(std::move(*plan));
  std::string pid = p.id;
  std::uint64_t serial = p.serial;
  auto self = shared_from_this();
  p.pub->set_remote(GST_WEBRTC_SDP_TYPE_OFFER, *plan_holder->for_webrtcbin, [=](std::string err) {
    peer* q = self->find(pid, serial);
    if (!q)
      return;
    if (!err.empty())
      return self->publish_failed(*q, "set remote offer: " + err);
    q->pub->create_answer([=](sdp_ptr answer, std::string err) {
      peer* q = self->find(pid, serial);
      if (!q)
        return;
      if (!answer)
        return self->publish_failed(*q, "create answer: " + err);
      // Congestion feedback to simulcast publishers (they pick their layers
      // by it); off with simulcast off, like the rest of simulcast.
      if (self->cfg.simulcast)
        sdp::accept_transport_cc(*answer, *plan_holder);
      auto answer_holder = std::make_shared<sdp_ptr>(std::move(answer));
      q->pub->set_local(GST_WEBRTC_SDP_TYPE_ANSWER, **answer_holder, [=](std::string err) {
        peer* q = self->find(pid, serial);
        if (!q)
          return;
        if (!err.empty())
          return self->publish_failed(*q, "set local answer: " + err);
        self->publish_done(*q, **answer_holder, *plan_holder);
      });
    });
  });
}

void session::impl::publish_failed(peer& p, const std::string& message) {
  emit_error(p.id, "publish_failed", message);
  p.publish_busy = false;
  next_publish(p);
}

void session::impl::publish_done(peer& p, const GstSDPMessage& answer, sdp::publish_plan& plan) {
  sdp_ptr for_browser = sdp::answer_for_browser(answer, plan);
  std::map<std::string, std::string> mid_to_track;
  std::set<std::string> active;
  for (const auto& ml : plan.mlines) {
    if (!ml.accepted)
      continue;
    active.insert(ml.mid);
    p.mid_kinds[ml.mid] = ml.kind;
    if (ml.audio_level_id)
      p.audio_level_ids[ml.mid] = ml.audio_level_id;
    else
      p.audio_level_ids.erase(ml.mid);
    mid_to_track[ml.mid] = track_id(p.id, ml.mid);
    if (!ml.rids.empty() && ml.rid_ext_id) {
      p.simulcast_mids.insert(ml.mid);
      std::lock_guard lock(rid_ids_mutex);
      rid_ext_ids[p.id] = ml.rid_ext_id;
    }
  }
  if (!closed && events.publish_answer)
    events.publish_answer(p.id, sdp_text(for_browser.get()), mid_to_track);

  // Closing a track is a new offer without it (protocol.md section 4).
  std::vector<std::string> removed;
  for (const auto& mid : p.active_mids) {
    if (active.count(mid))
      continue;
    p.taps.erase(mid);
    if (p.announced.erase(mid))
      removed.push_back(track_id(p.id, mid));
    remove_track_everywhere(track_id(p.id, mid));
  }
  p.active_mids = std::move(active);
  start_recording(p);
  update_counts();
  if (!removed.empty() && !closed && events.tracks_removed)
    events.tracks_removed(p.id, removed);
  for (const auto& mid : p.active_mids)
    announce(p, mid);  // re-enabled m-lines with media already flowing

  p.publish_busy = false;
  next_publish(p);
}

std::unique_ptr<peer_connection> session::impl::make_publish_connection(peer& p) {
  std::weak_ptr<impl> weak = weak_from_this();
  std::string pid = p.id;
  std::uint64_t serial = p.serial;
  peer_connection::handlers h;
  h.candidate = [weak, pid](unsigned mline, std::string c) {
    if (auto self = weak.lock())
      self->emit_candidate(pid, pc_kind::publish, std::move(c), mline);
  };
  h.state = [weak, pid](GstWebRTCPeerConnectionState s) {
    if (auto self = weak.lock(); self && s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
      self->emit_error(pid, "connection_failed", "publish connection failed");
  };
  h.new_transceiver = [](GstWebRTCRTPTransceiver* t) {
    // NACK + RTX from the browser repairs losses before we forward.
    GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
    g_object_get(t, "kind", &kind, nullptr);
    if (kind != GST_WEBRTC_KIND_AUDIO)
      g_object_set(t, "do-nack", TRUE, nullptr);
  };
  h.pad_added = [weak, pid, serial](GstPad* pad) {
    auto self = weak.lock();
    if (!self)
      return;
    self->on_publish_pad(pid, serial, pad);
  };
  return std::make_unique<peer_connection>(
    *rt, bin(), "pub-" + pid + "-" + std::to_string(p.serial), cfg.ice,
    static_cast<unsigned>(cfg.receive_latency.count()), std::move(h));
}

// Streaming thread: link the new pad to a tee now, sort it out on the media thread.
void session::impl::on_publish_pad(const std::string& pid, std::uint64_t serial, GstPad* pad) {
  GstWebRTCRTPTransceiver* raw = nullptr;
  g_object_get(pad, "transceiver", &raw, nullptr);
  gst_object_ptr<GstWebRTCRTPTransceiver> trans(raw);
  gchar* mid_raw = nullptr;
  if (trans)
    g_object_get(trans.get(), "mid", &mid_raw, nullptr);
  std::string mid = to_string(gchar_ptr(mid_raw));

  std::weak_ptr<impl> weak = weak_from_this();
  auto on_caps = [weak, pid, serial, mid](caps_ptr) {
    if (auto self = weak.lock())
      self->rt->post([self, pid, serial, mid] { self->source_caps(pid, serial, mid); });
  };
  auto src = std::make_shared<std::unique_ptr<source>>(
    std::make_unique<source>(bin(), pad, *rt, cfg.keyframe_throttle, counters, std::move(on_caps)));
  unsigned rid_id = 0;
  {
    std::lock_guard lock(rid_ids_mutex);
    if (auto it = rid_ext_ids.find(pid); it != rid_ext_ids.end())
      rid_id = it->second;
  }
  // Simulcast layers all come on one transceiver, told apart only by the rid
  // their packets carry (media/README.md): read it before any packet passes.
  if (rid_id) {
    const source* raw_src = src->get();
    (*src)->watch_extension(rid_id, [weak, pid, serial, raw_src](std::string rid) {
      if (auto self = weak.lock())
        self->rt->post([self, pid, serial, raw_src, rid] {
          if (!self->closed)
            self->source_rid(pid, serial, raw_src, rid);
        });
    });
  }
  auto self = shared_from_this();
  rt->post([self, pid, serial, mid, src] {
    // If the peer is gone, `src` dies here and takes its tee along.
    if (self->closed)
      return;
    if (peer* p = self->find(pid, serial))
      self->add_source(*p, mid, std::move(*src));
  });
}

void session::impl::add_source(peer& p, const std::string& mid, std::unique_ptr<source> src) {
  GST_INFO("media from %s on mid '%s': %" GST_PTR_FORMAT, p.id.c_str(), mid.c_str(),
           src->caps().get());
  if (mid.empty())
    return;  // not mapped to an m-line: nothing to announce it as
  if (p.simulcast_mids.count(mid)) {
    // Posted before its first packet, so before its rid (source_rid). A stream
    // whose packets carry no rid (Firefox's) is taken as a plain one after a while.
    const source* raw = src.get();
    p.unsorted.push_back({mid, std::move(src)});
    std::weak_ptr<impl> weak = weak_from_this();
    rt->post_after(std::chrono::seconds(1), [weak, pid = p.id, serial = p.serial, raw] {
      auto self = weak.lock();
      peer* q = self ? self->find(pid, serial) : nullptr;
      if (!q || self->closed)
        return;
      auto it = std::find_if(q->unsorted.begin(), q->unsorted.end(),
                             [&](auto& u) { return u.src.get() == raw; });
      if (it == q->unsorted.end())
        return;
      GST_WARNING("%s: no rid on a stream of simulcast mid '%s'", pid.c_str(), it->mid.c_str());
      std::string mid = it->mid;
      std::unique_ptr<source> plain = std::move(it->src);
      q->unsorted.erase(it);
      if (q->sources.count(mid))
        return q->ignored.push_back(std::move(plain));
      auto& entry = q->sources[mid];
      entry.src = std::move(plain);
      entry.kind = caps_kind(entry.src->caps().get());
      self->announce(*q, mid);
    });
    return;
  }
  if (auto old = p.sources.find(mid); old != p.sources.end()) {
    // A second stream on one m-line. While the first one still flows this is
    // not ours to forward (simulcast layers, unmapped SSRCs that webrtcbin
    // puts on the first m-line): keep the first, drop the newcomer's packets.
    if (old->second.src->idle_for() < std::chrono::seconds(1)) {
      GST_WARNING("%s: ignoring a second stream on mid '%s'", p.id.c_str(), mid.c_str());
      p.ignored.push_back(std::move(src));
      return;
    }
    // The first one stopped: the publisher changed SSRC; replace the track.
    p.taps.erase(mid);
    if (p.announced.erase(mid)) {
      remove_track_everywhere(track_id(p.id, mid));
      if (!closed && events.tracks_removed)
        events.tracks_removed(p.id, {track_id(p.id, mid)});
    }
  }
  auto& entry = p.sources[mid];
  entry.src = std::move(src);
  entry.kind = caps_kind(entry.src->caps().get());
  announce(p, mid);
}

// A simulcast layer's rid is known: the first layer makes the track (and
// announces it once its caps are there), the others join it, also in the
// subscribers already receiving it.
void session::impl::source_rid(const std::string& pid, std::uint64_t serial, const source* raw,
                               const std::string& rid) {
  peer* p = find(pid, serial);
  if (!p)
    return;
  auto it = std::find_if(p->unsorted.begin(), p->unsorted.end(),
                         [&](auto& u) { return u.src.get() == raw; });
  if (it == p->unsorted.end())
    return;
  std::string mid = it->mid;
  std::unique_ptr<source> src = std::move(it->src);
  p->unsorted.erase(it);
  auto v = simulcast::parse_variant(rid);
  GST_INFO("%s: simulcast layer '%s' on mid '%s'", pid.c_str(), rid.c_str(), mid.c_str());
  if (!v) {
    p->ignored.push_back(std::move(src));
    return;
  }
  auto entry = p->sources.find(mid);
  if (entry == p->sources.end()) {
    auto& pub = p->sources[mid];
    pub.src = std::move(src);
    pub.kind = caps_kind(pub.src->caps().get());
    pub.simulcast = true;
    pub.first_variant = *v;
    watch_layer(pub, *v, *pub.src);
    announce(*p, mid);
    return;
  }
  published& pub = entry->second;
  if (!pub.simulcast || pub.layer(*v)) {
    GST_WARNING("%s: ignoring a second '%s' layer on mid '%s'", pid.c_str(), rid.c_str(),
                mid.c_str());
    p->ignored.push_back(std::move(src));
    return;
  }
  source& added = *(pub.more_layers[*v] = std::move(src));
  watch_layer(pub, *v, added);
  layer_added(*p, mid, *v, added);
  relay_layer(track_id(pid, mid), *v, added);
}

// A simulcast track's next layer, local or relayed: its subscribers' branches
// and its recording take it.
void session::impl::layer_added(peer& p, const std::string& mid, simulcast::variant v,
                                source& added) {
  std::string tid = track_id(p.id, mid);
  for (auto& [id, q] : peers)
    for (auto& s : q->slots)
      if (s->track == tid && s->vbr)
        s->vbr->add_layer(v, added);
  if (auto* rec = recorder_of(tid))
    rec->add_layer(v, added);
}

void session::impl::source_caps(const std::string& pid, std::uint64_t serial,
                                const std::string& mid) {
  peer* p = find(pid, serial);
  if (!p)
    return;
  auto it = p->sources.find(mid);
  if (it == p->sources.end())
    return;
  it->second.kind = caps_kind(it->second.src->caps().get());
  announce(*p, mid);
}

// A track is announced once it is accepted in the answer and its media (with
// caps) arrived: only then can subscribers be offered its exact SSRC/codec.
void session::impl::announce(peer& p, const std::string& mid) {
  if (p.announced.count(mid) || !p.active_mids.count(mid))
    return;
  auto it = p.sources.find(mid);
  if (it == p.sources.end() || !it->second.src->caps())
    return;
  p.announced.insert(mid);
  update_counts();
  std::string id = track_id(p.id, mid);
  GST_INFO("track %s (%s) announced", id.c_str(), it->second.kind.c_str());
  tap(p, mid);
  record_track(p, mid);
  watch_voice(p, mid);
  if (!closed && events.tracks_added)
    events.tracks_added(p.id, {track{id, mid, it->second.kind, !p.relayed_from.empty()}});
  for (auto& [other_id, other] : peers) {
    if (other.get() == &p)
      continue;
    other->pending_adds.push_back(id);
    negotiate(*other);
  }
}

// An announced audio track whose m-line accepted the audio-level extension:
// its source reads each packet's level; changes come here to be emitted while
// the track is still announced (a late one after removal would be stale).
void session::impl::watch_voice(peer& p, const std::string& mid) {
  auto id = p.audio_level_ids.find(mid);
  auto it = p.sources.find(mid);
  if (id == p.audio_level_ids.end() || it == p.sources.end() || it->second.kind != "audio")
    return;
  std::weak_ptr<impl> weak = weak_from_this();
  source* src = it->second.src.get();
  auto on_change = [weak, pid = p.id, serial = p.serial, mid, src](bool speech) {
    auto self = weak.lock();
    if (!self)
      return;
    self->rt->post([self, pid, serial, mid, src, speech] {
      peer* q = self->find(pid, serial);
      if (self->closed || !q || !q->announced.count(mid))
        return;
      auto it = q->sources.find(mid);
      if (it == q->sources.end() || it->second.src.get() != src)
        return;  // replaced by a new stream: its own detector reports
      if (self->events.voice_activity)
        self->events.voice_activity(pid, track_id(pid, mid), speech);
    });
  };
  src->watch_voice(id->second, cfg.voice, std::move(on_change));
}

}  // namespace vr::media
