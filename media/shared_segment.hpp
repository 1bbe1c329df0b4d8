// One segment event object shared by every forwarded stream with the same
// segment. A subscriber's webrtcbin funnels all the tracks it receives into
// one RTP session (rtpfunnel), and rtpfunnel pushes the segment of the input
// it switches to on every switch, i.e. on nearly every packet when tracks of
// several publishers interleave. A segment event that differs from the one
// stored downstream travels all the way to the subscriber's nicesink (rtprtx,
// rtpsession, srtpenc, funnel, basesink, a dozen pads); the same event object
// stops at rtpfunnel's src pad, which already holds it.
#pragma once

#include "media/gst_ptr.hpp"

namespace vr::media {

// Takes a SEGMENT event and returns the shared event with an equal segment,
// or `segment` itself, which becomes the shared one, if none is equal.
event_ptr share_segment(event_ptr segment);

}  // namespace vr::media
