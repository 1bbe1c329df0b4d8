// SDP munging for the publish connection, and reading m-lines of our offers.
//
// webrtcbin 1.22 cannot change a transceiver's direction after the first
// negotiation, and setting a bundled receiving m-line `inactive` stops media on
// the whole connection. So webrtcbin always sees publish m-lines as
// "the browser sends" and the browser alone is told `inactive`/rejected.
#pragma once

#include "media/gst_ptr.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vr::media::sdp {

struct publish_mline {
  std::string mid;
  std::string kind;        // "audio", "video" or the SDP media name
  bool port_zero = false;  // stopped by the browser
  bool sending = false;    // the browser offers to send (sendonly/sendrecv)
  bool accepted = false;   // we will receive it (codec supported, allowed by room)
  std::string refusal;     // why not accepted, when the browser wanted to send
  // Audio: the offered id of the audio-level header extension (0: not
  // offered). Our answer accepts it with the same id.
  unsigned audio_level_id = 0;
  // Simulcast (codec_policy::simulcast only): the offer's `a=rid:<id> send`,
  // in its `a=simulcast:send` order; accepted in the answer as `recv`.
  std::vector<std::string> rids;
  unsigned rid_ext_id = 0;  // the offer's sdes:rtp-stream-id extmap id, with rids
};

struct publish_plan {
  sdp_ptr for_webrtcbin;  // filtered codecs, directions pinned to "sending"
  std::vector<publish_mline> mlines;
};

struct codec_policy {
  bool audio_only = false;
  bool prefer_h264 = false;
  // Accept a=simulcast / a=rid in answers. webrtcbin 1.22 writes neither, so
  // without this the browser sends one encoding (media/README.md, Simulcast).
  bool simulcast = false;
};

// nullopt if the offer has no m-line mids (required by BUNDLE and by us).
std::optional<publish_plan> plan_publish_offer(const GstSDPMessage& offer, codec_policy);

// webrtcbin's answer → the browser's answer: m-lines we do not receive become
// `inactive` (or port 0 where the browser stopped them), accepted audio
// m-lines get the offered audio-level extmap (webrtcbin 1.22 answers none),
// accepted m-lines with rids get `a=rid:<id> recv` and `a=simulcast:recv`, and
// the offer's mid/rid header extensions. Updates `plan` with m-lines webrtcbin
// itself rejected.
sdp_ptr answer_for_browser(const GstSDPMessage& answer, publish_plan& plan);

// Adds the offer's transport-wide-cc extmap to webrtcbin's own answer on the
// accepted m-lines, before it is set as the local description: webrtcbin 1.22
// answers no extmap and takes its RTP session's receive caps from its answer,
// so only then does the session know the extension id and send transport-cc
// feedback (the browser's send-side estimate needs it; with the extension in
// the browser's answer only, the browser gets none and its estimate collapses).
void accept_transport_cc(GstSDPMessage& answer, const publish_plan& plan);

// The id of `uri` in the m-line's `a=extmap:<id>[/<direction>] <uri>`, 0 if absent.
unsigned extmap_id(const GstSDPMedia& m, const std::string& uri);

struct mline_ssrcs {
  std::string mid;
  std::vector<std::uint32_t> ssrcs;
};
std::vector<mline_ssrcs> ssrcs_by_mline(const GstSDPMessage& msg);

// webrtcbin 1.22 draws a new random RTX SSRC for every sending m-line in every
// offer (`_pick_rtx_payload_types`), while its rtprtxsend keeps, per stream, the
// RTX SSRC it took at the stream's first packet: after a re-offer the browser
// is told an RTX SSRC nobody sends and drops every retransmission. Rewrites
// each `a=ssrc-group:FID <media> <rtx>` (and the rtx `a=ssrc` lines) of the
// offer to the RTX SSRC `pinned` holds for <media>; media SSRCs seen for the
// first time are added to `pinned` with the offered RTX SSRC.
void pin_rtx_ssrcs(GstSDPMessage& offer, std::map<std::uint32_t, std::uint32_t>& pinned);

// True if the m-line at `index` exists and has a non-zero port.
bool mline_accepted(const GstSDPMessage& msg, unsigned index);

}  // namespace vr::media::sdp
