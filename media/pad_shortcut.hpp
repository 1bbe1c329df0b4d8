// Shortcuts through webrtcbin's inner wiring: a forwarded packet crosses about
// thirty pads between the publisher's socket and the subscriber's socket, half
// of them ghost pads of the bins webrtcbin nests (rtpbin, transport bins,
// dtlssrtpenc/dec) or elements that only pass buffers on. Every hop is a pad
// push: object locks, a stream lock, references of pad and peer. A shortcut
// chains the buffer from the first such pad straight into the first pad that
// does work, and checks on every buffer that the path it skips is still the
// path a push would take.
#pragma once

#include "media/gst_ptr.hpp"

namespace vr::media {

// Whether `element` passes buffers on as they are in its current settings,
// so a buffer may be chained past it: clocksync without sync, and webrtcbin's
// FEC and RED elements while no ULPFEC or RED payload type is in use.
bool passes_through(GstElement* element);

// The pad a buffer chained into `sink` ends up at when it only crosses ghost
// pads and pass-through elements; `sink` itself if the way there is not
// complete yet (unlinked, blocked, events pending) or nothing can be skipped.
pad_ptr chain_target(GstPad* sink);

// Makes buffers pushed out of `element`'s src pads (present and added later)
// skip the ghost pads and pass-through elements behind them. The skipped path
// is found at the first buffer and checked on every buffer: a changed link, a
// blocking probe, a flushing, EOS or pending-events flag on a skipped pad, or
// a property change on a skipped element sends buffers the normal way again.
// Not for pads whose buffers must be seen by probes on the skipped pads.
void shortcut_src_pads(GstElement* element);

}  // namespace vr::media
