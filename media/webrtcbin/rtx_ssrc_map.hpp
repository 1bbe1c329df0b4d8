// Works around (webrtcbin 1.22): every offer draws a new random RTX SSRC per
// sending m-line, and webrtcbin sets rtprtxsend's `ssrc-map` from those
// whenever a description is applied and, from the streaming thread, at the
// first buffer of each sink pad SSRC (`peek_sink_buffer`: an audio m-line's
// first packet resets the video's entry too). rtprtxsend takes a stream's RTX
// SSRC from that map only once, at the stream's first packet, and keeps it. A
// stream whose first packet passed after any of those sets would send RTX on
// an SSRC the browser was never told. With `sdp::pin_rtx_ssrcs` keeping the
// offers' RTX SSRCs, this keeps rtprtxsend's map at them.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <map>

namespace vr::media {

// Pins the `ssrc-map` entries (media SSRC → RTX SSRC) of every rtprtxsend
// inside `webrtcbin` (one per rtpbin session: one under BUNDLE) to `map`, now
// and whenever webrtcbin sets the map again (a notify handler restores our
// entries in the thread that set it, keeping webrtcbin's others). Call it with
// the whole map after each description webrtcbin applied (a new rtprtxsend
// may exist).
void pin_rtx_ssrc_map(GstElement* webrtcbin, const std::map<std::uint32_t, std::uint32_t>& map);

}  // namespace vr::media
