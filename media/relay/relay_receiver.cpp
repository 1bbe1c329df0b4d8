#include "media/relay/relay_receiver.hpp"

#include <gst/net/gstnetaddressmeta.h>

#include <cstring>
#include <vector>

namespace vr::media {

struct relay_receiver::shared {
  std::shared_ptr<relay_counters> counters;
  stream_handler on_stream;
  GstElement* udpsink = nullptr;  // alive while the receiver is

  std::mutex mutex;
  std::map<std::uint32_t, relay_stream> expected;  // by SSRC
  bool sender_known = false;

  // The feedback path: a pad of our own pushed from subscribers' threads.
  std::mutex fb_mutex;
  pad_ptr fb;
  bool fb_started = false;

  void request_keyframe(std::uint32_t ssrc) {
    std::lock_guard lock(fb_mutex);
    counters->add(&relay_counters::keyframe_requests_out, 1);
    push(make_pli(ssrc));
  }

  void request_packets(std::uint32_t ssrc, const std::vector<std::uint16_t>& seqs) {
    std::lock_guard lock(fb_mutex);
    counters->add(&relay_counters::nacked_out, seqs.size());
    push(make_nack(ssrc, seqs));
  }

  // fb_mutex held.
  void push(buffer_ptr rtcp) {
    if (!fb)
      return;
    if (!fb_started) {
      fb_started = true;
      gst_pad_push_event(fb.get(), gst_event_new_stream_start("relay-feedback"));
      gst_pad_push_event(
        fb.get(),
        gst_event_new_caps(caps_ptr(gst_caps_new_empty_simple("application/x-rtcp")).get()));
      GstSegment seg;
      gst_segment_init(&seg, GST_FORMAT_TIME);
      gst_pad_push_event(fb.get(), gst_event_new_segment(&seg));
    }
    gst_pad_push(fb.get(), rtcp.release());
  }
};

namespace {

// Drops what was not announced; learns where feedback goes.
GstPadProbeReturn on_incoming(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<relay_receiver::shared>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  std::uint32_t ssrc = rtp_ssrc(buf);
  bool learn = false;
  {
    std::lock_guard lock(st->mutex);
    if (!st->expected.count(ssrc))
      return GST_PAD_PROBE_DROP;
    learn = !st->sender_known;
    st->sender_known = true;
  }
  st->counters->add(&relay_counters::packets_in, 1);
  st->counters->add(&relay_counters::bytes_in, gst_buffer_get_size(buf));
  if (learn) {
    if (GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf)) {
      auto* sa = G_INET_SOCKET_ADDRESS(meta->addr);
      gchar_ptr host(g_inet_address_to_string(g_inet_socket_address_get_address(sa)));
      g_signal_emit_by_name(st->udpsink, "add", host.get(),
                            gint(g_inet_socket_address_get_port(sa)));
    }
  }
  return GST_PAD_PROBE_OK;
}

struct stream_pad {
  std::shared_ptr<relay_receiver::shared> link;
  std::uint32_t ssrc = 0;
  caps_ptr caps;
  // The link's thread only: the highest sequence number seen, to notice gaps.
  bool started = false;
  std::uint16_t highest = 0;

  // A gap on the link is asked again at once (a short one: a long one is a
  // restart, and its packets would be too late anyway).
  void check_gap(GstBuffer* buf) {
    std::uint16_t seq = rtp_seq(buf);
    auto ahead = static_cast<std::int16_t>(seq - highest);
    if (started && ahead > 1 && ahead <= 64) {
      std::vector<std::uint16_t> missing;
      for (auto s = static_cast<std::uint16_t>(highest + 1); s != seq; s++)
        missing.push_back(s);
      link->request_packets(ssrc, missing);
    }
    if (!started || ahead > 0)
      highest = seq;
    started = true;
  }
};

// A relayed stream's pad: the described caps instead of the link's bare
// ones, buffers into the session whatever it returns, and keyframe requests
// (GstForceKeyUnit from the session's throttle) back to the origin node.
GstPadProbeReturn on_stream_pad(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto& sp = unbox<stream_pad>(data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) {
      info->data = gst_event_new_caps(sp->caps.get());
      gst_event_unref(ev);
    }
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_UPSTREAM) {
    const GstStructure* s = gst_event_get_structure(GST_PAD_PROBE_INFO_EVENT(info));
    if (s && gst_structure_has_name(s, "GstForceKeyUnit")) {
      sp->link->request_keyframe(sp->ssrc);
      return GST_PAD_PROBE_DROP;
    }
    return GST_PAD_PROBE_OK;
  }
  pad_ptr peer(gst_pad_get_peer(pad));
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  sp->check_gap(buf);
  if (peer)
    gst_pad_chain(peer.get(), buf);
  else
    gst_buffer_unref(buf);
  info->data = nullptr;
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_OK;
  return GST_PAD_PROBE_HANDLED;
}

void on_new_ssrc_pad(GstElement*, guint ssrc, GstPad* pad, gpointer data) {
  auto& st = unbox<relay_receiver::shared>(data);
  relay_stream desc;
  {
    std::lock_guard lock(st->mutex);
    auto it = st->expected.find(ssrc);
    if (it == st->expected.end())
      return;
    desc = it->second;
  }
  auto sp = std::make_shared<stream_pad>();
  sp->link = st;
  sp->ssrc = ssrc;
  sp->caps.reset(gst_caps_from_string(desc.caps.c_str()));
  if (!sp->caps)
    return;
  // The pad has no events yet: give it the track's caps now (after a
  // stream-start, their required order), so the session's source knows them
  // from the start; the demux's own ones follow through the probe.
  gst_pad_store_sticky_event(pad,
                             event_ptr(gst_event_new_stream_start(desc.track_id.c_str())).get());
  gst_pad_store_sticky_event(pad, event_ptr(gst_event_new_caps(sp->caps.get())).get());
  add_probe(pad,
            GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                            GST_PAD_PROBE_TYPE_EVENT_UPSTREAM),
            &on_stream_pad, sp);
  st->on_stream(desc, pad);
}

GstCaps* on_request_key(GstElement*, guint, gpointer data) {
  return gst_caps_ref(unbox<caps_ptr>(data)->get());
}

}  // namespace

relay_receiver::relay_receiver(GstBin* pipeline, socket_ptr socket, const relay_listen& cfg,
                               std::shared_ptr<relay_counters> counters, stream_handler on_stream)
    : pipeline_(pipeline), socket_(std::move(socket)), shared_(std::make_shared<shared>()) {
  shared_->counters = std::move(counters);
  shared_->on_stream = std::move(on_stream);

  udpsrc_ = make_element("udpsrc");
  demux_ = make_element("rtpssrcdemux");
  udpsink_ = make_element("multiudpsink");
  shared_->udpsink = udpsink_.get();
  g_object_set(udpsrc_.get(), "socket", socket_.get(), "close-socket", FALSE, nullptr);
  bool v6 = g_socket_get_family(socket_.get()) == G_SOCKET_FAMILY_IPV6;
  g_object_set(udpsink_.get(), v6 ? "socket-v6" : "socket", socket_.get(), "close-socket", FALSE,
               "sync", FALSE, "async", FALSE, nullptr);
  for (GstElement* e : {udpsrc_.get(), demux_.get(), udpsink_.get()})
    gst_bin_add(pipeline_, e);

  shared_->fb.reset(gst_pad_new("relay_fb", GST_PAD_SRC));
  gst_object_ref_sink(shared_->fb.get());
  gst_pad_set_active(shared_->fb.get(), TRUE);
  if (cfg.encryption) {
    srtpdec_ = make_element("srtpdec");
    srtpenc_ = make_element("srtpenc");
    buffer_ptr key = srtp_key_buffer(cfg.key);
    g_object_set(srtpenc_.get(), "key", key.get(), nullptr);
    connect(srtpdec_.get(), "request-key", &on_request_key,
            std::make_shared<caps_ptr>(srtp_key_caps(cfg.key)));
    gst_bin_add(pipeline_, srtpdec_.get());
    gst_bin_add(pipeline_, srtpenc_.get());
    caps_ptr srtp(gst_caps_new_empty_simple("application/x-srtp"));
    g_object_set(udpsrc_.get(), "caps", srtp.get(), nullptr);
    gst_element_link_pads(udpsrc_.get(), "src", srtpdec_.get(), "rtp_sink");
    gst_element_link_pads(srtpdec_.get(), "rtp_src", demux_.get(), "sink");
    auto [enc_sink, enc_src] = srtpenc_pads(srtpenc_.get(), "rtcp_", 0);
    gst_pad_link(shared_->fb.get(), enc_sink.get());
    pad_ptr sink(gst_element_get_static_pad(udpsink_.get(), "sink"));
    gst_pad_link(enc_src.get(), sink.get());
  } else {
    caps_ptr rtp(gst_caps_new_empty_simple("application/x-rtp"));
    g_object_set(udpsrc_.get(), "caps", rtp.get(), nullptr);
    gst_element_link(udpsrc_.get(), demux_.get());
    pad_ptr sink(gst_element_get_static_pad(udpsink_.get(), "sink"));
    gst_pad_link(shared_->fb.get(), sink.get());
  }
  pad_ptr out(gst_element_get_static_pad(udpsrc_.get(), "src"));
  add_probe(out.get(), GST_PAD_PROBE_TYPE_BUFFER, &on_incoming, shared_);
  connect(demux_.get(), "new-ssrc-pad", &on_new_ssrc_pad, shared_);

  for (GstElement* e :
       {udpsink_.get(), srtpenc_.get(), demux_.get(), srtpdec_.get(), udpsrc_.get()})
    if (e)
      gst_element_sync_state_with_parent(e);
}

relay_receiver::~relay_receiver() {
  {
    std::lock_guard lock(shared_->fb_mutex);
    if (pad_ptr peer{gst_pad_get_peer(shared_->fb.get())})
      gst_pad_unlink(shared_->fb.get(), peer.get());
    gst_pad_set_active(shared_->fb.get(), FALSE);
    shared_->fb.reset();
  }
  for (GstElement* e :
       {udpsrc_.get(), srtpdec_.get(), demux_.get(), srtpenc_.get(), udpsink_.get()}) {
    if (!e)
      continue;
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(pipeline_, e);
  }
}

std::uint16_t relay_receiver::port() const { return local_port(socket_.get()); }

std::shared_ptr<relay_counters> relay_receiver::counters() const { return shared_->counters; }

void relay_receiver::expect(const relay_stream& s) {
  std::lock_guard lock(shared_->mutex);
  shared_->expected[s.ssrc] = s;
}

void relay_receiver::forget(std::uint32_t ssrc) {
  std::lock_guard lock(shared_->mutex);
  shared_->expected.erase(ssrc);
}

}  // namespace vr::media
