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
  // relaying nodes and passed to publishers. Packets the receiving end found
  // missing and asked again (NACK), and those the sending end sent again.
  std::atomic<std::uint64_t> keyframe_requests_out{0}, keyframe_requests_in{0};
  std::atomic<std::uint64_t> nacked_out{0}, retransmitted{0};
  // A link's counters also count in the session's totals.
  std::shared_ptr<relay_counters> total;

  void add(std::atomic<std::uint64_t> relay_counters::*field, std::uint64_t n) {
    (this->*field).fetch_add(n, std::memory_order_relaxed);
    if (total)
      ((*total).*field).fetch_add(n, std::memory_order_relaxed);
  }
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

// The sequence number of an RTP packet.
std::uint16_t rtp_seq(GstBuffer* buf);

// A PLI (RFC 4585) for `media_ssrc`, as one RTCP packet.
buffer_ptr make_pli(std::uint32_t media_ssrc);
// A generic NACK (RFC 4585) for the sequence numbers `seqs` of `media_ssrc`.
buffer_ptr make_nack(std::uint32_t media_ssrc, const std::vector<std::uint16_t>& seqs);
// What a received RTCP buffer asks for: the media SSRCs of its PLIs and FIRs,
// and the (SSRC, sequence number) of each packet its NACKs name.
struct rtcp_feedback {
  std::vector<std::uint32_t> keyframe_ssrcs;
  std::vector<std::pair<std::uint32_t, std::uint16_t>> nacked;
};
rtcp_feedback read_feedback(GstBuffer* buf);

}  // namespace vr::media
