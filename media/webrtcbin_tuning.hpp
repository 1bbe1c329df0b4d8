#pragma once

#include <gst/gst.h>

namespace vr::media {

// A room pipeline's "deep-element-added" handler: adjusts the elements
// webrtcbin 1.22 builds inside itself for forwarding without decoding
// (no clock sync, no per-packet events nobody reads, one thread hand-off fewer
// on receive). See the definitions for what each one costs.
void tune_webrtcbin_element(GstBin* pipeline, GstBin* sub_bin, GstElement* element, gpointer);

}  // namespace vr::media
