// A send-time stamp in the last bytes of an RTP payload: a magic number and
// g_get_monotonic_time() when the packet left its publisher. Receivers in the
// same process read the one-way delay from it, even through a server that
// rewrites SSRCs, sequence numbers and timestamps (Janus does). The payload's
// tail is overwritten, so stamped media is for counting, not for decoding.
#pragma once

#include <gst/gst.h>

namespace vr::test {

// Stamps the RTP packet in `*buf` (made writable; payloads under 16 bytes are
// left alone). Returns false when it is not RTP.
bool stamp_rtp(GstBuffer** buf);
// The stamp's send time (µs, monotonic) if `buf` carries one.
bool read_stamp(GstBuffer* buf, gint64& sent_us);

}  // namespace vr::test
