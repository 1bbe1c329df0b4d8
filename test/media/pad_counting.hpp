// Probes that count what crosses a pad, for the forwarding and shortcut tests.
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

inline pad_ptr static_pad(GstElement* e, const char* name) { return pad_ptr(gst_element_get_static_pad(e, name)); }

}  // namespace vr::media::test
