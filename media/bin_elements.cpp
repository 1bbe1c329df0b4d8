#include "media/bin_elements.hpp"

#include "media/gst_ptr.hpp"

#include <cstring>

namespace vr::media {

void for_each_element(GstBin* bin, bool recurse, const std::function<void(GstElement*)>& fn,
                      const std::function<void()>& on_resync) {
  iterator_ptr it(recurse ? gst_bin_iterate_recurse(bin) : gst_bin_iterate_elements(bin));
  for (bool done = false; !done;) {
    GValue item = G_VALUE_INIT;
    switch (gst_iterator_next(it.get(), &item)) {
      case GST_ITERATOR_OK:
        fn(GST_ELEMENT(g_value_get_object(&item)));
        g_value_unset(&item);
        break;
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync(it.get());
        if (on_resync)
          on_resync();
        break;
      default:
        done = true;
    }
  }
}

bool made_by(GstElement* e, const char* factory) {
  GstElementFactory* f = gst_element_get_factory(e);
  return f && !std::strcmp(GST_OBJECT_NAME(f), factory);
}

}  // namespace vr::media
