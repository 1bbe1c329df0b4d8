// libFuzzer target: SDP from a browser through everything media/ does with it
// (media/sdp.hpp, called by media/session/publisher.cpp and subscriber.cpp):
// a publish offer planned under both codec policies, webrtcbin's answer turned
// into the browser's, and a subscribe answer's m-lines and ssrcs read.
//
// Input: OFFER, optionally followed by a NUL byte and ANSWER (the answer
// webrtcbin would give; without one, the offer planned for webrtcbin stands in).
// GLib criticals (a GStreamer SDP function handed something it refuses) abort.
#include "media/gst_ptr.hpp"
#include "media/sdp.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace sdp = vr::media::sdp;
using vr::media::parse_sdp;
using vr::media::sdp_text;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_log_set_always_fatal(
    static_cast<GLogLevelFlags>(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR | G_LOG_FATAL_MASK));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto nul = input.find('\0');
  std::string offer_text = input.substr(0, nul);
  std::string answer_text = nul == std::string::npos ? std::string{} : input.substr(nul + 1);

  vr::media::sdp_ptr offer = parse_sdp(offer_text);
  if (!offer)
    return 0;
  vr::media::sdp_ptr answer = answer_text.empty() ? nullptr : parse_sdp(answer_text);

  // Subscriber side: the browser's answer to our offer (here: either text).
  for (const GstSDPMessage* msg : {offer.get(), answer.get()}) {
    if (!msg)
      continue;
    (void)sdp::ssrcs_by_mline(*msg);
    for (unsigned i = 0; i <= gst_sdp_message_medias_len(msg) + 1; i++)
      (void)sdp::mline_accepted(*msg, i);
  }

  // Publisher side.
  for (sdp::codec_policy policy :
       {sdp::codec_policy{false, false}, sdp::codec_policy{true, true}}) {
    auto plan = sdp::plan_publish_offer(*offer, policy);
    if (!plan)
      continue;
    (void)sdp_text(plan->for_webrtcbin.get());
    const GstSDPMessage& webrtcbin_answer = answer ? *answer : *plan->for_webrtcbin;
    vr::media::sdp_ptr for_browser = sdp::answer_for_browser(webrtcbin_answer, *plan);
    (void)sdp_text(for_browser.get());
  }
  return 0;
}
