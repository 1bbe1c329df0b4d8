// Works around (webrtcbin 1.22 with libnice 0.1.21's `nicesrc`): the element
// quits its streaming thread's GMainLoop once per received packet (a wakeup
// write, a poll and a read per packet); ours is registered under its name.
//
// webrtcbin reads each ICE transport with libnice's `nicesrc`. Per received
// packet, that element's read callback quits the main loop its streaming
// thread runs, which signals the loop's wakeup fd; the next read then polls
// once more just to find and clear that signal: a write, a poll and a read
// that do nothing, per packet.
//
// Our `nicesrc` does the same work without them: the streaming thread
// iterates the context libnice delivers to (its sockets, STUN included) until
// a packet is queued, so a packet costs one poll and libnice's receive. Only a
// flush (unlock) from another thread wakes the context. Properties, states
// and buffers (live, timestamped) are as libnice's element has them.
#pragma once

namespace vr::media {

// Registers our element under the name "nicesrc", the one webrtcbin makes,
// in place of libnice's. libnice's plugin is loaded first: loading it later
// would register its element again over ours. Once per process, after
// gst_init; false if libnice's plugin is missing (webrtcbin then fails as it
// would without it).
bool replace_nicesrc();

}  // namespace vr::media
