#include "media/forwarding.hpp"

#include "media/runtime.hpp"
#include "media/simulcast/rtp_packet.hpp"
#include "media/webrtcbin/pad_shortcut.hpp"
#include "media/webrtcbin/shared_segment.hpp"

#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace vr::media {

caps_ptr forwarded_caps(const GstCaps* in) {
  static const char* const kept[] = {
    "media", "encoding-name", "payload", "clock-rate", "ssrc", "encoding-params",
    // H264: the subscriber's decoder must match these
    "packetization-mode", "profile-level-id", "level-asymmetry-allowed",
    // Opus
    "useinbandfec", "minptime", "stereo"};
  caps_ptr out(gst_caps_copy(in));
  for (guint i = 0; i < gst_caps_get_size(out.get()); i++) {
    GstStructure* s = gst_caps_get_structure(out.get(), i);
    // webrtcbin replaced the offered profile-level-id by `profile` (see
    // sdp.cpp). We only receive constrained baseline, so say so in the
    // subscriber's offer, where a missing value would mean Baseline 1.0.
    if (!g_strcmp0(gst_structure_get_string(s, "encoding-name"), "H264") &&
        !gst_structure_has_field(s, "profile-level-id"))
      gst_structure_set(s, "profile-level-id", G_TYPE_STRING, "42e01f", "level-asymmetry-allowed",
                        G_TYPE_STRING, "1", nullptr);
    // RFC 7587: Opus is always "opus/48000/2" in SDP; caps webrtcbin rebuilds
    // from its pt map sometimes lack the channel count, and a subscriber's
    // offer must not say OPUS/48000 in one m-line and OPUS/48000/2 in another.
    if (!g_strcmp0(gst_structure_get_string(s, "encoding-name"), "OPUS") &&
        !gst_structure_has_field(s, "encoding-params"))
      gst_structure_set(s, "encoding-params", G_TYPE_STRING, "2", nullptr);
    gst_structure_filter_and_map_in_place(
      s,
      [](GQuark field, GValue*, gpointer) -> gboolean {
        const char* name = g_quark_to_string(field);
        if (g_str_has_prefix(name, "rtcp-fb-"))
          return TRUE;
        for (const char* k : kept)
          if (!std::strcmp(name, k))
            return TRUE;
        return FALSE;
      },
      nullptr);
  }
  return out;
}

// --- branch state ----------------------------------------------------------

struct branch::state {
  state(std::shared_ptr<forward_counters> c, GstPad* webrtc_sink)
      : counters(std::move(c)), route(webrtc_sink) {}

  std::shared_ptr<forward_counters> counters;
  // Into the subscriber's webrtcbin sink pad, or past it: webrtcbin builds
  // what is behind it when the first caps arrive and may relink it later.
  checked_route route;
  pad_ptr tee_src;
};

namespace {

using branch_list = std::vector<std::shared_ptr<branch::state>>;

// A buffer into a subscriber. What the subscriber refuses is counted as
// dropped, never returned towards the publisher.
void forward(branch::state& b, GstBuffer* buf) {
  b.counters->packets.fetch_add(1, std::memory_order_relaxed);
  b.counters->bytes.fetch_add(gst_buffer_get_size(buf), std::memory_order_relaxed);
  if (b.route.chain(buf) != GST_FLOW_OK)
    b.counters->dropped.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

// --- source ----------------------------------------------------------------

// The voice activity of an audio source; its detector is only touched by the
// source's streaming thread.
struct voice_watch {
  unsigned ext_id = 0;
  voice_activity detector;
  std::function<void(bool)> on_change;

  void read(GstBuffer* buf, gint64 now_us) {
    auto level = audio_level_of(buf, ext_id);
    if (!level)
      return;  // no level on this packet: nothing learnt
    if (auto change = detector.feed(std::chrono::milliseconds(now_us / 1000), *level))
      on_change(*change);
  }
};

// The first value of one header extension (a layer's rid), read until found.
struct extension_watch {
  unsigned ext_id = 0;
  std::function<void(std::string)> on_value;
  std::atomic<bool> found{false};

  void read(GstBuffer* buf) {
    if (found.load(std::memory_order_relaxed))
      return;
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ))
      return;
    std::span<const std::uint8_t> data(map.data, map.size);
    std::optional<std::string> value;
    if (auto v = simulcast::parse_rtp(data))
      value = simulcast::header_extension(data, *v, static_cast<int>(ext_id));
    gst_buffer_unmap(buf, &map);
    if (value && !value->empty() && !found.exchange(true))
      on_value(std::move(*value));
  }
};

using listener_list = std::vector<std::shared_ptr<const source::listener>>;

struct source::shared {
  runtime* rt = nullptr;
  gint64 throttle_us = 0;
  std::shared_ptr<forward_counters> counters;
  std::function<void(caps_ptr)> on_caps;

  std::atomic<gint64> last_packet_us{0};
  // Set once (watch_voice), freed with this state: the buffer probe reads the
  // pointer per packet without a lock.
  std::unique_ptr<voice_watch> voice_owner;
  std::atomic<voice_watch*> voice{nullptr};
  std::unique_ptr<extension_watch> extension_owner;
  std::atomic<extension_watch*> extension{nullptr};
  std::atomic<std::shared_ptr<const listener_list>> listeners{
    std::make_shared<const listener_list>()};
  GstElement* tee = nullptr;  // the source's; alive while its pads are
  // Replaced whole under `mutex` as branches come and go, read per buffer.
  std::atomic<std::shared_ptr<const branch_list>> branches{std::make_shared<const branch_list>()};

  std::mutex mutex;
  caps_ptr caps;
  pad_ptr tee_sink;  // reset by ~source so late timers do nothing
  gint64 last_request_us = 0;
  bool requested_before = false;
  bool trailing_scheduled = false;

  // The throttle: at most one keyframe request per `throttle_us` goes to the
  // publisher. A request inside the window is not lost but deferred to the end
  // of the window (coalesced), so a subscriber that asked always gets a
  // keyframe that was produced after its request.
  bool admit(bool trailing, const std::shared_ptr<shared>& self) {
    std::lock_guard lock(mutex);
    gint64 now = g_get_monotonic_time();
    if (trailing || !requested_before || now - last_request_us >= throttle_us) {
      requested_before = true;
      last_request_us = now;
      counters->keyframe_requests.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    counters->keyframe_requests_coalesced.fetch_add(1, std::memory_order_relaxed);
    if (!trailing_scheduled) {
      trailing_scheduled = true;
      auto delay = std::chrono::milliseconds((last_request_us + throttle_us - now) / 1000 + 1);
      rt->post_after(delay, [weak = std::weak_ptr<shared>(self)] {
        if (auto s = weak.lock())
          s->send_trailing();
      });
    }
    return false;
  }

  void send_trailing() {
    pad_ptr pad;
    {
      std::lock_guard lock(mutex);
      trailing_scheduled = false;
      pad = retain(tee_sink.get());
    }
    if (pad)
      gst_pad_push_event(pad.get(), keyframe_event(true));
  }

  static GstEvent* keyframe_event(bool trailing) {
    // ssrc and payload are filled in upstream by rtpssrcdemux / rtpptdemux,
    // which rtpsession needs to turn this into a PLI (or FIR).
    GstStructure* s =
      gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, FALSE, nullptr);
    if (trailing)
      gst_structure_set(s, "vr-trailing", G_TYPE_BOOLEAN, TRUE, nullptr);
    return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s);
  }
};

namespace {

GstPadProbeReturn on_downstream_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<source::shared>(data);
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  switch (GST_EVENT_TYPE(ev)) {
    case GST_EVENT_EOS:
      // webrtcbin sends EOS out of a src pad when its m-line goes inactive;
      // into subscribers' webrtcbins it would end their whole send path.
      return GST_PAD_PROBE_DROP;
    case GST_EVENT_SEGMENT:
      info->data = share_segment(event_ptr(ev)).release();
      return GST_PAD_PROBE_OK;
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(ev, &caps);
      caps_ptr fwd = forwarded_caps(caps);
      bool changed;
      {
        std::lock_guard lock(st->mutex);
        changed = !st->caps || !gst_caps_is_equal(st->caps.get(), fwd.get());
        if (changed)
          st->caps = retain(fwd.get());
      }
      info->data = gst_event_new_caps(fwd.get());
      gst_event_unref(ev);
      if (changed && st->on_caps)
        st->on_caps(std::move(fwd));
      return GST_PAD_PROBE_OK;
    }
    default:
      return GST_PAD_PROBE_OK;
  }
}

// What the tee's push into a branch would do, without the push: a tee src
// pad that has events to send first (a new branch), is blocked or flushing,
// gets a real push (and `isolate`); an unlinked one (being removed) nothing.
void deliver(branch::state& b, GstBuffer* buf) {
  GstPad* pad = b.tee_src.get();
  if (!GST_PAD_IS_LINKED(pad)) {
    gst_buffer_unref(buf);
    return;
  }
  constexpr guint pushed =
    GST_PAD_FLAG_PENDING_EVENTS | GST_PAD_FLAG_BLOCKED | GST_PAD_FLAG_FLUSHING | GST_PAD_FLAG_EOS;
  if (GST_OBJECT_FLAGS(pad) & pushed)
    gst_pad_push(pad, buf);
  else
    forward(b, buf);
}

// The tee's sink pad. While every tee src pad is a branch (an HLS tap has one
// of its own), buffers go to the branches from here: the tee's own loop
// locks, references and pushes through each src pad's probe list per
// subscriber per packet. Events and buffer lists still go through the tee.
GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<source::shared>(data);
  gint64 now = g_get_monotonic_time();
  st->last_packet_us.store(now, std::memory_order_relaxed);
  if (voice_watch* voice = st->voice.load(std::memory_order_acquire)) {
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
      voice->read(GST_PAD_PROBE_INFO_BUFFER(info), now);
    } else {
      GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
      for (guint i = 0; i < gst_buffer_list_length(list); i++)
        voice->read(gst_buffer_list_get(list, i), now);
    }
  }
  extension_watch* ext = st->extension.load(std::memory_order_acquire);
  std::shared_ptr<const listener_list> listeners = st->listeners.load(std::memory_order_acquire);
  if (ext || !listeners->empty()) {
    auto each = [&](GstBuffer* buf) {
      if (ext)
        ext->read(buf);
      for (const auto& l : *listeners)
        (*l)(buf);
    };
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
      each(GST_PAD_PROBE_INFO_BUFFER(info));
    } else {
      GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
      for (guint i = 0; i < gst_buffer_list_length(list); i++)
        each(gst_buffer_list_get(list, i));
    }
  }
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  std::shared_ptr<const branch_list> branches = st->branches.load(std::memory_order_acquire);
  if (branches->empty() || static_cast<std::size_t>(st->tee->numsrcpads) != branches->size())
    return GST_PAD_PROBE_OK;
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  for (const auto& b : *branches)
    deliver(*b, gst_buffer_ref(buf));
  gst_buffer_unref(buf);
  info->data = nullptr;
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_OK;
  return GST_PAD_PROBE_HANDLED;
}

GstPadProbeReturn on_upstream_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<source::shared>(data);
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  const GstStructure* s = gst_event_get_structure(ev);
  if (!s || !gst_structure_has_name(s, "GstForceKeyUnit"))
    return GST_PAD_PROBE_OK;
  return st->admit(gst_structure_has_field(s, "vr-trailing"), st) ? GST_PAD_PROBE_OK
                                                                  : GST_PAD_PROBE_DROP;
}

}  // namespace

source::source(GstBin* pipeline, GstPad* webrtc_src, runtime& rt,
               std::chrono::milliseconds keyframe_throttle,
               std::shared_ptr<forward_counters> counters, std::function<void(caps_ptr)> on_caps)
    : pipeline_(pipeline),
      tee_(make_element("tee")),
      webrtc_src_(retain(webrtc_src)),
      shared_(std::make_shared<shared>()) {
  shared_->rt = &rt;
  shared_->tee = tee_.get();
  shared_->throttle_us =
    std::chrono::duration_cast<std::chrono::microseconds>(keyframe_throttle).count();
  shared_->on_caps = std::move(on_caps);
  shared_->counters = std::move(counters);
  if (caps_ptr current{gst_pad_get_current_caps(webrtc_src)})
    shared_->caps = forwarded_caps(current.get());

  // With no subscriber yet the tee has no src pad: that must not be an error.
  g_object_set(tee_.get(), "allow-not-linked", TRUE, nullptr);
  tee_sink_.reset(gst_element_get_static_pad(tee_.get(), "sink"));
  shared_->tee_sink = retain(tee_sink_.get());
  downstream_probe_ =
    add_probe(tee_sink_.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &on_downstream_event, shared_);
  upstream_probe_ =
    add_probe(tee_sink_.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, &on_upstream_event, shared_);
  buffer_probe_ = add_probe(
    tee_sink_.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
    &on_buffer, shared_);

  gst_bin_add(pipeline_, tee_.get());
  gst_element_sync_state_with_parent(tee_.get());
  gst_pad_link(webrtc_src, tee_sink_.get());
}

source::~source() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->tee_sink.reset();
  }
  // Removing the probes drops their references to `shared_` (no cycle via the pad).
  gst_pad_remove_probe(tee_sink_.get(), downstream_probe_);
  gst_pad_remove_probe(tee_sink_.get(), upstream_probe_);
  gst_pad_remove_probe(tee_sink_.get(), buffer_probe_);
  if (pad_ptr peer{gst_pad_get_peer(tee_sink_.get())})
    gst_pad_unlink(peer.get(), tee_sink_.get());
  gst_element_set_state(tee_.get(), GST_STATE_NULL);
  gst_bin_remove(pipeline_, tee_.get());
}

caps_ptr source::caps() const {
  std::lock_guard lock(shared_->mutex);
  return retain(shared_->caps.get());
}

std::chrono::milliseconds source::idle_for() const {
  gint64 last = shared_->last_packet_us.load(std::memory_order_relaxed);
  if (!last)
    return std::chrono::milliseconds::max();
  return std::chrono::milliseconds((g_get_monotonic_time() - last) / 1000);
}

void source::watch_voice(unsigned ext_id, voice_activity_config cfg,
                         std::function<void(bool speech)> on_change) {
  std::lock_guard lock(shared_->mutex);
  if (shared_->voice_owner)
    return;
  shared_->voice_owner.reset(new voice_watch{ext_id, voice_activity(cfg), std::move(on_change)});
  shared_->voice.store(shared_->voice_owner.get(), std::memory_order_release);
}

void source::watch_extension(unsigned ext_id, std::function<void(std::string)> on_value) {
  std::lock_guard lock(shared_->mutex);
  if (shared_->extension_owner || !ext_id)
    return;
  shared_->extension_owner.reset(new extension_watch{ext_id, std::move(on_value)});
  shared_->extension.store(shared_->extension_owner.get(), std::memory_order_release);
}

// Copy-on-write like the branch list: the probe reads the list per buffer.
void source::add_listener(std::shared_ptr<const listener> l) {
  std::lock_guard lock(shared_->mutex);
  auto next = std::make_shared<listener_list>(*shared_->listeners.load());
  next->push_back(std::move(l));
  shared_->listeners.store(std::move(next), std::memory_order_release);
}

void source::remove_listener(const std::shared_ptr<const listener>& l) {
  std::lock_guard lock(shared_->mutex);
  auto next = std::make_shared<listener_list>(*shared_->listeners.load());
  std::erase(*next, l);
  shared_->listeners.store(std::move(next), std::memory_order_release);
}

std::function<void()> source::keyframe_requester() const {
  return [weak = std::weak_ptr<shared>(shared_)] {
    auto s = weak.lock();
    if (!s)
      return;
    pad_ptr pad;
    {
      std::lock_guard lock(s->mutex);
      pad = retain(s->tee_sink.get());
    }
    if (pad)
      gst_pad_push_event(pad.get(), shared::keyframe_event(false));
  };
}

void source::request_keyframe() {
  gst_pad_push_event(tee_sink_.get(), shared::keyframe_event(false));
}

// --- branch ----------------------------------------------------------------

namespace {

// Forwards buffers to the webrtcbin sink pad ourselves and always reports OK
// upstream: a failing subscriber (flushing, erroring, gone) must never return
// an error through the tee, which would stop the publisher's track for
// everybody.
GstPadProbeReturn isolate(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<branch::state>(data);
  if (!GST_PAD_IS_LINKED(pad))
    return GST_PAD_PROBE_DROP;  // being unlinked by ~branch
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    forward(*st, GST_PAD_PROBE_INFO_BUFFER(info));
  } else {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    guint n = gst_buffer_list_length(list);
    std::uint64_t bytes = 0;
    for (guint i = 0; i < n; i++)
      bytes += gst_buffer_get_size(gst_buffer_list_get(list, i));
    st->counters->packets.fetch_add(n, std::memory_order_relaxed);
    st->counters->bytes.fetch_add(bytes, std::memory_order_relaxed);
    if (st->route.chain_list(list) != GST_FLOW_OK)
      st->counters->dropped.fetch_add(n, std::memory_order_relaxed);
  }
  info->data = nullptr;  // ownership went to gst_pad_chain
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_OK;
  return GST_PAD_PROBE_HANDLED;
}

// Copy-on-write: readers keep the list they loaded for one buffer.
void change_branches(source::shared& src, const std::function<void(branch_list&)>& change) {
  std::lock_guard lock(src.mutex);
  auto next = std::make_shared<branch_list>(*src.branches.load());
  change(*next);
  src.branches.store(std::move(next), std::memory_order_release);
}

}  // namespace

branch::branch(source& src, GstPad* webrtc_sink, std::shared_ptr<forward_counters> counters)
    : tee_(retain(src.tee())),
      webrtc_sink_(retain(webrtc_sink)),
      source_(src.shared_),
      st_(std::make_shared<state>(std::move(counters), webrtc_sink)) {
  // No queue: the publisher's streaming thread pushes into every subscriber's
  // webrtcbin itself, as an SFU in C would. A queue per branch cost a thread
  // and a hand-off (futex wake, context switch) per packet per subscriber,
  // most of the forwarding CPU. The send path after the sink pad does not
  // block once the connection is up (branches are linked only then): nicesink
  // drops what the socket cannot take.
  st_->tee_src.reset(gst_element_request_pad_simple(tee_.get(), "src_%u"));
  isolate_probe_ = add_probe(
    st_->tee_src.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
    &isolate, st_);
  gst_pad_link(st_->tee_src.get(), webrtc_sink_.get());
  change_branches(*source_, [&](branch_list& l) { l.push_back(st_); });
}

branch::~branch() {
  change_branches(*source_, [&](branch_list& l) { std::erase(l, st_); });
  gst_pad_unlink(st_->tee_src.get(), webrtc_sink_.get());
  gst_element_release_request_pad(tee_.get(), st_->tee_src.get());
  // The probe holds the state, which holds the pad: without this neither
  // would ever be freed, nor the subscriber's pads the route references.
  gst_pad_remove_probe(st_->tee_src.get(), isolate_probe_);
}

}  // namespace vr::media
