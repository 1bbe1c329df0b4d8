// Works around (rtpfunnel 1.22, in every webrtcbin): the funnel re-sends the
// SEGMENT of the input it switches to on every switch between m-lines; one
// shared segment object makes those re-sends store nothing new.
// See shared_segment.hpp.
#include "media/webrtcbin/shared_segment.hpp"

#include <mutex>

namespace vr::media {

event_ptr share_segment(event_ptr segment) {
  // Publishers' segments are all the default live TIME segment in practice,
  // so one remembered event is enough; another segment replaces it.
  static std::mutex mutex;
  static GstEvent* shared = nullptr;  // one small event, kept for the process's life

  const GstSegment* seg = nullptr;
  gst_event_parse_segment(segment.get(), &seg);
  std::lock_guard lock(mutex);
  if (shared) {
    const GstSegment* known = nullptr;
    gst_event_parse_segment(shared, &known);
    if (gst_segment_is_equal(known, seg))
      return event_ptr(gst_event_ref(shared));
  }
  gst_event_replace(&shared, segment.get());
  return segment;
}

}  // namespace vr::media
