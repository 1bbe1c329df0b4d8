// Works around (webrtcbin 1.22): every offer draws a new random RTX SSRC per
// sending m-line, and webrtcbin sets rtprtxsend's `ssrc-map` from those
// whenever a description is applied and when a sink pad's stream is connected
// (`_connect_input_stream`, at the pad's first CAPS event, in the thread that
// sends it). rtprtxsend takes a stream's RTX SSRC from that map only once, at
// the stream's first packet, and keeps it: a stream whose first packet follows
// such a set would send RTX on an SSRC the browser was never told. With
// `sdp::pin_rtx_ssrcs` keeping the offers' RTX SSRCs, the session sets this
// map again after each of those (the caps are sent by the session itself,
// before a branch is linked). `ssrc-map` is write-only: no notify to hook.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <map>

namespace vr::media {

// Sets `ssrc-map` (media SSRC → RTX SSRC) on every rtprtxsend inside
// `webrtcbin` (one per rtpbin session: one under BUNDLE). Entries webrtcbin
// had for other SSRCs go: they are audio's, which has no RTX.
void pin_rtx_ssrc_map(GstElement* webrtcbin, const std::map<std::uint32_t, std::uint32_t>& map);

}  // namespace vr::media
