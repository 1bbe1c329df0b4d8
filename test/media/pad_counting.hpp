// Probes that count what crosses a pad, and a stream's opening events, for
// the forwarding, shortcut and NACK tests.
#pragma once

#include "media/gst_ptr.hpp"

#include <atomic>

namespace vr::media::test {

inline GstPadProbeReturn count_buffer(GstPad*, GstPadProbeInfo*, gpointer n) {
  ++*static_cast<std::atomic<int>*>(n);
  return GST_PAD_PROBE_OK;
}

// Counts the buffers through `pad` into `n` (which must outlive the pad's flow).
inline void count_buffers(GstPad* pad, std::atomic<int>& n) {
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &count_buffer, &n, nullptr);
}

inline pad_ptr static_pad(GstElement* e, const char* name) {
  return pad_ptr(gst_element_get_static_pad(e, name));
}

// Sends stream-start, `caps` and a TIME segment into `sink`, as the element
// upstream would before its first buffer: they stick to the pads behind it.
inline void send_stream_events(GstPad* sink, const char* stream_id, GstCaps* caps) {
  gst_pad_send_event(sink, gst_event_new_stream_start(stream_id));
  gst_pad_send_event(sink, gst_event_new_caps(caps));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_send_event(sink, gst_event_new_segment(&segment));
}

}  // namespace vr::media::test
