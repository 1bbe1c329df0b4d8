// Works around (rtpbin/webrtcbin 1.22): rtpjitterbuffer hands every received
// packet to a thread of its own, and webrtcbin sets its `do-retransmission`
// from the last transceiver of the session, so publishers' video was never
// NACKed; publish connections get this element instead.
#pragma once

#include <gst/gst.h>

namespace vr::media {

// What rtpbin gets instead of an rtpjitterbuffer on publish connections
// (its "request-jitterbuffer" signal). rtpjitterbuffer hands every packet to
// a thread of its own, to reorder and re-time it for playback; an SFU needs
// neither, and that hand-off was a wake-up per received packet. This element
// passes packets on at once, in the receiving thread, in arrival order, and
// keeps the one thing of the jitterbuffer forwarding needs: it asks the
// publisher for missing packets (upstream "GstRTPRetransmissionRequest"
// events, which rtpsession turns into RTCP NACKs and rtprtxreceive matches
// with the RTX answers) for video streams, which the server's publish
// transceivers negotiate NACK for ("do-retransmission" is accepted but not
// trusted: webrtcbin 1.22 sets it wrongly, see nack_buffer.cpp). Retransmitted
// packets are passed on when they come, late, like reordered ones: the
// subscribers' jitterbuffers order them.
GstElement* make_nack_buffer();

// A boolean field of those requests: TRUE when another request (of the same
// stream) follows at once. The requests one packet brings about (the gap it
// reveals, the retries that are due) are sent in a row, so they can be asked
// for in one NACK (immediate_nack.hpp). Requests without it stand alone.
inline constexpr const char* more_requests_field = "vr-more";

// The number of retransmission requests a nack buffer sent (tests).
guint64 nack_buffer_requests(GstElement* element);

}  // namespace vr::media
