// Works around (rtpfunnel 1.22, in every webrtcbin): the funnel re-sends the
// SEGMENT of the input it switches to on every switch between m-lines; one
// shared segment object makes those re-sends store nothing new.
//
// One segment event object shared by every forwarded stream with the same
// segment. A subscriber's webrtcbin funnels all the tracks it receives into
// one RTP session (rtpfunnel), and rtpfunnel pushes the segment of the input
// it switches to on every switch, i.e. on most packets when several
// publishers' tracks interleave. A segment object new to rtpfunnel's src pad
// is stored there as a pending sticky event and offered downstream, where
// webrtcbin_tuning's probe drops it again; the object the pad already holds
// is not even stored.
#pragma once

#include "media/gst_ptr.hpp"

namespace vr::media {

// Takes a SEGMENT event and returns the shared event with an equal segment,
// or `segment` itself, which becomes the shared one, if none is equal.
event_ptr share_segment(event_ptr segment);

}  // namespace vr::media
