#include "media/variant_branch.hpp"

#include "media/simulcast/rewriter.hpp"
#include "media/simulcast/rtp_packet.hpp"
#include "media/webrtcbin/pad_shortcut.hpp"

#include <mutex>
#include <span>

namespace vr::media {

struct variant_branch::state {
  state(GstPad* sink, std::uint32_t ssrc, std::uint32_t clock_rate, simulcast::variant target)
      : route(sink), rw(ssrc, clock_rate, target) {}

  checked_route route;
  pad_ptr events_pad;  // the branch's tee pad: sticky events pending = not ready yet
  simulcast::codec codec = simulcast::codec::other;
  std::shared_ptr<forward_counters> counters;
  std::function<void(simulcast::variant)> on_switched;

  // Held while rewriting and chaining: the layers may come on different
  // streaming threads, and the subscriber must see them in the rewritten order.
  std::mutex mutex;
  simulcast::rewriter rw;
  std::int64_t last_request_us = 0;  // the last retry of a keyframe request

  std::mutex keyframe_mutex;
  std::array<std::function<void()>, 3> keyframe;  // per layer present

  void request_keyframe(std::optional<simulcast::variant> v) {
    if (!v)
      return;
    std::function<void()> request;
    {
      std::lock_guard lock(keyframe_mutex);
      request = keyframe[static_cast<unsigned>(*v)];
    }
    if (request)
      request();
  }

  void on_buffer(simulcast::variant v, GstBuffer* buf) {
    // Until the tee pad has passed caps and segment on, the sink cannot take buffers.
    if (GST_OBJECT_FLAGS(events_pad.get()) & GST_PAD_FLAG_PENDING_EVENTS)
      return;
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ))
      return;
    std::span<const std::uint8_t> data(map.data, map.size);
    auto rtp = simulcast::parse_rtp(data);
    simulcast::packet_in in;
    std::optional<simulcast::vp8_ids> vp8;
    std::size_t payload_offset = 0;
    if (rtp) {
      auto payload = data.subspan(rtp->payload_offset, rtp->payload_size);
      payload_offset = rtp->payload_offset;
      in = {v, rtp->seq, rtp->timestamp, simulcast::keyframe_start(codec, payload),
            g_get_monotonic_time()};
      if (codec == simulcast::codec::vp8)
        vp8 = simulcast::read_vp8_ids(payload);
    }
    gst_buffer_unmap(buf, &map);
    if (!rtp)
      return;

    std::unique_lock lock(mutex);
    auto out = rw.on_packet(in, vp8);
    if (!out) {
      // Waiting for a keyframe of the target: the first request may have been
      // answered before this branch could take it, and a subscriber that got
      // nothing yet never asks itself. Ask again, at most once a second.
      if (rw.current() != rw.target() && in.arrival_us - last_request_us >= 1'000'000) {
        last_request_us = in.arrival_us;
        auto target = rw.target();
        lock.unlock();
        request_keyframe(target);
      }
      return;
    }
    GstBuffer* copy = gst_buffer_copy_deep(buf);
    if (gst_buffer_map(copy, &map, GST_MAP_WRITE)) {
      simulcast::rewrite_header(std::span<std::uint8_t>(map.data, map.size), out->seq,
                                out->timestamp, out->ssrc);
      if (out->vp8)
        simulcast::write_vp8_ids(
          std::span<std::uint8_t>(map.data, map.size).subspan(payload_offset), *out->vp8);
      gst_buffer_unmap(copy, &map);
    }
    counters->packets.fetch_add(1, std::memory_order_relaxed);
    counters->bytes.fetch_add(gst_buffer_get_size(copy), std::memory_order_relaxed);
    if (route.chain(copy) != GST_FLOW_OK)
      counters->dropped.fetch_add(1, std::memory_order_relaxed);
    if (out->switched && on_switched)
      on_switched(v);
  }
};

namespace {

// The tee pad carries events only; buffers come through the listeners.
GstPadProbeReturn drop_buffers(GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_DROP; }

// The subscriber's PLI is for the layer it gets, not for the first layer's tee.
GstPadProbeReturn on_upstream(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<variant_branch::state>(data);
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  const GstStructure* s = gst_event_get_structure(ev);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CUSTOM_UPSTREAM || !s ||
      !gst_structure_has_name(s, "GstForceKeyUnit"))
    return GST_PAD_PROBE_OK;
  std::optional<simulcast::variant> current;
  {
    std::lock_guard lock(st->mutex);
    current = st->rw.current() ? st->rw.current() : st->rw.target();
  }
  st->request_keyframe(current);
  return GST_PAD_PROBE_DROP;
}

}  // namespace

layered_format layered_format_of(const GstCaps* rtp_caps) {
  layered_format f;
  if (!rtp_caps || gst_caps_is_empty(rtp_caps))
    return f;
  const GstStructure* st = gst_caps_get_structure(rtp_caps, 0);
  gint clock_rate = 0;
  if (gst_structure_get_int(st, "clock-rate", &clock_rate) && clock_rate > 0)
    f.clock_rate = static_cast<std::uint32_t>(clock_rate);
  const char* name = gst_structure_get_string(st, "encoding-name");
  f.codec = !g_strcmp0(name, "VP8")    ? simulcast::codec::vp8
            : !g_strcmp0(name, "H264") ? simulcast::codec::h264
                                       : simulcast::codec::other;
  return f;
}

variant_branch::variant_branch(source& first, GstPad* webrtc_sink, std::uint32_t out_ssrc,
                               std::uint32_t clock_rate, simulcast::codec codec,
                               simulcast::variant target,
                               std::shared_ptr<forward_counters> counters,
                               std::function<void(simulcast::variant)> on_switched)
    : tee_(retain(first.tee())),
      webrtc_sink_(retain(webrtc_sink)),
      st_(std::make_shared<state>(webrtc_sink, out_ssrc, clock_rate, target)),
      wanted_(target) {
  st_->codec = codec;
  st_->counters = std::move(counters);
  st_->on_switched = std::move(on_switched);
  tee_src_.reset(gst_element_request_pad_simple(tee_.get(), "src_%u"));
  st_->events_pad = retain(tee_src_.get());
  drop_probe_ = add_probe(
    tee_src_.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
    &drop_buffers, st_);
  upstream_probe_ = add_probe(tee_src_.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, &on_upstream, st_);
  gst_pad_link(tee_src_.get(), webrtc_sink_.get());
}

variant_branch::~variant_branch() {
  for (unsigned i = 0; i < layers_.size(); i++)
    if (layers_[i])
      layers_[i]->remove_listener(listeners_[i]);
  gst_pad_unlink(tee_src_.get(), webrtc_sink_.get());
  gst_element_release_request_pad(tee_.get(), tee_src_.get());
  gst_pad_remove_probe(tee_src_.get(), drop_probe_);
  gst_pad_remove_probe(tee_src_.get(), upstream_probe_);
}

void variant_branch::add_layer(simulcast::variant v, source& src) {
  auto i = static_cast<unsigned>(v);
  if (layers_[i])
    return;
  layers_[i] = &src;
  // A layer is added at its first packet: it flows. The session's idle
  // watch sees it flowing from then on and would not tell us again.
  enabled_ |= simulcast::bit(v);
  {
    std::lock_guard lock(st_->keyframe_mutex);
    st_->keyframe[i] = src.keyframe_requester();
  }
  listeners_[i] = std::make_shared<const source::listener>(
    [st = st_, v](GstBuffer* buf) { st->on_buffer(v, buf); });
  src.add_listener(listeners_[i]);
  retarget();
}

void variant_branch::set_target(simulcast::variant v) {
  wanted_ = v;
  retarget();
}

void variant_branch::set_cap(simulcast::variant v) {
  cap_ = v;
  retarget();
}

void variant_branch::set_enabled(simulcast::variant_set enabled) {
  enabled_ = enabled;
  retarget();
}

simulcast::variant variant_branch::forwarded() const {
  std::lock_guard lock(st_->mutex);
  return st_->rw.current() ? *st_->rw.current() : st_->rw.target();
}

void variant_branch::retarget() {
  simulcast::variant_set present = 0;
  for (auto v : simulcast::all_variants)
    if (layers_[static_cast<unsigned>(v)])
      present |= simulcast::bit(v);
  // All idle (the publisher paused?): keep to what is there rather than nothing.
  simulcast::variant_set usable = present & enabled_ ? present & enabled_ : present;
  auto chosen = simulcast::choose_variant(wanted_, cap_, usable);
  if (!chosen)
    return;
  bool request;
  {
    std::lock_guard lock(st_->mutex);
    request = st_->rw.set_target(*chosen) || !st_->rw.current();
  }
  if (request)
    st_->request_keyframe(*chosen);
}

}  // namespace vr::media
