#include "media/session.hpp"

#include "media/forwarding.hpp"
#include "media/gst_ptr.hpp"
#include "media/hls/hls_packager.hpp"
#include "media/hls_tap.hpp"
#include "media/peer_connection.hpp"
#include "media/runtime.hpp"
#include "media/sdp.hpp"
#include "media/webrtcbin/webrtcbin_tuning.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <optional>
#include <set>

GST_DEBUG_CATEGORY_STATIC(vr_session_debug);
#define GST_CAT_DEFAULT vr_session_debug

namespace vr::media {
namespace {

// One m-line of a subscribe connection. The webrtcbin sink pad is kept for the
// connection's life: 1.22 cannot connect a released-and-requested-again pad
// of a negotiated transceiver (its FEC encoder already exists), so a dead
// m-line is reused for the next track of the same kind instead.
struct slot {
  pad_ptr sink;
  gst_object_ptr<GstWebRTCRTPTransceiver> trans;
  std::string kind;
  std::string track;           // empty: dead, reusable
  std::uint32_t ssrc = 0;      // of `track`, to find our m-line in the offer
  bool negotiated = false;     // the subscriber has answered an offer with `track`
  std::unique_ptr<branch> br;  // linked once negotiated and connected
};

struct published {
  std::unique_ptr<source> src;
  std::string kind;
};

struct peer {
  std::string id;
  std::uint64_t serial = 0;  // tells a re-added peer from its predecessor

  // publish connection
  std::unique_ptr<peer_connection> pub;
  std::deque<std::string> queued_offers;
  bool publish_busy = false;
  std::set<std::string> active_mids;  // accepted and sending, per the last answer
  std::map<std::string, published> sources;  // by mid, once media arrived
  std::set<std::string> announced;           // mids told via tracks_added
  std::vector<std::unique_ptr<source>> ignored;  // extra streams: linked to a tee nobody reads
  std::map<std::string, std::string> mid_kinds;   // of the accepted m-lines

  // LL-HLS recording (broadcast publishers): one tap per recorded mid.
  std::optional<hls_output> hls;
  std::shared_ptr<hls::packager> packager;
  std::map<std::string, std::unique_ptr<hls_tap>> taps;

  // subscribe connection
  std::unique_ptr<peer_connection> sub;
  std::vector<std::unique_ptr<slot>> slots;
  std::vector<std::string> pending_adds;  // track ids waiting for the next offer
  enum class neg { idle, offering, awaiting_answer } sub_state = neg::idle;
  bool sub_connected = false;
};

std::string track_id(const std::string& peer, const std::string& mid) { return peer + ":" + mid; }

std::uint32_t caps_ssrc(const GstCaps* caps) {
  guint ssrc = 0;
  if (caps && !gst_caps_is_empty(caps)) gst_structure_get_uint(gst_caps_get_structure(caps, 0), "ssrc", &ssrc);
  return ssrc;
}

}  // namespace

struct session::impl : std::enable_shared_from_this<session::impl> {
  runtime* rt = nullptr;
  session_config cfg;
  session_events events;
  element_ptr pipeline;
  source_ptr bus_watch;
  std::shared_ptr<forward_counters> counters = std::make_shared<forward_counters>();
  std::atomic<std::size_t> peer_count{0}, track_count{0};
  // Playlist updates of every recording (a part each, and the end).
  std::shared_ptr<std::atomic<std::uint64_t>> hls_updates = std::make_shared<std::atomic<std::uint64_t>>(0);

  bool closed = false;  // media thread only: after teardown nothing is emitted
  std::uint64_t next_serial = 1;
  std::map<std::string, std::unique_ptr<peer>> peers;

  GstBin* bin() const { return GST_BIN(pipeline.get()); }

  peer* find(const std::string& id) {
    auto it = peers.find(id);
    return it == peers.end() ? nullptr : it->second.get();
  }
  peer* find(const std::string& id, std::uint64_t serial) {
    peer* p = find(id);
    return p && p->serial == serial ? p : nullptr;
  }

  void emit_error(const std::string& peer_id, const std::string& reason, const std::string& message) {
    GST_WARNING("peer %s: %s: %s", peer_id.c_str(), reason.c_str(), message.c_str());
    if (!closed && events.error) events.error(peer_id, reason, message);
  }

  void update_counts() {
    std::size_t tracks = 0;
    for (auto& [id, p] : peers) tracks += p->announced.size();
    peer_count = peers.size();
    track_count = tracks;
  }

  // --- peers ---------------------------------------------------------------

  void add_peer(const std::string& id) {
    if (find(id)) return emit_error(id, "peer_exists", "add_peer for a peer already in the session");
    auto p = std::make_unique<peer>();
    p->id = id;
    p->serial = next_serial++;
    for (auto& [other_id, other] : peers)
      for (const auto& mid : other->announced) p->pending_adds.push_back(track_id(other_id, mid));
    peer* raw = p.get();
    peers.emplace(id, std::move(p));
    update_counts();
    negotiate(*raw);
  }

  void remove_peer(const std::string& id) {
    peer* p = find(id);
    if (!p) return;
    std::vector<std::string> gone;
    for (const auto& mid : p->announced) gone.push_back(track_id(id, mid));
    for (const auto& t : gone) remove_track_everywhere(t);

    stop_recording(*p);
    // Its subscribe branches first (they hold other publishers' tee pads),
    // then its connections, then its tees.
    for (auto& s : p->slots) s->br.reset();
    p->sub.reset();
    p->slots.clear();
    p->pub.reset();
    p->sources.clear();
    p->ignored.clear();
    peers.erase(id);
    update_counts();
    if (!gone.empty() && !closed && events.tracks_removed) events.tracks_removed(id, gone);
  }

  // --- publish -------------------------------------------------------------

  void publish_offer(const std::string& id, std::string text) {
    peer* p = find(id);
    if (!p) return emit_error(id, "unknown_peer", "publish_offer before add_peer");
    p->queued_offers.push_back(std::move(text));
    next_publish(*p);
  }

  // Publish renegotiations run one at a time, in order.
  void next_publish(peer& p) {
    if (p.publish_busy || p.queued_offers.empty()) return;
    std::string text = std::move(p.queued_offers.front());
    p.queued_offers.pop_front();

    sdp_ptr offer = parse_sdp(text);
    if (!offer) return emit_error(p.id, "invalid_sdp", "publish offer is not SDP"), next_publish(p);
    auto plan = sdp::plan_publish_offer(*offer, {cfg.audio_only, cfg.prefer_h264});
    if (!plan) return emit_error(p.id, "invalid_sdp", "publish offer has an m-line without mid"), next_publish(p);
    for (const auto& ml : plan->mlines)
      if (ml.sending && ml.refusal != "" && ml.refusal != "audio_only")
        emit_error(p.id, ml.refusal, "m-line " + ml.mid + " (" + ml.kind + ") is not received");

    if (!p.pub) p.pub = make_publish_connection(p);
    p.publish_busy = true;
    auto plan_holder = std::make_shared<sdp::publish_plan>(std::move(*plan));
    std::string pid = p.id;
    std::uint64_t serial = p.serial;
    auto self = shared_from_this();
    p.pub->set_remote(GST_WEBRTC_SDP_TYPE_OFFER, *plan_holder->for_webrtcbin, [=](std::string err) {
      peer* q = self->find(pid, serial);
      if (!q) return;
      if (!err.empty()) return self->publish_failed(*q, "set remote offer: " + err);
      q->pub->create_answer([=](sdp_ptr answer, std::string err) {
        peer* q = self->find(pid, serial);
        if (!q) return;
        if (!answer) return self->publish_failed(*q, "create answer: " + err);
        auto answer_holder = std::make_shared<sdp_ptr>(std::move(answer));
        q->pub->set_local(GST_WEBRTC_SDP_TYPE_ANSWER, **answer_holder, [=](std::string err) {
          peer* q = self->find(pid, serial);
          if (!q) return;
          if (!err.empty()) return self->publish_failed(*q, "set local answer: " + err);
          self->publish_done(*q, **answer_holder, *plan_holder);
        });
      });
    });
  }

  void publish_failed(peer& p, const std::string& message) {
    emit_error(p.id, "publish_failed", message);
    p.publish_busy = false;
    next_publish(p);
  }

  void publish_done(peer& p, const GstSDPMessage& answer, sdp::publish_plan& plan) {
    sdp_ptr for_browser = sdp::answer_for_browser(answer, plan);
    std::map<std::string, std::string> mid_to_track;
    std::set<std::string> active;
    for (const auto& ml : plan.mlines) {
      if (!ml.accepted) continue;
      active.insert(ml.mid);
      p.mid_kinds[ml.mid] = ml.kind;
      mid_to_track[ml.mid] = track_id(p.id, ml.mid);
    }
    if (!closed && events.publish_answer) events.publish_answer(p.id, sdp_text(for_browser.get()), mid_to_track);

    // Closing a track is a new offer without it (protocol.md section 4).
    std::vector<std::string> removed;
    for (const auto& mid : p.active_mids) {
      if (active.count(mid)) continue;
      p.taps.erase(mid);
      if (p.announced.erase(mid)) removed.push_back(track_id(p.id, mid));
      remove_track_everywhere(track_id(p.id, mid));
    }
    p.active_mids = std::move(active);
    start_recording(p);
    update_counts();
    if (!removed.empty() && !closed && events.tracks_removed) events.tracks_removed(p.id, removed);
    for (const auto& mid : p.active_mids) announce(p, mid);  // re-enabled m-lines with media already flowing

    p.publish_busy = false;
    next_publish(p);
  }

  std::unique_ptr<peer_connection> make_publish_connection(peer& p) {
    std::weak_ptr<impl> weak = weak_from_this();
    std::string pid = p.id;
    std::uint64_t serial = p.serial;
    peer_connection::handlers h;
    h.candidate = [weak, pid](unsigned mline, std::string c) {
      if (auto self = weak.lock()) self->emit_candidate(pid, pc_kind::publish, std::move(c), mline);
    };
    h.state = [weak, pid](GstWebRTCPeerConnectionState s) {
      if (auto self = weak.lock(); self && s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
        self->emit_error(pid, "connection_failed", "publish connection failed");
    };
    h.new_transceiver = [](GstWebRTCRTPTransceiver* t) {
      // NACK + RTX from the browser repairs losses before we forward.
      GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
      g_object_get(t, "kind", &kind, nullptr);
      if (kind != GST_WEBRTC_KIND_AUDIO) g_object_set(t, "do-nack", TRUE, nullptr);
    };
    h.pad_added = [weak, pid, serial](GstPad* pad) {
      auto self = weak.lock();
      if (!self) return;
      self->on_publish_pad(pid, serial, pad);
    };
    return std::make_unique<peer_connection>(*rt, bin(), "pub-" + pid + "-" + std::to_string(p.serial), cfg.ice,
                                             static_cast<unsigned>(cfg.receive_latency.count()), std::move(h));
  }

  // Streaming thread: link the new pad to a tee now, sort it out on the media thread.
  void on_publish_pad(const std::string& pid, std::uint64_t serial, GstPad* pad) {
    GstWebRTCRTPTransceiver* raw = nullptr;
    g_object_get(pad, "transceiver", &raw, nullptr);
    gst_object_ptr<GstWebRTCRTPTransceiver> trans(raw);
    gchar* mid_raw = nullptr;
    if (trans) g_object_get(trans.get(), "mid", &mid_raw, nullptr);
    std::string mid = to_string(gchar_ptr(mid_raw));

    std::weak_ptr<impl> weak = weak_from_this();
    auto on_caps = [weak, pid, serial, mid](caps_ptr) {
      if (auto self = weak.lock()) self->rt->post([self, pid, serial, mid] { self->source_caps(pid, serial, mid); });
    };
    auto src = std::make_shared<std::unique_ptr<source>>(
        std::make_unique<source>(bin(), pad, *rt, cfg.keyframe_throttle, counters, std::move(on_caps)));
    auto self = shared_from_this();
    rt->post([self, pid, serial, mid, src] {
      // If the peer is gone, `src` dies here and takes its tee along.
      if (self->closed) return;
      if (peer* p = self->find(pid, serial)) self->add_source(*p, mid, std::move(*src));
    });
  }

  void add_source(peer& p, const std::string& mid, std::unique_ptr<source> src) {
    GST_INFO("media from %s on mid '%s': %" GST_PTR_FORMAT, p.id.c_str(), mid.c_str(), src->caps().get());
    if (mid.empty()) return;  // not mapped to an m-line: nothing to announce it as
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
        if (!closed && events.tracks_removed) events.tracks_removed(p.id, {track_id(p.id, mid)});
      }
    }
    auto& entry = p.sources[mid];
    entry.src = std::move(src);
    entry.kind = caps_kind(entry.src->caps().get());
    announce(p, mid);
  }

  void source_caps(const std::string& pid, std::uint64_t serial, const std::string& mid) {
    peer* p = find(pid, serial);
    if (!p) return;
    auto it = p->sources.find(mid);
    if (it == p->sources.end()) return;
    it->second.kind = caps_kind(it->second.src->caps().get());
    announce(*p, mid);
  }

  // A track is announced once it is accepted in the answer and its media (with
  // caps) arrived: only then can subscribers be offered its exact SSRC/codec.
  void announce(peer& p, const std::string& mid) {
    if (p.announced.count(mid) || !p.active_mids.count(mid)) return;
    auto it = p.sources.find(mid);
    if (it == p.sources.end() || !it->second.src->caps()) return;
    p.announced.insert(mid);
    update_counts();
    std::string id = track_id(p.id, mid);
    GST_INFO("track %s (%s) announced", id.c_str(), it->second.kind.c_str());
    tap(p, mid);
    if (!closed && events.tracks_added) events.tracks_added(p.id, {track{id, mid, it->second.kind}});
    for (auto& [other_id, other] : peers) {
      if (other.get() == &p) continue;
      other->pending_adds.push_back(id);
      negotiate(*other);
    }
  }

  // --- LL-HLS recording ---------------------------------------------------

  void record_hls(const std::string& id, hls_output out) {
    peer* p = find(id);
    if (!p) return emit_error(id, "unknown_peer", "record_hls before add_peer");
    if (p->hls) return;
    p->hls = std::move(out);
    start_recording(*p);
  }

  // Once the publish answer says which kinds the peer sends.
  void start_recording(peer& p) {
    if (!p.hls || p.packager || p.active_mids.empty()) return;
    hls::packager_config c;
    c.dir = p.hls->dir;
    c.playlist = p.hls->playlist;
    c.expiry_grace = p.hls->expiry_grace;
    c.video = c.audio = false;
    for (const auto& mid : p.active_mids) {
      const auto& kind = p.mid_kinds[mid];
      c.video = c.video || kind == "video";
      c.audio = c.audio || kind == "audio";
    }
    if (!c.video && !c.audio) return;
    hls::packager_events ev;
    std::weak_ptr<impl> weak = weak_from_this();
    std::string pid = p.id;
    std::uint64_t serial = p.serial;
    auto update = events.hls_update;  // also after `closed`: the last snapshot ends the stream
    ev.update = [update, pid, count = hls_updates](std::shared_ptr<const hls::snapshot> snap) {
      count->fetch_add(1, std::memory_order_relaxed);
      if (update) update(pid, std::move(snap));
    };
    ev.want_keyframe = [weak, pid, serial] {
      if (auto self = weak.lock())
        self->rt->post([self, pid, serial] {
          peer* p = self->find(pid, serial);
          if (!p) return;
          for (auto& [mid, t] : p->taps)
            if (p->mid_kinds[mid] == "video") t->request_keyframe();
        });
    };
    ev.error = [weak, pid](const std::string& message) {
      if (auto self = weak.lock())
        self->rt->post([self, pid, message] { self->emit_error(pid, "hls_failed", message); });
    };
    GST_INFO("recording %s as LL-HLS in %s (video %d, audio %d)", p.id.c_str(), c.dir.c_str(), c.video, c.audio);
    p.packager = std::make_shared<hls::packager>(std::move(c), std::move(ev));
    for (const auto& mid : p.announced) tap(p, mid);
  }

  // Records an announced track if it is the first of its kind.
  void tap(peer& p, const std::string& mid) {
    if (!p.packager || p.taps.count(mid)) return;
    auto it = p.sources.find(mid);
    if (it == p.sources.end()) return;
    const std::string kind = it->second.kind;
    for (const auto& [other, t] : p.taps)
      if (p.mid_kinds[other] == kind) return;
    try {
      p.taps[mid] = std::make_unique<hls_tap>(bin(), *it->second.src, kind, p.packager);
      if (p.taps[mid]->transcoding()) GST_WARNING("%s: transcoding %s to H264 for HLS", p.id.c_str(), mid.c_str());
    } catch (const std::exception& e) {
      emit_error(p.id, "hls_failed", e.what());
    }
  }

  void stop_recording(peer& p) {
    p.taps.clear();  // no more samples
    if (!p.packager) return;
    p.packager->finish();  // ENDLIST
    p.packager.reset();
  }

  // (publisher id, source) of a track id, if it still exists.
  std::pair<peer*, published*> lookup(const std::string& tid) {
    auto colon = tid.rfind(':');
    if (colon == std::string::npos) return {nullptr, nullptr};
    peer* p = find(tid.substr(0, colon));
    if (!p) return {nullptr, nullptr};
    std::string mid = tid.substr(colon + 1);
    auto it = p->sources.find(mid);
    if (it == p->sources.end() || !p->announced.count(mid)) return {p, nullptr};
    return {p, &it->second};
  }

  // Stops feeding a track to every subscriber. Its m-lines stay (sendonly,
  // silent) and are reused for the next track of the same kind.
  void remove_track_everywhere(const std::string& tid) {
    for (auto& [id, q] : peers) {
      std::erase(q->pending_adds, tid);
      for (auto& s : q->slots) {
        if (s->track != tid) continue;
        s->br.reset();
        s->track.clear();
        s->negotiated = false;
      }
    }
  }

  // --- subscribe -----------------------------------------------------------

  // One offer at a time per subscriber; tracks arriving meanwhile wait in
  // pending_adds and go out together in the next offer.
  void negotiate(peer& q) {
    if (closed || q.sub_state != peer::neg::idle) return;
    std::vector<std::string> adds;
    for (const auto& tid : q.pending_adds) {
      if (std::find(adds.begin(), adds.end(), tid) != adds.end()) continue;
      bool attached = std::any_of(q.slots.begin(), q.slots.end(), [&](auto& s) { return s->track == tid; });
      if (!attached && lookup(tid).second) adds.push_back(tid);
    }
    q.pending_adds.clear();
    if (adds.empty()) return;

    if (!q.sub) q.sub = make_subscribe_connection(q);
    for (const auto& tid : adds) attach(q, tid);

    q.sub_state = peer::neg::offering;
    auto self = shared_from_this();
    std::string pid = q.id;
    std::uint64_t serial = q.serial;
    q.sub->create_offer([=](sdp_ptr offer, std::string err) {
      peer* q = self->find(pid, serial);
      if (!q) return;
      if (!offer) return self->subscribe_failed(*q, "create offer: " + err);
      auto offer_holder = std::make_shared<sdp_ptr>(std::move(offer));
      q->sub->set_local(GST_WEBRTC_SDP_TYPE_OFFER, **offer_holder, [=](std::string err) {
        peer* q = self->find(pid, serial);
        if (!q) return;
        if (!err.empty()) return self->subscribe_failed(*q, "set local offer: " + err);
        self->offer_ready(*q, **offer_holder);
      });
    });
  }

  void subscribe_failed(peer& q, const std::string& message) {
    emit_error(q.id, "subscribe_failed", message);
    q.sub_state = peer::neg::idle;
  }

  void offer_ready(peer& q, const GstSDPMessage& offer) {
    std::map<std::string, std::string> mid_to_track;
    for (const auto& ml : sdp::ssrcs_by_mline(offer))
      for (auto& s : q.slots)
        if (!s->track.empty() && std::count(ml.ssrcs.begin(), ml.ssrcs.end(), s->ssrc))
          mid_to_track[ml.mid] = s->track;
    q.sub_state = peer::neg::awaiting_answer;
    GST_INFO("subscribe offer to %s with %zu tracks", q.id.c_str(), mid_to_track.size());
    if (!closed && events.subscribe_offer) events.subscribe_offer(q.id, sdp_text(&offer), mid_to_track);
  }

  // Puts a track on an m-line of q's subscribe connection: a dead one of the
  // same kind if there is one, else a new sendonly transceiver.
  void attach(peer& q, const std::string& tid) {
    published* pub = lookup(tid).second;
    caps_ptr caps = pub->src->caps();
    slot* s = nullptr;
    for (auto& candidate : q.slots)
      if (candidate->track.empty() && candidate->kind == pub->kind) s = candidate.get();

    if (s) {
      // The offer takes this m-line's caps from the pad's last caps event,
      // which still names the old SSRC: send the new caps before offering.
      g_object_set(s->trans.get(), "codec-preferences", caps.get(), nullptr);
      gst_pad_send_event(s->sink.get(), gst_event_new_caps(caps.get()));
    } else {
      auto fresh = std::make_unique<slot>();
      GstElement* webrtc = q.sub->element();
      GstPadTemplate* templ = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc), "sink_%u");
      fresh->sink.reset(gst_element_request_pad(webrtc, templ, nullptr, caps.get()));
      if (!fresh->sink) return emit_error(q.id, "subscribe_failed", "webrtcbin refused a sink pad");
      GstWebRTCRTPTransceiver* raw = nullptr;
      g_object_get(fresh->sink.get(), "transceiver", &raw, nullptr);
      fresh->trans.reset(raw);
      g_object_set(fresh->trans.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                   "codec-preferences", caps.get(), nullptr);
      // Subscribers NACK; webrtcbin then keeps sent packets and answers with RTX.
      if (pub->kind == "video") g_object_set(fresh->trans.get(), "do-nack", TRUE, nullptr);
      fresh->kind = pub->kind;
      s = fresh.get();
      q.slots.push_back(std::move(fresh));
    }
    // msid = publisher: the browser groups a publisher's audio and video into
    // one MediaStream (lip sync).
    std::string publisher = tid.substr(0, tid.rfind(':'));
    g_object_set(s->sink.get(), "msid", publisher.c_str(), nullptr);
    s->track = tid;
    s->ssrc = caps_ssrc(caps.get());
    s->negotiated = false;
  }

  void subscribe_answer(const std::string& id, std::string text) {
    peer* q = find(id);
    if (!q) return emit_error(id, "unknown_peer", "subscribe_answer before add_peer");
    if (q->sub_state != peer::neg::awaiting_answer)
      return emit_error(id, "unexpected_answer", "no subscribe offer is waiting for an answer");
    sdp_ptr answer = parse_sdp(text);
    if (!answer) return emit_error(id, "invalid_sdp", "subscribe answer is not SDP");

    auto holder = std::make_shared<sdp_ptr>(std::move(answer));
    auto self = shared_from_this();
    std::uint64_t serial = q->serial;
    q->sub->set_remote(GST_WEBRTC_SDP_TYPE_ANSWER, **holder, [=](std::string err) {
      peer* q = self->find(id, serial);
      if (!q) return;
      q->sub_state = peer::neg::idle;
      if (!err.empty()) return self->emit_error(id, "subscribe_failed", "set remote answer: " + err);
      for (auto& s : q->slots) {
        if (s->track.empty() || s->negotiated) continue;
        guint mline = G_MAXUINT;
        g_object_get(s->trans.get(), "mlineindex", &mline, nullptr);
        s->negotiated = sdp::mline_accepted(**holder, mline);
      }
      self->link_ready(*q);
      self->negotiate(*q);
    });
  }

  // Feeds negotiated m-lines, but only once the connection is up: before DTLS
  // is done webrtcbin blocks the sending thread (pad blocks in its
  // transportsendbin / pending sink pads), and a queue stuck there could not be
  // stopped later.
  void link_ready(peer& q) {
    if (!q.sub_connected) return;
    for (auto& s : q.slots) {
      if (s->track.empty() || !s->negotiated || s->br) continue;
      published* pub = lookup(s->track).second;
      if (!pub) continue;
      GST_INFO("forwarding %s to %s", s->track.c_str(), q.id.c_str());
      s->br = std::make_unique<branch>(*pub->src, s->sink.get(), counters);
      // A new subscriber can only start decoding at a keyframe.
      if (pub->kind == "video") pub->src->request_keyframe();
    }
  }

  std::unique_ptr<peer_connection> make_subscribe_connection(peer& q) {
    std::weak_ptr<impl> weak = weak_from_this();
    std::string pid = q.id;
    std::uint64_t serial = q.serial;
    peer_connection::handlers h;
    h.candidate = [weak, pid](unsigned mline, std::string c) {
      if (auto self = weak.lock()) self->emit_candidate(pid, pc_kind::subscribe, std::move(c), mline);
    };
    h.state = [weak, pid, serial](GstWebRTCPeerConnectionState s) {
      auto self = weak.lock();
      if (!self) return;
      peer* q = self->find(pid, serial);
      if (!q) return;
      q->sub_connected = s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
      GST_INFO("subscribe connection of %s: state %d", pid.c_str(), int(s));
      if (s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
        self->emit_error(pid, "connection_failed", "subscribe connection failed");
      self->link_ready(*q);
    };
    return std::make_unique<peer_connection>(*rt, bin(), "sub-" + pid + "-" + std::to_string(q.serial), cfg.ice,
                                             static_cast<unsigned>(cfg.receive_latency.count()), std::move(h));
  }

  // --- common --------------------------------------------------------------

  void emit_candidate(const std::string& pid, pc_kind kind, std::string c, unsigned mline) {
    if (!closed && !c.empty() && events.candidate) events.candidate(pid, kind, std::move(c), mline);
  }

  void add_candidate(const std::string& id, pc_kind kind, const std::string& c, unsigned mline) {
    peer* p = find(id);
    if (!p) return;  // trickling on after remove_peer is normal: nothing to say
    peer_connection* pc = kind == pc_kind::publish ? p->pub.get() : p->sub.get();
    if (!pc) return emit_error(id, "invalid_candidate", "candidate for a connection not negotiated yet");
    if (c.empty()) return;  // end-of-candidates: nothing to tell webrtcbin
    pc->add_candidate(mline, c);
  }

  void on_bus_message(GstMessage* msg) {
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_LATENCY:
        // Live elements came or went: redistribute the (small) latency.
        gst_bin_recalculate_latency(bin());
        break;
      case GST_MESSAGE_ERROR: {
        GError* raw = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(msg, &raw, &debug);
        error_ptr err(raw);
        gchar_ptr dbg(debug);
        emit_error(owner_of(GST_MESSAGE_SRC(msg)), "media_error", err ? err->message : "unknown");
        break;
      }
      default:
        break;
    }
  }

  // The peer whose webrtcbin contains `obj`, or "".
  std::string owner_of(GstObject* obj) {
    for (gst_object_ptr<GstObject> o = retain(obj); o; o.reset(gst_object_get_parent(o.get())))
      for (auto& [id, p] : peers)
        if ((p->pub && GST_OBJECT(p->pub->element()) == o.get()) ||
            (p->sub && GST_OBJECT(p->sub->element()) == o.get()))
          return id;
    return "";
  }

  void teardown() {
    closed = true;
    while (!peers.empty()) remove_peer(peers.begin()->first);
    if (bus_watch) g_source_destroy(bus_watch.get());
    bus_watch.reset();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    pipeline.reset();
  }
};

session::session(session_config cfg, session_events events)
    : runtime_(runtime::shared()), impl_(std::make_shared<impl>()) {
  static std::once_flag debug_once;
  std::call_once(debug_once, [] { GST_DEBUG_CATEGORY_INIT(vr_session_debug, "vr-session", 0, "videoroom session"); });

  impl_->rt = runtime_.get();
  impl_->cfg = std::move(cfg);
  impl_->events = std::move(events);
  impl_->pipeline.reset(gst_pipeline_new("room"));
  gst_object_ref_sink(impl_->pipeline.get());
  g_signal_connect(impl_->pipeline.get(), "deep-element-added", G_CALLBACK(&tune_webrtcbin_element),
                   GINT_TO_POINTER(autoremove_ssrcs | shortcuts | no_fec_storage | immediate_nacks |
                                   (impl_->cfg.playback_timing ? 0 : nack_buffers)));

  bus_ptr bus(gst_pipeline_get_bus(GST_PIPELINE(impl_->pipeline.get())));
  impl_->bus_watch.reset(gst_bus_create_watch(bus.get()));
  std::weak_ptr<impl> weak = impl_;
  g_source_set_callback(
      impl_->bus_watch.get(), G_SOURCE_FUNC(+[](GstBus*, GstMessage* msg, gpointer data) -> gboolean {
        if (auto self = unbox<std::weak_ptr<impl>>(data)->lock(); self && !self->closed) self->on_bus_message(msg);
        return G_SOURCE_CONTINUE;
      }),
      box(std::make_shared<std::weak_ptr<impl>>(weak)), &unbox_free<std::weak_ptr<impl>>);
  g_source_attach(impl_->bus_watch.get(), runtime_->context());

  // An empty live pipeline: PLAYING at once; elements added later follow it.
  gst_element_set_state(impl_->pipeline.get(), GST_STATE_PLAYING);
}

session::~session() {
  auto self = impl_;
  runtime_->run_sync([self] { self->teardown(); });
}

void session::add_peer(const std::string& peer_id) {
  runtime_->post([self = impl_, peer_id] { if (!self->closed) self->add_peer(peer_id); });
}

void session::remove_peer(const std::string& peer_id) {
  runtime_->post([self = impl_, peer_id] { if (!self->closed) self->remove_peer(peer_id); });
}

void session::publish_offer(const std::string& peer_id, std::string sdp) {
  runtime_->post([self = impl_, peer_id, sdp = std::move(sdp)]() mutable {
    if (!self->closed) self->publish_offer(peer_id, std::move(sdp));
  });
}

void session::subscribe_answer(const std::string& peer_id, std::string sdp) {
  runtime_->post([self = impl_, peer_id, sdp = std::move(sdp)]() mutable {
    if (!self->closed) self->subscribe_answer(peer_id, std::move(sdp));
  });
}

void session::record_hls(const std::string& peer_id, hls_output out) {
  runtime_->post([self = impl_, peer_id, out = std::move(out)]() mutable {
    if (!self->closed) self->record_hls(peer_id, std::move(out));
  });
}

void session::add_candidate(const std::string& peer_id, pc_kind kind, std::string candidate, unsigned mline_index) {
  runtime_->post([self = impl_, peer_id, kind, candidate = std::move(candidate), mline_index] {
    if (!self->closed) self->add_candidate(peer_id, kind, candidate, mline_index);
  });
}

session::stats session::get_stats() const {
  stats s;
  s.forwarded_packets = impl_->counters->packets.load();
  s.forwarded_bytes = impl_->counters->bytes.load();
  s.dropped_packets = impl_->counters->dropped.load();
  s.keyframe_requests = impl_->counters->keyframe_requests.load();
  s.keyframe_requests_coalesced = impl_->counters->keyframe_requests_coalesced.load();
  s.peers = impl_->peer_count.load();
  s.tracks = impl_->track_count.load();
  s.hls_updates = impl_->hls_updates->load();
  // Safe from any thread: bin iteration takes the bin locks (and resyncs).
  if (GstElement* pipeline = impl_->pipeline.get()) {
    iterator_ptr it(gst_bin_iterate_recurse(GST_BIN(pipeline)));
    for (bool done = false; !done;) {
      GValue item = G_VALUE_INIT;
      switch (gst_iterator_next(it.get(), &item)) {
        case GST_ITERATOR_OK:
          s.elements++;
          g_value_unset(&item);
          break;
        case GST_ITERATOR_RESYNC:
          gst_iterator_resync(it.get());
          s.elements = 0;
          break;
        default:
          done = true;
      }
    }
  }
  return s;
}

}  // namespace vr::media
