#include "media/webrtcbin/rtx_ssrc_map.hpp"

#include "media/bin_elements.hpp"
#include "media/gst_ptr.hpp"

#include <cstring>
#include <string>

namespace vr::media {

void pin_rtx_ssrc_map(GstElement* webrtcbin, const std::map<std::uint32_t, std::uint32_t>& map) {
  structure_ptr s(gst_structure_new_empty("application/x-rtp-ssrc-map"));
  for (auto [media, rtx] : map)
    gst_structure_set(s.get(), std::to_string(media).c_str(), G_TYPE_UINT, guint(rtx), nullptr);
  // Setting the same map twice (after a resync) is harmless.
  for_each_element(GST_BIN(webrtcbin), true, [&](GstElement* e) {
    if (made_by(e, "rtprtxsend"))
      g_object_set(e, "ssrc-map", s.get(), nullptr);
  });
}

}  // namespace vr::media
