#include "media/webrtcbin/rtx_ssrc_map.hpp"

#include "media/gst_ptr.hpp"

#include <cstring>
#include <mutex>
#include <string>

namespace vr::media {
namespace {

// Per rtprtxsend (object data), shared with its notify handler.
struct pinned {
  std::mutex mutex;
  std::map<std::uint32_t, std::uint32_t> map;
};

constexpr const char* data_key = "vr-rtx-ssrc-pin";

// The element's map with our entries over it; null if it already has them.
structure_ptr with_pins(GstElement* rtxsend, pinned& p) {
  GstStructure* raw = nullptr;
  g_object_get(rtxsend, "ssrc-map", &raw, nullptr);
  structure_ptr current(raw ? raw : gst_structure_new_empty("application/x-rtp-ssrc-map"));
  bool changed = false;
  std::lock_guard lock(p.mutex);
  for (auto [media, rtx] : p.map) {
    std::string key = std::to_string(media);
    guint have = 0;
    if (gst_structure_get_uint(current.get(), key.c_str(), &have) && have == rtx)
      continue;
    gst_structure_set(current.get(), key.c_str(), G_TYPE_UINT, guint(rtx), nullptr);
    changed = true;
  }
  return changed ? std::move(current) : nullptr;
}

// Runs in the thread that set the map (webrtcbin's, a streaming thread, ours);
// our own set notifies again and then finds nothing to change.
void on_map_set(GObject* obj, GParamSpec*, gpointer data) {
  auto* e = GST_ELEMENT(obj);
  if (structure_ptr s = with_pins(e, *static_cast<pinned*>(data)))
    g_object_set(e, "ssrc-map", s.get(), nullptr);
}

void pin_one(GstElement* rtxsend, const std::map<std::uint32_t, std::uint32_t>& map) {
  auto* p = static_cast<pinned*>(g_object_get_data(G_OBJECT(rtxsend), data_key));
  if (!p) {
    // Only the media thread calls this, so the data is attached once; it and
    // the handler go with the element.
    p = new pinned;
    g_object_set_data_full(G_OBJECT(rtxsend), data_key, p,
                           [](gpointer d) { delete static_cast<pinned*>(d); });
    g_signal_connect(rtxsend, "notify::ssrc-map", G_CALLBACK(on_map_set), p);
  }
  {
    std::lock_guard lock(p->mutex);
    p->map = map;
  }
  on_map_set(G_OBJECT(rtxsend), nullptr, p);
}

}  // namespace

void pin_rtx_ssrc_map(GstElement* webrtcbin, const std::map<std::uint32_t, std::uint32_t>& map) {
  // Pinning the same element twice (after a resync) is harmless.
  iterator_ptr it(gst_bin_iterate_recurse(GST_BIN(webrtcbin)));
  for (bool done = false; !done;) {
    GValue item = G_VALUE_INIT;
    switch (gst_iterator_next(it.get(), &item)) {
      case GST_ITERATOR_OK: {
        auto* e = GST_ELEMENT(g_value_get_object(&item));
        GstElementFactory* f = gst_element_get_factory(e);
        if (f && !std::strcmp(GST_OBJECT_NAME(f), "rtprtxsend"))
          pin_one(e, map);
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
