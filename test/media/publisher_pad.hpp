// A publisher's webrtcbin src pad for forwarding tests: a bare pad the
// test thread pushes stream-start, caps, segment and RTP buffers out of.
#pragma once

#include "media/gst_ptr.hpp"

#include <gst/rtp/rtp.h>

#include <string>

namespace vr::media::test {

inline event_ptr segment_event(GstClockTime base) {
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  seg.base = base;
  return event_ptr(gst_event_new_segment(&seg));
}

struct publisher_pad {
  pad_ptr pad;
  guint16 seq = 0;
  guint32 ssrc;

  explicit publisher_pad(guint32 ssrc_) : pad(gst_pad_new(nullptr, GST_PAD_SRC)), ssrc(ssrc_) {
    gst_object_ref_sink(pad.get());
    gst_pad_set_active(pad.get(), TRUE);
  }
  ~publisher_pad() { gst_pad_set_active(pad.get(), FALSE); }

  void start() {
    gst_pad_push_event(pad.get(), gst_event_new_stream_start(std::to_string(ssrc).c_str()));
    caps_ptr caps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video",
                                      "encoding-name", G_TYPE_STRING, "VP8", "payload", G_TYPE_INT,
                                      96, "clock-rate", G_TYPE_INT, 90000, "ssrc", G_TYPE_UINT,
                                      ssrc, nullptr));
    gst_pad_push_event(pad.get(), gst_event_new_caps(caps.get()));
    // Every publisher's own event object, as every webrtcbin makes its own.
    gst_pad_push_event(pad.get(), segment_event(0).release());
  }

  GstFlowReturn push() {
    GstBuffer* buf = gst_rtp_buffer_new_allocate(100, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_payload_type(&rtp, 96);
    gst_rtp_buffer_set_ssrc(&rtp, ssrc);
    gst_rtp_buffer_set_seq(&rtp, seq++);
    gst_rtp_buffer_unmap(&rtp);
    return gst_pad_push(pad.get(), buf);
  }
};

}  // namespace vr::media::test
