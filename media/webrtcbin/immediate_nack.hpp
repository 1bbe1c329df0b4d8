// Works around (rtpsession 1.22, as webrtcbin uses it): NACKs go out on RFC
// 4585's early-feedback schedule, and requests whose deadline passes first are
// dropped ("Removing N expired NACKS"); these are sent at once instead.
//
// NACKs sent the moment a loss is seen, as libwebrtc and Janus send them.
// rtpsession schedules feedback by RFC 4585's early-RTCP rules: one early
// packet, then nothing until a regular report interval (about 0.6 s on a
// publish connection) has passed, and a request whose deadline passes first
// is dropped. With more than one loss per interval most NACKs came too late
// or never, and the subscribers saw the loss. The server's own requests
// (upstream "GstRTPRetransmissionRequest" events from the nack buffer) are
// turned into an RTCP NACK here and chained straight into the connection's
// RTCP send path (SRTCP encoder, then the socket); rtpsession only gets the
// request while that path is not up yet. Requests the nack buffer sends in
// a row for one packet (marked, see nack_buffer.hpp) go out as one NACK.
#pragma once

#include "media/gst_ptr.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vr::media {

// One generic NACK entry (RFC 4585 6.2.1): packet `pid`, and bit i of `blp`
// for packet pid + i + 1.
struct nack_entry {
  std::uint16_t pid = 0, blp = 0;
};

// Entries asking for `seqnums`, in the order given: a number up to 16 after
// an entry's PID goes into its bitmask, any other starts an entry. At most
// `max_nack_entries` (one packet of ours holds them); numbers beyond are left
// out, and the nack buffer asks for them again.
inline constexpr std::size_t max_nack_entries = 128;
std::vector<nack_entry> nack_entries(std::span<const std::uint16_t> seqnums);

// A compound RTCP packet asking `media_ssrc` for `seqnums` again: an empty
// receiver report and an SDES CNAME (RFC 3550 requires both first), then a
// generic NACK with `nack_entries(seqnums)`.
GstBuffer* make_nack_packet(std::uint32_t sender_ssrc, const std::string& cname,
                            std::uint32_t media_ssrc, std::span<const std::uint16_t> seqnums);

// Installs the immediate NACKs on an rtpsession element (rtpbin's child):
// retransmission requests reaching its "recv_rtp_src" pad are sent at once
// through its "send_rtcp_src" pad's path and go no further.
void send_nacks_immediately(GstElement* rtpsession);

}  // namespace vr::media
