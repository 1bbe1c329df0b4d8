// Works around (rtpbin/webrtcbin 1.22): rtpjitterbuffer hands every received
// packet to a thread of its own, and webrtcbin sets its `do-retransmission`
// from the last transceiver of the session, so publishers' video was never
// NACKed; publish connections get this element instead.
// See nack_buffer.hpp.
#include "media/webrtcbin/nack_buffer.hpp"

#include "media/gst_ptr.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace vr::media {
namespace {

// How a gap is chased: a request when it is seen, then again every
// `retry_us` while packets keep coming, `max_tries` times in all, for at most
// `give_up_us`. A jump of more than `max_gap` packets is a new stream, not loss.
constexpr gint64 retry_us = 40'000;
constexpr int max_tries = 3;
constexpr gint64 give_up_us = 1'000'000;
constexpr std::uint64_t max_gap = 256;
constexpr std::size_t max_missing = 512;

// Only the streaming thread of the sink pad touches this, except the atomics
// (properties, counters).
struct nack_state {
  std::atomic<bool> do_retransmission{false};  // what webrtcbin set (see video below)
  std::atomic<guint> latency_ms{200};
  std::atomic<guint64> requests{0};

  bool started = false;
  bool video = false;         // from the caps of the first packet's payload type
  std::uint64_t highest = 0;  // extended sequence number
  struct miss {
    gint64 first_us, last_us;
    int tries;
  };
  std::map<std::uint64_t, miss> missing;

  // The extended number of `seq` nearest to the highest seen.
  std::uint64_t extend(std::uint16_t seq) const {
    std::uint64_t base = highest & ~std::uint64_t{0xffff};
    std::uint64_t ext = base | seq;
    if (ext + 0x8000 < highest)
      ext += 0x10000;
    else if (ext > highest + 0x8000 && ext >= 0x10000)
      ext -= 0x10000;
    return ext;
  }
};

struct VrNackBuffer {
  GstElement parent;
  GstPad* sink;
  GstPad* src;
  alignas(nack_state) unsigned char storage[sizeof(nack_state)];
  nack_state& state() { return *std::launder(reinterpret_cast<nack_state*>(storage)); }
};

struct VrNackBufferClass {
  GstElementClass parent_class;
};

enum {
  prop_0,
  prop_latency,
  prop_do_retransmission
};

guint request_pt_map_signal = 0;

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS("application/x-rtp"));
GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
// rtpbin links RTCP (sender reports, for lip sync) to a jitterbuffer's
// "sink_rtcp"; forwarding has no use for them here.
GstStaticPadTemplate rtcp_template = GST_STATIC_PAD_TEMPLATE(
  "sink_rtcp", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS("application/x-rtcp"));

GType vr_nack_buffer_get_type();
G_DEFINE_TYPE(VrNackBuffer, vr_nack_buffer, GST_TYPE_ELEMENT)

VrNackBuffer* self_of(GstObject* parent) { return reinterpret_cast<VrNackBuffer*>(parent); }

// rtpsession sends the RTCP NACK within deadline - delay - avg-rtt: before
// the next try is due. `more`: another request follows at once
// (nack_buffer.hpp).
void request(VrNackBuffer* self, std::uint32_t ssrc, std::uint64_t seq, const nack_state::miss& m,
             gint64 now_us, bool more) {
  auto& st = self->state();
  GstStructure* s = gst_structure_new(
    "GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT, static_cast<guint>(seq & 0xffff), "ssrc",
    G_TYPE_UINT, ssrc, "retry", G_TYPE_UINT, static_cast<guint>(m.tries - 1), "delay", G_TYPE_UINT,
    static_cast<guint>((now_us - m.first_us) / 1000), "deadline", G_TYPE_UINT,
    static_cast<guint>(retry_us / 1000), "avg-rtt", G_TYPE_UINT, 0u, more_requests_field,
    G_TYPE_BOOLEAN, more, nullptr);
  st.requests.fetch_add(1, std::memory_order_relaxed);
  gst_pad_push_event(self->sink, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
}

// Video streams are repaired (the server's publish transceivers do NACK for
// video only). webrtcbin 1.22 sets "do-retransmission" on each new
// jitterbuffer from every SSRC of the session in turn, not from the stream's
// own, so the last transceiver's setting wins; the stream's kind comes from
// rtpbin instead, through the signal it answers for jitterbuffers.
bool is_video(VrNackBuffer* self, guint pt) {
  GstCaps* raw = nullptr;
  g_signal_emit(self, request_pt_map_signal, 0, pt, &raw);
  return caps_kind(caps_ptr(raw).get()) == "video";
}

// Notes the packet's sequence number: new gaps are asked for, filled ones
// forgotten, and gaps still open are asked for again when due.
void track(VrNackBuffer* self, GstBuffer* buf) {
  auto& st = self->state();
  guint8 head[12];
  if (gst_buffer_extract(buf, 0, head, sizeof head) != sizeof head || (head[0] >> 6) != 2)
    return;
  auto seq = static_cast<std::uint16_t>(head[2] << 8 | head[3]);
  std::uint32_t ssrc = std::uint32_t{head[8]} << 24 | std::uint32_t{head[9]} << 16 |
                       std::uint32_t{head[10]} << 8 | head[11];
  gint64 now = g_get_monotonic_time();

  if (!st.started) {
    st.video = is_video(self, head[1] & 0x7f);
    st.started = true;
    st.highest =
      0x10000 | seq;  // one cycle up: a packet from before the first still extends below it
    return;
  }
  bool enabled = st.video;
  std::vector<std::pair<std::uint64_t, nack_state::miss>>
    due;  // asked for after both loops, in a row
  std::uint64_t ext = st.extend(seq);
  if (ext > st.highest) {
    std::uint64_t gap = ext - st.highest - 1;
    if (gap > max_gap) {
      st.missing.clear();  // a new stream, or a long outage: nothing to repair
    } else if (enabled) {
      for (std::uint64_t s = st.highest + 1; s < ext; ++s)
        due.emplace_back(s, st.missing[s] = {now, now, 1});
    }
    st.highest = ext;
  } else {
    st.missing.erase(ext);  // a retransmission, or reordered
  }
  for (auto it = st.missing.begin(); it != st.missing.end();) {
    auto& m = it->second;
    if (now - m.first_us > give_up_us || (m.tries >= max_tries && now - m.last_us >= retry_us) ||
        st.missing.size() > max_missing) {
      it = st.missing.erase(it);
      continue;
    }
    if (enabled && m.tries < max_tries && now - m.last_us >= retry_us) {
      m.tries++;
      m.last_us = now;
      due.emplace_back(it->first, m);
    }
    ++it;
  }
  for (std::size_t i = 0; i < due.size(); ++i)
    request(self, ssrc, due[i].first, due[i].second, now, i + 1 < due.size());
}

GstFlowReturn chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  auto* self = self_of(parent);
  track(self, buf);
  return gst_pad_push(self->src, buf);
}

GstFlowReturn chain_list(GstPad*, GstObject* parent, GstBufferList* list) {
  auto* self = self_of(parent);
  for (guint i = 0; i < gst_buffer_list_length(list); ++i)
    track(self, gst_buffer_list_get(list, i));
  return gst_pad_push_list(self->src, list);
}

GstFlowReturn drop_rtcp(GstPad*, GstObject*, GstBuffer* buf) {
  gst_buffer_unref(buf);
  return GST_FLOW_OK;
}

gboolean drop_rtcp_event(GstPad*, GstObject*, GstEvent* event) {
  gst_event_unref(event);
  return TRUE;
}

GstPad* request_new_pad(GstElement* element, GstPadTemplate* templ, const gchar* name,
                        const GstCaps*) {
  GstPad* pad = gst_pad_new_from_template(templ, name ? name : "sink_rtcp");
  gst_pad_set_chain_function(pad, drop_rtcp);
  gst_pad_set_event_function(pad, drop_rtcp_event);
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

void release_pad(GstElement* element, GstPad* pad) { gst_element_remove_pad(element, pad); }

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  auto& st = reinterpret_cast<VrNackBuffer*>(object)->state();
  switch (id) {
    case prop_latency:
      st.latency_ms = g_value_get_uint(value);
      break;
    case prop_do_retransmission:
      st.do_retransmission = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  auto& st = reinterpret_cast<VrNackBuffer*>(object)->state();
  switch (id) {
    case prop_latency:
      g_value_set_uint(value, st.latency_ms);
      break;
    case prop_do_retransmission:
      g_value_set_boolean(value, st.do_retransmission);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) {
  std::destroy_at(&reinterpret_cast<VrNackBuffer*>(object)->state());
  G_OBJECT_CLASS(vr_nack_buffer_parent_class)->finalize(object);
}

void vr_nack_buffer_class_init(VrNackBufferClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  object_class->finalize = finalize;
  // What rtpbin and webrtcbin set on a jitterbuffer without checking.
  g_object_class_install_property(
    object_class, prop_latency,
    g_param_spec_uint("latency", "Latency", "Accepted for rtpbin; packets are never held", 0,
                      G_MAXUINT, 200, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
    object_class, prop_do_retransmission,
    g_param_spec_boolean("do-retransmission", "Do retransmission",
                         "Accepted for webrtcbin; video streams are repaired (see is_video)", FALSE,
                         GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

  // rtpbin connects its payload-type map to a jitterbuffer's signal of this name.
  request_pt_map_signal =
    g_signal_new("request-pt-map", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, GST_TYPE_CAPS, 1, G_TYPE_UINT);

  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &rtcp_template);
  gst_element_class_set_static_metadata(
    element_class, "videoroom NACK buffer", "Filter/Network/RTP",
    "Passes RTP on at once and requests missing packets", "videoroom");
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;
}

void vr_nack_buffer_init(VrNackBuffer* self) {
  std::construct_at(&self->state());
  self->sink = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sink, chain);
  gst_pad_set_chain_list_function(self->sink, chain_list);
  GST_PAD_SET_PROXY_CAPS(self->sink);
  GST_PAD_SET_PROXY_ALLOCATION(self->sink);
  gst_element_add_pad(GST_ELEMENT(self), self->sink);
  self->src = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_SET_PROXY_CAPS(self->src);
  GST_PAD_SET_PROXY_ALLOCATION(self->src);
  gst_element_add_pad(GST_ELEMENT(self), self->src);
}

}  // namespace

GstElement* make_nack_buffer() {
  return GST_ELEMENT(g_object_new(vr_nack_buffer_get_type(), nullptr));
}

guint64 nack_buffer_requests(GstElement* element) {
  if (!element || !G_TYPE_CHECK_INSTANCE_TYPE(element, vr_nack_buffer_get_type()))
    return 0;
  return reinterpret_cast<VrNackBuffer*>(element)->state().requests.load();
}

}  // namespace vr::media
