// Works around (webrtcbin 1.22's inner elements, via deep-element-added):
// clocksync sync=true holding packets for the pipeline latency, rtpfunnel
// re-sending GstWebRtcBinUpdateTos and SEGMENT on every switch, the
// transportreceivebin queue's thread hand-off, rtpstorage keeping 250 ms of
// packets for FEC, rtpbin keeping every remote SSRC's jitterbuffer forever.
// See webrtcbin_tuning.hpp.
#include "media/webrtcbin/webrtcbin_tuning.hpp"

#include "media/gst_ptr.hpp"
#include "media/webrtcbin/immediate_nack.hpp"
#include "media/webrtcbin/nack_buffer.hpp"
#include "media/webrtcbin/pad_shortcut.hpp"
#include "media/webrtcbin/ssrc_clearing.hpp"

#include <cstring>
#include <memory>

namespace vr::media {
namespace {

// rtpfunnel (BUNDLE: every m-line into one transport) re-sends the sticky
// events of its input whenever the input switches between m-lines, i.e. on
// nearly every forwarded packet when tracks interleave (1400 events/s per
// subscriber in a 6-publisher mesh). Two of them are useless to us:
// - webrtcbin's "GstWebRtcBinUpdateTos" (the mid, for DSCP marking from the
//   transceiver's priority; we set no priorities): dropped where it enters
//   the funnel, so there is nothing to re-send;
// - repeated SEGMENTs: nothing after the funnel uses them (nicesink does not
//   sync), so only the first reaches the transport.
bool is_tos_update(GstEvent* event) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
    return false;
  const GstStructure* s = gst_event_get_structure(event);
  return s && gst_structure_has_name(s, "GstWebRtcBinUpdateTos");
}

GstPadProbeReturn drop_tos_updates(GstPad*, GstPadProbeInfo* info, gpointer) {
  return is_tos_update(GST_PAD_PROBE_INFO_EVENT(info)) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

GstPadProbeReturn drop_repeats(GstPad* pad, GstPadProbeInfo* info, gpointer) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (is_tos_update(event))
    return GST_PAD_PROBE_DROP;
  if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  pad_ptr peer{gst_pad_get_peer(pad)};
  event_ptr had{peer ? gst_pad_get_sticky_event(peer.get(), GST_EVENT_SEGMENT, 0) : nullptr};
  return had ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

void on_funnel_pad(GstElement*, GstPad* pad, gpointer) {
  if (GST_PAD_IS_SINK(pad))
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &drop_tos_updates, nullptr,
                      nullptr);
}

// transportreceivebin is nicesrc ! capsfilter ! queue ! dtlssrtpdec. The
// queue lets webrtcbin hold (block) received data until the connection is
// ready; after that it is only a thread hand-off per received packet: a futex
// wake, a context switch and a second thread per connection doing half the
// work. Once its output is no longer blocked and it is empty, buffers are
// chained straight into dtlssrtpdec from the nicesrc thread, as the queue
// would have pushed them, in order. Events still go through the queue, which
// stays empty.
struct receive_queue {
  explicit receive_queue(GstElement* q) : queue(q), src(gst_element_get_static_pad(q, "src")) {}
  GstElement* queue;  // owns the pad this state is attached to
  pad_ptr src;
  bool direct = false;  // only the nicesrc streaming thread reads and writes it
};

bool in_webrtcbin(GstElement* element) {
  for (GstObject* parent = GST_OBJECT_PARENT(element); parent; parent = GST_OBJECT_PARENT(parent))
    if (!std::strcmp(G_OBJECT_TYPE_NAME(parent), "GstWebRTCBin"))
      return true;
  return false;
}

// Whether `element`'s bin is of the GType named `type` (webrtcbin's inner
// bins have no public headers to test against).
bool parent_is(GstElement* element, const char* type) {
  GstObject* parent = GST_OBJECT_PARENT(element);
  return parent && !std::strcmp(G_OBJECT_TYPE_NAME(parent), type);
}

GstPadProbeReturn skip_receive_queue(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& st = unbox<receive_queue>(data);
  // A blocking probe on the queue's output: webrtcbin is holding data back.
  if (GST_PAD_IS_BLOCKED(st->src.get())) {
    st->direct = false;
    return GST_PAD_PROBE_OK;
  }
  pad_ptr peer{gst_pad_get_peer(st->src.get())};
  if (!peer)
    return GST_PAD_PROBE_OK;
  if (!st->direct) {
    guint level = 1;
    g_object_get(st->queue, "current-level-buffers", &level, nullptr);
    if (level != 0)
      return GST_PAD_PROBE_OK;  // what is queued goes first
    // The stream's events (dropped while blocked, re-sent by the queue with
    // its next buffer) must be downstream before buffers go there directly.
    if (event_ptr seg{gst_pad_get_sticky_event(peer.get(), GST_EVENT_SEGMENT, 0)}; !seg)
      return GST_PAD_PROBE_OK;
    st->direct = true;
  }
  GstFlowReturn ret = (info->type & GST_PAD_PROBE_TYPE_BUFFER)
                        ? gst_pad_chain(peer.get(), GST_PAD_PROBE_INFO_BUFFER(info))
                        : gst_pad_chain_list(peer.get(), GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  info->data = nullptr;  // ownership went to gst_pad_chain
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = ret;
  return GST_PAD_PROBE_HANDLED;
}

}  // namespace

// Adjusts elements webrtcbin creates inside itself.
void tune_webrtcbin_element(GstBin*, GstBin*, GstElement* element, gpointer tuning_bits) {
  int bits = GPOINTER_TO_INT(tuning_bits);
  GstElementFactory* factory = gst_element_get_factory(element);  // transfer none
  if (!factory)
    return;
  const char* name = GST_OBJECT_NAME(factory);
  if ((bits & shortcuts) && in_webrtcbin(element))
    shortcut_src_pads(element);
  if (!std::strcmp(name, "clocksync")) {
    // One before every sink pad (sync=true): it would hold each forwarded
    // packet until its timestamp plus the pipeline latency. Forwarded packets
    // are already paced by the publisher.
    g_object_set(element, "sync", FALSE, nullptr);
  } else if (!std::strcmp(name, "rtpfunnel")) {
    g_signal_connect(element, "pad-added", G_CALLBACK(&on_funnel_pad), nullptr);
    if (pad_ptr src{gst_element_get_static_pad(element, "src")})
      gst_pad_add_probe(src.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &drop_repeats, nullptr,
                        nullptr);
  } else if (!std::strcmp(name, "funnel") && (bits & shortcuts) &&
             parent_is(element, "GstDtlsSrtpEnc")) {
    // DTLS, then SRTP, into the socket: nicesink has no use for the SRTP
    // input's caps and segment, which the funnel would otherwise re-send on
    // every switch between the two. Without them it is skipped (pad_shortcut).
    g_object_set(element, "forward-sticky-events", FALSE, nullptr);
  } else if (!std::strcmp(name, "queue") && parent_is(element, "TransportReceiveBin")) {
    gst_object_ptr<GstPad> sink{gst_element_get_static_pad(element, "sink")};
    add_probe(sink.get(),
              GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
              &skip_receive_queue, std::make_shared<receive_queue>(element));
  } else if (!std::strcmp(name, "rtpsession")) {
    if (bits & immediate_nacks)
      send_nacks_immediately(element);
  } else if (!std::strcmp(name, "rtpbin")) {
    // Free a remote SSRC's receive stream (with a jitterbuffer, its two
    // threads) after BYE or RTCP timeout, instead of keeping it for the
    // connection's life. Not rtpbin's "autoremove": it clears the SSRC from
    // the RTCP thread while packets of it may still arrive (ssrc_clearing.hpp).
    if (bits & autoremove_ssrcs) {
      auto forget = +[](GstElement* rtpbin, guint session, guint ssrc, gpointer) {
        clear_ssrcs_when_idle(rtpbin, session, {ssrc});
      };
      g_signal_connect(element, "on-timeout", G_CALLBACK(forget), nullptr);
      g_signal_connect(element, "on-bye-timeout", G_CALLBACK(forget), nullptr);
    }
    // webrtcbin's own handler (connected first) sizes the storage to keep
    // every packet for the jitterbuffer's latency, for ULPFEC recovery: a
    // reference held on every packet, which also makes rtpulpfecdec copy each
    // one to write to it. Our publish answers accept no ULPFEC.
    if (bits & no_fec_storage)
      g_signal_connect(element, "new-storage",
                       G_CALLBACK(+[](GstElement*, GstElement* storage, guint, gpointer) {
                         g_object_set(storage, "size-time", guint64{0}, nullptr);
                       }),
                       nullptr);
    if (bits & nack_buffers)
      g_signal_connect(element, "request-jitterbuffer",
                       G_CALLBACK(+[](GstElement*, guint, gpointer) { return make_nack_buffer(); }),
                       nullptr);
  }
}

}  // namespace vr::media
