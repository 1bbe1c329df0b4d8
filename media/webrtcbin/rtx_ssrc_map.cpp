#include "media/webrtcbin/rtx_ssrc_map.hpp"

#include "media/gst_ptr.hpp"

#include <cstring>
#include <string>

namespace vr::media {

void pin_rtx_ssrc_map(GstElement* webrtcbin, const std::map<std::uint32_t, std::uint32_t>& map) {
  structure_ptr s(gst_structure_new_empty("application/x-rtp-ssrc-map"));
  for (auto [media, rtx] : map)
    gst_structure_set(s.get(), std::to_string(media).c_str(), G_TYPE_UINT, guint(rtx), nullptr);
  // Setting the same map twice (after a resync) is harmless.
  iterator_ptr it(gst_bin_iterate_recurse(GST_BIN(webrtcbin)));
  for (bool done = false; !done;) {
    GValue item = G_VALUE_INIT;
    switch (gst_iterator_next(it.get(), &item)) {
      case GST_ITERATOR_OK: {
        auto* e = GST_ELEMENT(g_value_get_object(&item));
        GstElementFactory* f = gst_element_get_factory(e);
        if (f && !std::strcmp(GST_OBJECT_NAME(f), "rtprtxsend"))
          g_object_set(e, "ssrc-map", s.get(), nullptr);
        g_value_unset(&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync(it.get());
        break;
      default:
        done = true;
    }
  }
}

}  // namespace vr::media
