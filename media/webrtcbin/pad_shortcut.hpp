// Works around (webrtcbin 1.22): the bins webrtcbin nests (rtpbin, transport
// bins, dtlssrtpenc/dec) and its pass-through elements (clocksync, FEC/RED
// encoders and decoders, rtpfunnel, dtlssrtpenc's funnel) made a forwarded
// packet cross 33 pads; shortcuts chain buffers past them.
//
// Shortcuts through webrtcbin's inner wiring: a forwarded packet crosses about
// thirty pads between the publisher's socket and the subscriber's socket, half
// of them ghost pads of the bins webrtcbin nests (rtpbin, transport bins,
// dtlssrtpenc/dec) or elements that only pass buffers on. Every hop is a pad
// push: object locks, a stream lock, references of pad and peer. A shortcut
// chains the buffer from the first such pad straight into the first pad that
// does work, and checks on every buffer that the path it skips is still the
// path a push would take. An rtpfunnel (BUNDLE) is crossed too once it has
// sent its own stream-start and caps, while no input uses TWCC, and so is a
// plain funnel that forwards no input's events on a switch, with its src
// pad's stream lock held as its own push would hold it.
#pragma once

#include "media/gst_ptr.hpp"

namespace vr::media {

// Whether `element` passes buffers on as they are in its current settings,
// so a buffer may be chained past it: clocksync without sync, and webrtcbin's
// FEC and RED elements while no ULPFEC or RED payload type is in use.
bool passes_through(GstElement* element);

// The pad a buffer chained into `sink` ends up at when it only crosses ghost
// pads and pass-through elements; `sink` itself if the way there is not
// complete yet (unlinked, blocked, flushing, events pending; `sink`'s own
// flags included), crosses a funnel (whose lock the caller would not hold) or
// nothing can be skipped. Found anew on every call.
pad_ptr chain_target(GstPad* sink);

// Chains buffers into `entry` the way a shortcut does: straight into the
// first pad past it that does work while the path there is as found (the
// entry's own flags included), checked per buffer; otherwise into the entry.
// For a caller outside the skipped elements, e.g. a tee branch chaining into
// a webrtcbin sink pad. One streaming thread at a time.
class checked_route {
public:
  explicit checked_route(GstPad* entry);
  ~checked_route();
  checked_route(const checked_route&) = delete;
  checked_route& operator=(const checked_route&) = delete;

  GstFlowReturn chain(GstBuffer* buffer);
  GstFlowReturn chain_list(GstBufferList* list);

private:
  struct state;
  std::unique_ptr<state> st_;
};

// Makes buffers pushed out of `element`'s src pads (present and added later)
// skip the ghost pads and pass-through elements behind them. The skipped path
// is found at the first buffer and checked on every buffer: a changed link, a
// blocking probe, a flushing, EOS or pending-events flag on a skipped pad, or
// a property change on a skipped element sends buffers the normal way again.
// Not for pads whose buffers must be seen by probes on the skipped pads.
void shortcut_src_pads(GstElement* element);

}  // namespace vr::media
