// Works around (webrtcbin 1.22): every offer draws a new random RTX SSRC per
// sending m-line and sets it as rtprtxsend's `ssrc-map` on each description
// applied, while rtprtxsend takes a stream's RTX SSRC from that map only at the
// stream's first packet and keeps it. A stream negotiated in one offer whose
// first packet passes after a later offer was applied would send RTX on an SSRC
// the browser was never told. With `sdp::pin_rtx_ssrcs` keeping the offers'
// RTX SSRCs, this keeps rtprtxsend's map equal to them.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <map>

namespace vr::media {

// Sets `ssrc-map` (media SSRC → RTX SSRC) on every rtprtxsend inside
// `webrtcbin` (one per rtpbin session: one under BUNDLE). Call it after each
// description webrtcbin applied, since applying one sets webrtcbin's own map.
void set_rtx_ssrc_map(GstElement* webrtcbin, const std::map<std::uint32_t, std::uint32_t>& map);

}  // namespace vr::media
