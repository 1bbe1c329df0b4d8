// Works around (rtpbin 1.22): `clear-ssrc`/`autoremove` race with the
// streaming threads (rtpssrcdemux "Padname src_N is not unique", the receive
// path stops), and a cleared stream's FEC output pad is left behind.
//
// Frees a remote SSRC's receive stream in a webrtcbin's rtpbin without the
// race in rtpbin's own clear-ssrc.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <vector>

namespace vr::media {

// rtpbin's clear-ssrc (GStreamer 1.22) makes rtpssrcdemux drop the SSRC from
// its list, let rtpbin tear the stream down, and only then remove the SSRC's
// pads. A packet or RTCP report of that SSRC arriving in between makes the
// demux create a pad of the same name, which fails ("Padname src_N is not
// unique"); rtpbin cannot link it, and the whole receive path stops with
// not-linked. This clears while both pads that feed the demux (RTP and RTCP
// out of the rtpsession) are held idle, so nothing can arrive in between.
// Call it from a thread that does not stream (a main loop); it may wait there
// until the streaming threads finish the buffer they are pushing.
void clear_ssrcs_when_idle(GstElement* rtpbin, guint session,
                           const std::vector<std::uint32_t>& ssrcs);

}  // namespace vr::media
