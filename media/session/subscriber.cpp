// The subscriber side of a media::session: we offer on each peer's subscribe
// connection, one offer at a time (idle, offering, awaiting_answer), putting
// tracks on dead m-lines of the same kind before adding new ones, and link a
// track's branch once the answer is applied and the connection is up.
// State and threading: session/impl.hpp.
#include "media/session/impl.hpp"
#include "media/webrtcbin/rtx_ssrc_map.hpp"

#include "media/runtime.hpp"

#include <algorithm>

namespace vr::media {

// Stops feeding a track to every subscriber. Its m-lines stay (sendonly,
// silent) and are reused for the next track of the same kind.
void session::impl::remove_track_everywhere(const std::string& tid) {
  close_track(tid);
  for (auto& [node, sender] : relay_senders)
    sender->remove_track(tid);
  update_relay_counts();
  for (auto& [id, q] : peers) {
    std::erase(q->pending_adds, tid);
    q->target_variants.erase(tid);
    for (auto& s : q->slots) {
      if (s->track != tid)
        continue;
      s->br.reset();
      s->vbr.reset();
      s->cap = {};
      s->last_report_count = 0;
      s->track.clear();
      s->negotiated = false;
    }
  }
}

// One offer at a time per subscriber; tracks arriving meanwhile wait in
// pending_adds and go out together in the next offer.
void session::impl::negotiate(peer& q) {
  if (closed || q.sub_state != peer::neg::idle || !q.relayed_from.empty())
    return;  // a relayed track's stand-in peer subscribes to nothing
  std::vector<std::string> adds;
  for (const auto& tid : q.pending_adds) {
    if (std::find(adds.begin(), adds.end(), tid) != adds.end())
      continue;
    bool attached =
      std::any_of(q.slots.begin(), q.slots.end(), [&](auto& s) { return s->track == tid; });
    if (!attached && lookup(tid).second)
      adds.push_back(tid);
  }
  q.pending_adds.clear();
  if (adds.empty())
    return;

  if (!q.sub)
    q.sub = make_subscribe_connection(q);
  for (const auto& tid : adds)
    attach(q, tid);

  q.sub_state = peer::neg::offering;
  auto self = shared_from_this();
  std::string pid = q.id;
  std::uint64_t serial = q.serial;
  q.sub->create_offer([=](sdp_ptr offer, std::string err) {
    peer* q = self->find(pid, serial);
    if (!q)
      return;
    if (!offer)
      return self->subscribe_failed(*q, "create offer: " + err);
    // Each offer of webrtcbin names new RTX SSRCs; rtprtxsend keeps the first.
    sdp::pin_rtx_ssrcs(*offer, q->rtx_ssrcs);
    auto offer_holder = std::make_shared<sdp_ptr>(std::move(offer));
    q->sub_applying = true;
    q->sub->set_local(GST_WEBRTC_SDP_TYPE_OFFER, **offer_holder, [=](std::string err) {
      peer* q = self->find(pid, serial);
      if (!q)
        return;
      q->sub_applying = false;
      pin_rtx_ssrc_map(q->sub->element(), q->rtx_ssrcs);
      self->link_ready(*q);
      if (!err.empty())
        return self->subscribe_failed(*q, "set local offer: " + err);
      self->offer_ready(*q, **offer_holder);
    });
  });
}

void session::impl::subscribe_failed(peer& q, const std::string& message) {
  emit_error(q.id, "subscribe_failed", message);
  q.sub_state = peer::neg::idle;
}

void session::impl::offer_ready(peer& q, const GstSDPMessage& offer) {
  std::map<std::string, std::string> mid_to_track;
  for (const auto& ml : sdp::ssrcs_by_mline(offer))
    for (auto& s : q.slots)
      if (!s->track.empty() && std::count(ml.ssrcs.begin(), ml.ssrcs.end(), s->ssrc))
        mid_to_track[ml.mid] = s->track;
  q.sub_state = peer::neg::awaiting_answer;
  GST_INFO("subscribe offer to %s with %zu tracks", q.id.c_str(), mid_to_track.size());
  if (!closed && events.subscribe_offer)
    events.subscribe_offer(q.id, sdp_text(&offer), mid_to_track);
}

// Puts a track on an m-line of q's subscribe connection: a dead one of the
// same kind if there is one, else a new sendonly transceiver.
void session::impl::attach(peer& q, const std::string& tid) {
  published* pub = lookup(tid).second;
  caps_ptr caps = pub->src->caps();
  slot* s = nullptr;
  for (auto& candidate : q.slots)
    if (candidate->track.empty() && candidate->kind == pub->kind)
      s = candidate.get();

  if (s) {
    // The offer takes this m-line's caps from the pad's last caps event,
    // which still names the old SSRC: send the new caps before offering.
    g_object_set(s->trans.get(), "codec-preferences", caps.get(), nullptr);
    gst_pad_send_event(s->sink.get(), gst_event_new_caps(caps.get()));
  } else {
    auto fresh = std::make_unique<slot>();
    GstElement* webrtc = q.sub->element();
    GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc), "sink_%u");
    fresh->sink.reset(gst_element_request_pad(webrtc, templ, nullptr, caps.get()));
    if (!fresh->sink)
      return emit_error(q.id, "subscribe_failed", "webrtcbin refused a sink pad");
    GstWebRTCRTPTransceiver* raw = nullptr;
    g_object_get(fresh->sink.get(), "transceiver", &raw, nullptr);
    fresh->trans.reset(raw);
    g_object_set(fresh->trans.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                 "codec-preferences", caps.get(), nullptr);
    // Subscribers NACK; webrtcbin then keeps sent packets and answers with RTX.
    if (pub->kind == "video")
      g_object_set(fresh->trans.get(), "do-nack", TRUE, nullptr);
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

void session::impl::subscribe_answer(const std::string& id, std::string text) {
  peer* q = find(id);
  if (!q)
    return emit_error(id, "unknown_peer", "subscribe_answer before add_peer");
  if (q->sub_state != peer::neg::awaiting_answer)
    return emit_error(id, "unexpected_answer", "no subscribe offer is waiting for an answer");
  sdp_ptr answer = parse_sdp(text);
  if (!answer)
    return emit_error(id, "invalid_sdp", "subscribe answer is not SDP");

  auto holder = std::make_shared<sdp_ptr>(std::move(answer));
  auto self = shared_from_this();
  std::uint64_t serial = q->serial;
  q->sub_applying = true;
  q->sub->set_remote(GST_WEBRTC_SDP_TYPE_ANSWER, **holder, [=](std::string err) {
    peer* q = self->find(id, serial);
    if (!q)
      return;
    q->sub_state = peer::neg::idle;
    q->sub_applying = false;
    pin_rtx_ssrc_map(q->sub->element(), q->rtx_ssrcs);
    if (!err.empty()) {
      self->link_ready(*q);
      return self->emit_error(id, "subscribe_failed", "set remote answer: " + err);
    }
    for (auto& s : q->slots) {
      if (s->track.empty() || s->negotiated)
        continue;
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
void session::impl::link_ready(peer& q) {
  if (!q.sub_connected || q.sub_applying)
    return;
  // webrtcbin connects a new sink pad's stream at its first CAPS event and sets
  // rtprtxsend's ssrc-map to its own (latest) RTX SSRCs there, just before the
  // first packet would take one: let that happen now, in this thread, then pin
  // ours (webrtcbin/rtx_ssrc_map.hpp). The branch's own caps are the same.
  bool sent = false;
  for (auto& s : q.slots) {
    if (s->track.empty() || !s->negotiated || s->br || s->caps_sent)
      continue;
    published* pub = lookup(s->track).second;
    caps_ptr caps = pub ? pub->src->caps() : nullptr;
    if (!caps)
      continue;
    gst_pad_send_event(s->sink.get(), gst_event_new_stream_start(s->track.c_str()));
    gst_pad_send_event(s->sink.get(), gst_event_new_caps(caps.get()));
    s->caps_sent = sent = true;
  }
  if (sent)
    pin_rtx_ssrc_map(q.sub->element(), q.rtx_ssrcs);
  for (auto& s : q.slots) {
    if (s->track.empty() || !s->negotiated || s->br || s->vbr)
      continue;
    published* pub = lookup(s->track).second;
    if (!pub)
      continue;
    GST_INFO("forwarding %s to %s", s->track.c_str(), q.id.c_str());
    if (pub->simulcast) {
      link_variants(q, *s, *pub);
      continue;
    }
    s->br = std::make_unique<branch>(*pub->src, s->sink.get(), counters);
    // A new subscriber can only start decoding at a keyframe.
    if (pub->kind == "video")
      pub->src->request_keyframe();
  }
}

// One layer of a simulcast track at a time, the subscriber's target (h unless
// it asked otherwise), rewritten to the SSRC its m-line was offered with.
void session::impl::link_variants(peer& q, slot& s, published& pub) {
  const layered_format format = layered_format_of(pub.src->caps().get());
  auto wanted = q.target_variants.find(s.track);
  simulcast::variant target =
    wanted == q.target_variants.end() ? simulcast::variant::h : wanted->second;
  std::weak_ptr<impl> weak = weak_from_this();
  auto on_switched = [weak, pid = q.id, serial = q.serial, tid = s.track](simulcast::variant v) {
    auto self = weak.lock();
    if (!self)
      return;
    self->rt->post([self, pid, serial, tid, v] {
      peer* q = self->find(pid, serial);
      if (self->closed || !q || !self->events.variant_switched)
        return;
      GST_INFO("%s gets layer %s of %s", pid.c_str(), simulcast::to_string(v).data(), tid.c_str());
      if (std::any_of(q->slots.begin(), q->slots.end(), [&](auto& s) { return s->track == tid; }))
        self->events.variant_switched(pid, tid, std::string(simulcast::to_string(v)));
    });
  };
  GST_INFO("%s: layer %s of %s (ssrc %u)", q.id.c_str(), simulcast::to_string(target).data(),
           s.track.c_str(), s.ssrc);
  s.vbr = std::make_unique<variant_branch>(*pub.src, s.sink.get(), s.ssrc, format.clock_rate,
                                           format.codec, target, counters, std::move(on_switched));
  for (auto v : simulcast::all_variants)
    if (source* layer = pub.layer(v))
      s.vbr->add_layer(v, *layer);
  s.vbr->set_enabled(pub.enabled);
  s.vbr->set_cap(s.cap.cap());
}

void session::impl::set_target_variant(const std::string& id, const std::string& tid,
                                       simulcast::variant v) {
  peer* q = find(id);
  if (!q)
    return;
  q->target_variants[tid] = v;
  for (auto& s : q->slots)
    if (s->track == tid && s->vbr)
      s->vbr->set_target(v);
}

std::unique_ptr<peer_connection> session::impl::make_subscribe_connection(peer& q) {
  std::weak_ptr<impl> weak = weak_from_this();
  std::string pid = q.id;
  std::uint64_t serial = q.serial;
  peer_connection::handlers h;
  h.candidate = [weak, pid](unsigned mline, std::string c) {
    if (auto self = weak.lock())
      self->emit_candidate(pid, pc_kind::subscribe, std::move(c), mline);
  };
  h.state = [weak, pid, serial](GstWebRTCPeerConnectionState s) {
    auto self = weak.lock();
    if (!self)
      return;
    peer* q = self->find(pid, serial);
    if (!q)
      return;
    q->sub_connected = s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
    GST_INFO("subscribe connection of %s: state %d", pid.c_str(), int(s));
    if (s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
      self->emit_error(pid, "connection_failed", "subscribe connection failed");
    self->link_ready(*q);
  };
  return std::make_unique<peer_connection>(
    *rt, bin(), "sub-" + pid + "-" + std::to_string(q.serial), cfg.ice,
    static_cast<unsigned>(cfg.receive_latency.count()), std::move(h));
}

}  // namespace vr::media
