#include "media/relay/relay_sender.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace vr::media {

// What a stream sent lately, to answer the receiving node's NACKs: losses on
// the link are repaired here, the subscribers' own by their node's webrtcbins.
struct relay_sender::history {
  static constexpr std::size_t size = 512;  // packets: ~1 s of 2 Mbit/s video
  std::shared_ptr<relay_counters> counters;
  std::mutex mutex;
  std::array<buffer_ptr, size> sent;  // by sequence number % size
  pad_ptr into;                       // where the stream's packets go (srtpenc or funnel)

  void keep(GstBuffer* buf) {
    std::lock_guard lock(mutex);
    sent[rtp_seq(buf) % size].reset(gst_buffer_ref(buf));
  }
  // From the RTCP thread: chained like the first time (the pad's stream lock
  // orders it with the publisher's thread).
  void resend(std::uint16_t seq) {
    buffer_ptr buf;
    {
      std::lock_guard lock(mutex);
      auto& kept = sent[seq % size];
      if (!kept || rtp_seq(kept.get()) != seq)
        return;
      buf.reset(gst_buffer_ref(kept.get()));
    }
    counters->add(&relay_counters::retransmitted, 1);
    gst_pad_chain(into.get(), buf.release());
  }
};

struct relay_sender::feedback_state {
  std::shared_ptr<relay_counters> counters;
  std::mutex mutex;
  std::map<std::uint32_t, std::function<void()>> requesters;    // by SSRC
  std::map<std::uint32_t, std::shared_ptr<history>> histories;  // by SSRC
};

namespace {

// Into the relay whatever it returns: a failing send must not reach the
// publisher's streaming thread as a flow error (the tee would stop every
// subscriber of the track).
GstPadProbeReturn isolate_out(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto& h = unbox<relay_sender::history>(data);
  auto& c = h->counters;
  pad_ptr peer(gst_pad_get_peer(pad));
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
    h->keep(buf);
    c->add(&relay_counters::packets_out, 1);
    c->add(&relay_counters::bytes_out, gst_buffer_get_size(buf));
    if (peer)
      gst_pad_chain(peer.get(), buf);
    else
      gst_buffer_unref(buf);
  } else {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    guint n = gst_buffer_list_length(list);
    c->add(&relay_counters::packets_out, n);
    for (guint i = 0; i < n; i++) {
      GstBuffer* buf = gst_buffer_list_get(list, i);
      c->add(&relay_counters::bytes_out, gst_buffer_get_size(buf));
      h->keep(buf);
    }
    if (peer)
      gst_pad_chain_list(peer.get(), list);
    else
      gst_buffer_list_unref(list);
  }
  info->data = nullptr;
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_OK;
  return GST_PAD_PROBE_HANDLED;
}

GstPadProbeReturn on_feedback(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<relay_sender::feedback_state>(data);
  rtcp_feedback fb = read_feedback(GST_PAD_PROBE_INFO_BUFFER(info));
  for (auto [ssrc, seq] : fb.nacked) {
    std::shared_ptr<relay_sender::history> h;
    {
      std::lock_guard lock(st->mutex);
      if (auto it = st->histories.find(ssrc); it != st->histories.end())
        h = it->second;
    }
    if (h)
      h->resend(seq);
  }
  for (std::uint32_t ssrc : fb.keyframe_ssrcs) {
    std::function<void()> request;
    {
      std::lock_guard lock(st->mutex);
      if (auto it = st->requesters.find(ssrc); it != st->requesters.end())
        request = it->second;
    }
    if (request) {
      st->counters->add(&relay_counters::keyframe_requests_in, 1);
      request();
    }
  }
  return GST_PAD_PROBE_OK;
}

GstCaps* on_request_key(GstElement*, guint, gpointer data) {
  return gst_caps_ref(unbox<caps_ptr>(data)->get());
}

void add_to(GstBin* bin, GstElement* e) { gst_bin_add(bin, e); }

void set_socket(GstElement* sink, GSocket* socket) {
  bool v6 = g_socket_get_family(socket) == G_SOCKET_FAMILY_IPV6;
  g_object_set(sink, v6 ? "socket-v6" : "socket", socket, "close-socket", FALSE, "sync", FALSE,
               "async", FALSE, nullptr);
}

}  // namespace

relay_sender::relay_sender(GstBin* pipeline, const relay_target& target,
                           std::shared_ptr<relay_counters> counters)
    : pipeline_(pipeline),
      encrypted_(target.encryption),
      counters_(std::move(counters)),
      feedback_(std::make_shared<feedback_state>()) {
  feedback_->counters = counters_;
  socket_ = bind_relay_socket(target.local_address, target.min_port, target.max_port);
  if (!socket_ || (encrypted_ && target.key.size() != relay_key_size))
    return;

  udpsrc_ = make_element("udpsrc");
  fakesink_ = make_element("fakesink");
  funnel_ = make_element("funnel");
  udpsink_ = make_element("multiudpsink");
  g_object_set(udpsrc_.get(), "socket", socket_.get(), "close-socket", FALSE, nullptr);
  g_object_set(fakesink_.get(), "sync", FALSE, "async", FALSE, nullptr);
  set_socket(udpsink_.get(), socket_.get());
  std::string client = target.address + ":" + std::to_string(target.port);
  g_object_set(udpsink_.get(), "clients", client.c_str(), nullptr);
  for (GstElement* e : {udpsrc_.get(), fakesink_.get(), funnel_.get(), udpsink_.get()})
    add_to(pipeline_, e);
  gst_element_link(funnel_.get(), udpsink_.get());

  if (encrypted_) {
    srtpenc_ = make_element("srtpenc");
    srtpdec_ = make_element("srtpdec");
    buffer_ptr key = srtp_key_buffer(target.key);
    // Retransmissions (NACK) are the same packets again, which libsrtp
    // refuses to protect twice unless told.
    g_object_set(srtpenc_.get(), "key", key.get(), "allow-repeat-tx", TRUE, nullptr);
    connect(srtpdec_.get(), "request-key", &on_request_key,
            std::make_shared<caps_ptr>(srtp_key_caps(target.key)));
    add_to(pipeline_, srtpenc_.get());
    add_to(pipeline_, srtpdec_.get());
    caps_ptr srtcp(gst_caps_new_empty_simple("application/x-srtcp"));
    g_object_set(udpsrc_.get(), "caps", srtcp.get(), nullptr);
    gst_element_link_pads(udpsrc_.get(), "src", srtpdec_.get(), "rtcp_sink");
    gst_element_link_pads(srtpdec_.get(), "rtcp_src", fakesink_.get(), "sink");
  } else {
    caps_ptr rtcp(gst_caps_new_empty_simple("application/x-rtcp"));
    g_object_set(udpsrc_.get(), "caps", rtcp.get(), nullptr);
    gst_element_link(udpsrc_.get(), fakesink_.get());
  }
  pad_ptr fb(gst_element_get_static_pad(fakesink_.get(), "sink"));
  add_probe(fb.get(), GST_PAD_PROBE_TYPE_BUFFER, &on_feedback, feedback_);

  for (GstElement* e : {udpsink_.get(), funnel_.get(), srtpenc_.get(), fakesink_.get(),
                        srtpdec_.get(), udpsrc_.get()})
    if (e)
      gst_element_sync_state_with_parent(e);
  ok_ = true;
}

relay_sender::~relay_sender() {
  for (auto& s : streams_)
    release(*s);
  streams_.clear();
  for (GstElement* e : {udpsrc_.get(), srtpdec_.get(), fakesink_.get(), srtpenc_.get(),
                        funnel_.get(), udpsink_.get()}) {
    if (!e)
      continue;
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(pipeline_, e);
  }
}

std::uint16_t relay_sender::port() const { return socket_ ? local_port(socket_.get()) : 0; }

void relay_sender::add_stream(const std::string& track_id, source& src, std::uint32_t ssrc) {
  if (!ok_ || has_stream(ssrc))
    return;
  auto s = std::make_unique<stream>();
  s->track = track_id;
  s->ssrc = ssrc;
  s->tee = retain(src.tee());
  s->tee_src.reset(gst_element_request_pad_simple(s->tee.get(), "src_%u"));
  s->funnel_sink.reset(gst_element_request_pad_simple(funnel_.get(), "sink_%u"));
  GstPad* into = s->funnel_sink.get();
  if (encrypted_) {
    auto [sink, enc_src] = srtpenc_pads(srtpenc_.get(), "rtp_", next_pad_++);
    s->enc_sink = std::move(sink);
    gst_pad_link(enc_src.get(), s->funnel_sink.get());
    into = s->enc_sink.get();
  }
  auto h = std::make_shared<history>();
  h->counters = counters_;
  h->into = retain(into);
  {
    std::lock_guard lock(feedback_->mutex);
    feedback_->requesters[ssrc] = src.keyframe_requester();
    feedback_->histories[ssrc] = h;
  }
  s->probe = add_probe(s->tee_src.get(),
                       GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                       &isolate_out, h);
  gst_pad_link(s->tee_src.get(), into);
  streams_.push_back(std::move(s));
}

void relay_sender::release(stream& s) {
  {
    std::lock_guard lock(feedback_->mutex);
    feedback_->requesters.erase(s.ssrc);
    feedback_->histories.erase(s.ssrc);
  }
  if (pad_ptr peer{gst_pad_get_peer(s.tee_src.get())})
    gst_pad_unlink(s.tee_src.get(), peer.get());
  gst_pad_remove_probe(s.tee_src.get(), s.probe);
  gst_element_release_request_pad(s.tee.get(), s.tee_src.get());
  if (s.enc_sink)
    gst_element_release_request_pad(srtpenc_.get(), s.enc_sink.get());
  gst_element_release_request_pad(funnel_.get(), s.funnel_sink.get());
}

void relay_sender::remove_track(const std::string& track_id) {
  std::erase_if(streams_, [&](auto& s) {
    if (s->track != track_id)
      return false;
    release(*s);
    return true;
  });
}

bool relay_sender::has_track(const std::string& track_id) const {
  return std::any_of(streams_.begin(), streams_.end(),
                     [&](auto& s) { return s->track == track_id; });
}

bool relay_sender::has_stream(std::uint32_t ssrc) const {
  return std::any_of(streams_.begin(), streams_.end(), [&](auto& s) { return s->ssrc == ssrc; });
}

std::size_t relay_sender::track_count() const {
  std::vector<std::string> tracks;
  for (auto& s : streams_)
    if (std::find(tracks.begin(), tracks.end(), s->track) == tracks.end())
      tracks.push_back(s->track);
  return tracks.size();
}

}  // namespace vr::media
