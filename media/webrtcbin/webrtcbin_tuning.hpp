// Works around (webrtcbin 1.22's inner elements, via deep-element-added):
// clocksync sync=true holding packets for the pipeline latency, rtpfunnel
// re-sending GstWebRtcBinUpdateTos and SEGMENT on every switch, the
// transportreceivebin queue's thread hand-off, rtpstorage keeping 250 ms of
// packets for FEC, rtpbin keeping every remote SSRC's jitterbuffer forever.
#pragma once

#include <gst/gst.h>

namespace vr::media {

// What tune_webrtcbin_element does beyond the always-safe changes; pass the
// bits with GINT_TO_POINTER as the handler's data.
enum tuning : int {
  nack_buffers = 1,      // rtpbin gets nack buffers instead of jitterbuffers
  autoremove_ssrcs = 2,  // a remote SSRC's stream is freed after BYE or timeout
  shortcuts = 4,         // buffers skip ghost pads and pass-through elements (pad_shortcut.hpp)
  no_fec_storage = 8,    // the remote sends no ULPFEC: keep no packets for FEC recovery
  immediate_nacks = 16   // retransmission requests go out at once (immediate_nack.hpp)
};

// A pipeline's "deep-element-added" handler: adjusts the elements webrtcbin
// 1.22 builds inside itself for forwarding without decoding (no clock sync,
// no per-packet events nobody reads, thread hand-offs fewer on receive). See
// the definitions for what each one costs.
void tune_webrtcbin_element(GstBin* pipeline, GstBin* sub_bin, GstElement* element,
                            gpointer tuning_bits);

}  // namespace vr::media
