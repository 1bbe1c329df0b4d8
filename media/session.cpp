// media::session: the public facade (each method posts its work to the media
// thread), the room's pipeline, its bus (latency, errors) and the teardown.
// The rest of session::impl is in session/ (see session/impl.hpp).
#include "media/session.hpp"

#include "media/bin_elements.hpp"
#include "media/runtime.hpp"
#include "media/session/impl.hpp"
#include "media/webrtcbin/webrtcbin_tuning.hpp"

#include <mutex>

GST_DEBUG_CATEGORY(vr_session_debug);

namespace vr::media {

void session::impl::emit_error(const std::string& peer_id, const std::string& reason,
                               const std::string& message) {
  GST_WARNING("peer %s: %s: %s", peer_id.c_str(), reason.c_str(), message.c_str());
  if (!closed && events.error)
    events.error(peer_id, reason, message);
}

void session::impl::emit_candidate(const std::string& pid, pc_kind kind, std::string c,
                                   unsigned mline) {
  if (!closed && !c.empty() && events.candidate)
    events.candidate(pid, kind, std::move(c), mline);
}

void session::impl::on_bus_message(GstMessage* msg) {
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
std::string session::impl::owner_of(GstObject* obj) {
  for (gst_object_ptr<GstObject> o = retain(obj); o; o.reset(gst_object_get_parent(o.get())))
    for (auto& [id, p] : peers)
      if ((p->pub && GST_OBJECT(p->pub->element()) == o.get()) ||
          (p->sub && GST_OBJECT(p->sub->element()) == o.get()))
        return id;
  return "";
}

void session::impl::teardown() {
  closed = true;
  stop_room_recording();  // the files get their EOS while the pipeline still runs
  finish_closing();
  relay_senders.clear();  // they hold publishers' tee pads
  while (!peers.empty())
    remove_peer(peers.begin()->first);
  relay_receivers.clear();
  if (bus_watch)
    g_source_destroy(bus_watch.get());
  bus_watch.reset();
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  pipeline.reset();
}

session::session(session_config cfg, session_events events)
    : runtime_(runtime::shared()), impl_(std::make_shared<impl>()) {
  static std::once_flag debug_once;
  std::call_once(debug_once, [] {
    GST_DEBUG_CATEGORY_INIT(vr_session_debug, "vr-session", 0, "videoroom session");
  });

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
      if (auto self = unbox<std::weak_ptr<impl>>(data)->lock(); self && !self->closed)
        self->on_bus_message(msg);
      return G_SOURCE_CONTINUE;
    }),
    box(std::make_shared<std::weak_ptr<impl>>(weak)), &unbox_free<std::weak_ptr<impl>>);
  g_source_attach(impl_->bus_watch.get(), runtime_->context());

  // An empty live pipeline: PLAYING at once; elements added later follow it.
  gst_element_set_state(impl_->pipeline.get(), GST_STATE_PLAYING);
  if (impl_->cfg.simulcast)
    impl_->start_adapting();
}

session::~session() {
  auto self = impl_;
  runtime_->run_sync([self] { self->teardown(); });
}

void session::add_peer(const std::string& peer_id, const std::string& display_name) {
  runtime_->post([self = impl_, peer_id, display_name] {
    if (!self->closed)
      self->add_peer(peer_id, display_name);
  });
}

void session::start_recording(recording_output out) {
  runtime_->post([self = impl_, out = std::move(out)]() mutable {
    if (!self->closed)
      self->start_room_recording(std::move(out));
  });
}

void session::stop_recording() {
  runtime_->post([self = impl_] {
    if (!self->closed)
      self->stop_room_recording();
  });
}

void session::remove_peer(const std::string& peer_id) {
  runtime_->post([self = impl_, peer_id] {
    if (!self->closed)
      self->remove_peer(peer_id);
  });
}

void session::publish_offer(const std::string& peer_id, std::string sdp) {
  runtime_->post([self = impl_, peer_id, sdp = std::move(sdp)]() mutable {
    if (!self->closed)
      self->publish_offer(peer_id, std::move(sdp));
  });
}

void session::subscribe_answer(const std::string& peer_id, std::string sdp) {
  runtime_->post([self = impl_, peer_id, sdp = std::move(sdp)]() mutable {
    if (!self->closed)
      self->subscribe_answer(peer_id, std::move(sdp));
  });
}

void session::set_target_variant(const std::string& peer_id, const std::string& track_id,
                                 const std::string& variant) {
  auto v = simulcast::parse_variant(variant);
  if (!v)
    return;
  runtime_->post([self = impl_, peer_id, track_id, v = *v] {
    if (self->closed)
      return;
    self->set_target_variant(peer_id, track_id, v);
  });
}

void session::record_hls(const std::string& peer_id, hls_output out) {
  runtime_->post([self = impl_, peer_id, out = std::move(out)]() mutable {
    if (!self->closed)
      self->record_hls(peer_id, std::move(out));
  });
}

void session::add_candidate(const std::string& peer_id, pc_kind kind, std::string candidate,
                            unsigned mline_index) {
  runtime_->post([self = impl_, peer_id, kind, candidate = std::move(candidate), mline_index] {
    if (!self->closed)
      self->add_candidate(peer_id, kind, candidate, mline_index);
  });
}

std::uint16_t session::open_relay_receiver(const std::string& node, relay_listen cfg) {
  {
    std::lock_guard lock(impl_->relay_ports_mutex);
    if (auto it = impl_->relay_ports.find(node); it != impl_->relay_ports.end())
      return it->second;
  }
  if (cfg.encryption && cfg.key.size() != relay_key_size)
    return 0;
  // Bound here (a non-blocking syscall) so the caller learns the port at once.
  socket_ptr socket = bind_relay_socket(cfg.address, cfg.min_port, cfg.max_port);
  if (!socket)
    return 0;
  std::uint16_t port = local_port(socket.get());
  {
    std::lock_guard lock(impl_->relay_ports_mutex);
    impl_->relay_ports[node] = port;
  }
  auto holder = std::make_shared<socket_ptr>(std::move(socket));
  runtime_->post([self = impl_, node, holder, cfg = std::move(cfg)] {
    if (!self->closed)
      self->open_relay_receiver(node, std::move(*holder), cfg);
  });
  return port;
}

void session::add_relayed_streams(const std::string& node, std::vector<relay_stream> streams) {
  runtime_->post([self = impl_, node, streams = std::move(streams)]() mutable {
    if (!self->closed)
      self->add_relayed_streams(node, std::move(streams));
  });
}

void session::remove_relayed_tracks(const std::string& node, std::vector<std::string> track_ids) {
  runtime_->post([self = impl_, node, track_ids = std::move(track_ids)] {
    if (!self->closed)
      self->remove_relayed_tracks(node, track_ids);
  });
}

void session::close_relay_receiver(const std::string& node) {
  runtime_->post([self = impl_, node] {
    if (!self->closed)
      self->close_relay_receiver(node);
  });
}

void session::relay_track_to(const std::string& node, const std::string& track_id,
                             relay_target target) {
  runtime_->post([self = impl_, node, track_id, target = std::move(target)] {
    if (!self->closed)
      self->relay_track_to(node, track_id, target);
  });
}

void session::stop_relay_track(const std::string& node, const std::string& track_id) {
  runtime_->post([self = impl_, node, track_id] {
    if (!self->closed)
      self->stop_relay_track(node, track_id);
  });
}

void session::close_relay_sender(const std::string& node) {
  runtime_->post([self = impl_, node] {
    if (self->closed)
      return;
    self->relay_senders.erase(node);
    self->update_relay_counts();
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
  s.recording_tracks = impl_->recording_count.load();
  s.relayed_tracks_out = impl_->relayed_out_count.load();
  s.relayed_tracks_in = impl_->relayed_in_count.load();
  const relay_counters& rc = *impl_->relay_stats;
  s.relay_packets_out = rc.packets_out.load();
  s.relay_bytes_out = rc.bytes_out.load();
  s.relay_packets_in = rc.packets_in.load();
  s.relay_bytes_in = rc.bytes_in.load();
  s.relay_keyframe_requests_out = rc.keyframe_requests_out.load();
  s.relay_keyframe_requests_in = rc.keyframe_requests_in.load();
  s.relay_nacked_out = rc.nacked_out.load();
  s.relay_retransmitted = rc.retransmitted.load();
  {
    std::lock_guard lock(impl_->relay_links_mutex);
    for (auto& [node, view] : impl_->relay_links) {
      auto& l = s.relay_links[node];
      l.tracks_out = view.tracks_out;
      l.tracks_in = view.tracks_in;
      if (view.out) {
        l.packets_out = view.out->packets_out.load();
        l.bytes_out = view.out->bytes_out.load();
      }
      if (view.in) {
        l.packets_in = view.in->packets_in.load();
        l.bytes_in = view.in->bytes_in.load();
      }
    }
  }
  // Safe from any thread: bin iteration takes the bin locks (and resyncs).
  if (GstElement* pipeline = impl_->pipeline.get()) {
    for_each_element(
      GST_BIN(pipeline), true, [&](GstElement*) { s.elements++; }, [&] { s.elements = 0; });
  }
  return s;
}

}  // namespace vr::media
