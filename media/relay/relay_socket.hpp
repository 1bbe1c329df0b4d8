// The UDP socket of one end of a relay link, and the SRTP pieces both ends
// share. GStreamer/GLib only.
#pragma once

#include "media/gst_ptr.hpp"

#include <gio/gio.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vr::media {

using socket_ptr = gobject_ptr<GSocket>;

// A UDP socket bound on `address`, on the first free port of [min_port,
// max_port] (any port when both are 0); null if none is free.
socket_ptr bind_relay_socket(const std::string& address, std::uint16_t min_port,
                             std::uint16_t max_port);
std::uint16_t local_port(GSocket* socket);

// Counters of every relay of a session (/metrics), bumped on streaming threads.
struct relay_counters {
  std::atomic<std::uint64_t> packets_out{0}, bytes_out{0}, packets_in{0}, bytes_in{0};
  // Keyframe requests (PLI/FIR) sent to origin nodes, and received from
  // relaying nodes and passed to publishers; NACKs received (not answered).
  std::atomic<std::uint64_t> keyframe_requests_out{0}, keyframe_requests_in{0}, nacks_in{0};
};

// The caps srtpdec needs for any SSRC of a link (its request-key answer).
caps_ptr srtp_key_caps(const std::vector<std::uint8_t>& key);
// A GstBuffer of the key for srtpenc's `key` property.
buffer_ptr srtp_key_buffer(const std::vector<std::uint8_t>& key);

// A request sink pad of srtpenc, "<prefix>sink_<n>", and its src pad,
// "<prefix>src_<n>" (srtpenc pairs them by the number in their names, so
// they are named, not left to the default "padN").
std::pair<pad_ptr, pad_ptr> srtpenc_pads(GstElement* srtpenc, const std::string& prefix,
                                         unsigned n);

// The SSRC of an RTP packet (also SRTP: its header is not encrypted); 0 if too short.
std::uint32_t rtp_ssrc(GstBuffer* buf);

// A PLI (RFC 4585) for `media_ssrc`, as one RTCP packet.
buffer_ptr make_pli(std::uint32_t media_ssrc);
// What a received RTCP buffer asks for: the media SSRCs of its PLIs and FIRs,
// and how many NACK packets it carries.
struct rtcp_feedback {
  std::vector<std::uint32_t> keyframe_ssrcs;
  unsigned nacks = 0;
};
rtcp_feedback read_feedback(GstBuffer* buf);

}  // namespace vr::media
