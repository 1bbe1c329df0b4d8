// Owning smart pointers for GStreamer and GLib objects, plus helpers to hand
// C++ state to C callbacks. Every GLib/GStreamer reference in media/ lives in
// one of these, so a reference can neither leak nor be dropped twice.
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <memory>
#include <string>
#include <utility>

namespace vr::media {

namespace detail {
template <auto Fn>
struct call_deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p)
      Fn(p);
  }
};
inline void unref_gst_object(gpointer p) { gst_object_unref(p); }
inline void unref_gobject(gpointer p) { g_object_unref(p); }
inline void free_sdp(GstSDPMessage* p) { gst_sdp_message_free(p); }
// Some unref functions are `static inline` in the GStreamer headers; a
// deleter templated on them would give every type using it internal linkage.
inline void unref_caps(GstCaps* p) { gst_caps_unref(p); }
inline void unref_event(GstEvent* p) { gst_event_unref(p); }
inline void unref_buffer(GstBuffer* p) { gst_buffer_unref(p); }
inline void unref_promise(GstPromise* p) { gst_promise_unref(p); }
}  // namespace detail

// GstObject subclasses (elements, pads, buses, transceivers, ...).
template <typename T>
using gst_object_ptr = std::unique_ptr<T, detail::call_deleter<detail::unref_gst_object>>;
using element_ptr = gst_object_ptr<GstElement>;
using pad_ptr = gst_object_ptr<GstPad>;
using bus_ptr = gst_object_ptr<GstBus>;

// Plain GObjects (NiceAgent, ...).
template <typename T>
using gobject_ptr = std::unique_ptr<T, detail::call_deleter<detail::unref_gobject>>;

using caps_ptr = std::unique_ptr<GstCaps, detail::call_deleter<detail::unref_caps>>;
using event_ptr = std::unique_ptr<GstEvent, detail::call_deleter<detail::unref_event>>;
using buffer_ptr = std::unique_ptr<GstBuffer, detail::call_deleter<detail::unref_buffer>>;
using structure_ptr = std::unique_ptr<GstStructure, detail::call_deleter<gst_structure_free>>;
using promise_ptr = std::unique_ptr<GstPromise, detail::call_deleter<detail::unref_promise>>;
using sdp_ptr = std::unique_ptr<GstSDPMessage, detail::call_deleter<detail::free_sdp>>;
using description_ptr = std::unique_ptr<GstWebRTCSessionDescription,
                                        detail::call_deleter<gst_webrtc_session_description_free>>;
using gchar_ptr = std::unique_ptr<gchar, detail::call_deleter<g_free>>;
using source_ptr = std::unique_ptr<GSource, detail::call_deleter<g_source_unref>>;
using context_ptr = std::unique_ptr<GMainContext, detail::call_deleter<g_main_context_unref>>;
using loop_ptr = std::unique_ptr<GMainLoop, detail::call_deleter<g_main_loop_unref>>;
using iterator_ptr = std::unique_ptr<GstIterator, detail::call_deleter<gst_iterator_free>>;
using error_ptr = std::unique_ptr<GError, detail::call_deleter<g_error_free>>;

// Takes an additional reference (for borrowed pointers).
template <typename T>
gst_object_ptr<T> retain(T* p) {
  if (p)
    gst_object_ref(p);
  return gst_object_ptr<T>(p);
}
inline caps_ptr retain(GstCaps* c) { return caps_ptr(c ? gst_caps_ref(c) : nullptr); }

// A new element we own outright: the floating reference is sunk, so adding it
// to a bin gives the bin its own reference and ours stays valid until reset.
inline element_ptr make_element(const char* factory, const char* name = nullptr) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (e)
    gst_object_ref_sink(e);
  return element_ptr(e);
}

inline std::string to_string(gchar_ptr s) { return s ? std::string(s.get()) : std::string(); }

// The "media" field of RTP caps ("audio", "video"); "" if there is none.
inline std::string caps_kind(const GstCaps* caps) {
  if (!caps || gst_caps_is_empty(caps))
    return "";
  const char* media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
  return media ? media : "";
}

// Parses SDP text; nullptr if it is not SDP. Empty text is not (and
// gst_sdp_message_parse_buffer would log a GLib critical for it).
inline sdp_ptr parse_sdp(const std::string& text) {
  if (text.empty())
    return nullptr;
  GstSDPMessage* msg = nullptr;
  if (gst_sdp_message_new(&msg) != GST_SDP_OK)
    return nullptr;
  sdp_ptr owned(msg);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()),
                                   static_cast<guint>(text.size()), msg) != GST_SDP_OK)
    return nullptr;
  return owned;
}
inline std::string sdp_text(const GstSDPMessage* msg) {
  return to_string(gchar_ptr(gst_sdp_message_as_text(msg)));
}
inline sdp_ptr copy_sdp(const GstSDPMessage* msg) {
  GstSDPMessage* copy = nullptr;
  gst_sdp_message_copy(msg, &copy);
  return sdp_ptr(copy);
}

// --- C callback plumbing -------------------------------------------------
// A heap-allocated shared_ptr used as GLib user data: the callback borrows the
// state, and GLib's destroy notify (fired on disconnect or object death) drops
// our reference. This keeps callback state alive exactly as long as GLib can
// still call us.
template <typename T>
gpointer box(std::shared_ptr<T> p) {
  return new std::shared_ptr<T>(std::move(p));
}
template <typename T>
std::shared_ptr<T>& unbox(gpointer data) {
  return *static_cast<std::shared_ptr<T>*>(data);
}
template <typename T>
void unbox_free(gpointer data) {
  delete static_cast<std::shared_ptr<T>*>(data);
}
template <typename T>
void unbox_free_closure(gpointer data, GClosure*) {
  delete static_cast<std::shared_ptr<T>*>(data);
}

// Connects a signal whose handler gets a shared_ptr<T> as last argument.
template <typename T, typename Handler>
gulong connect(gpointer instance, const char* signal, Handler handler, std::shared_ptr<T> state) {
  return g_signal_connect_data(instance, signal, G_CALLBACK(handler), box(std::move(state)),
                               &unbox_free_closure<T>, GConnectFlags(0));
}

// Adds a pad probe whose callback gets a shared_ptr<T> as user data.
template <typename T>
gulong add_probe(GstPad* pad, GstPadProbeType mask, GstPadProbeCallback cb,
                 std::shared_ptr<T> state) {
  return gst_pad_add_probe(pad, mask, cb, box(std::move(state)), &unbox_free<T>);
}

}  // namespace vr::media
