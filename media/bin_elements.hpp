// Walking the elements of a bin (webrtcbin's insides, a whole pipeline).
#pragma once

#include <gst/gst.h>

#include <functional>

namespace vr::media {

// Calls `fn` for each element of `bin` (of its sub-bins too with `recurse`),
// taking the bin's locks, so from any thread. When the bin changes meanwhile
// the walk starts over, after `on_resync` (e.g. to drop a count).
void for_each_element(GstBin* bin, bool recurse, const std::function<void(GstElement*)>& fn,
                      const std::function<void()>& on_resync = {});

// Whether `e` was made by the element factory named `factory` ("rtpbin").
bool made_by(GstElement* e, const char* factory);

}  // namespace vr::media
