#pragma once

#include <gst/gst.h>

namespace vr::media {

// A room pipeline's "deep-element-added" handler: adjusts the elements
// webrtcbin 1.22 builds inside itself for forwarding without decoding
// (no clock sync, no per-packet events nobody reads, one thread hand-off fewer
// on receive). See the definitions for what each one costs. `data`: non-zero
// (GINT_TO_POINTER(1)) to give rtpbin nack buffers instead of jitterbuffers.
void tune_webrtcbin_element(GstBin* pipeline, GstBin* sub_bin, GstElement* element, gpointer data);

}  // namespace vr::media
