// RTX SSRCs of a subscribe connection stay put across its re-offers: webrtcbin
// 1.22 draws new ones in every offer while its rtprtxsend keeps the first, and
// a browser drops retransmissions on an SSRC its last offer did not name.
#include "media/sdp.hpp"
#include "test/media/room_fixture.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace vr;
using namespace vr::test;

namespace {

media::sdp_ptr parse(const std::string& text) {
  GstSDPMessage* msg = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &msg);
  return media::sdp_ptr(msg);
}

std::string text(const GstSDPMessage& msg) {
  media::gchar_ptr s(gst_sdp_message_as_text(&msg));
  return s.get();
}

// media SSRC → RTX SSRC of every `a=ssrc-group:FID` in `sdp`.
std::map<std::uint32_t, std::uint32_t> fid_groups(const std::string& sdp) {
  std::map<std::uint32_t, std::uint32_t> out;
  static const std::regex fid("a=ssrc-group:FID (\\d+) (\\d+)");
  for (std::sregex_iterator it(sdp.begin(), sdp.end(), fid), end; it != end; ++it)
    out[std::stoul((*it)[1])] = std::stoul((*it)[2]);
  return out;
}

// A one-video offer as webrtcbin writes it: media SSRC 1111, RTX SSRC `rtx`.
std::string offer_with_rtx(const std::string& rtx) {
  return "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE video0\r\n"
         "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:video0\r\na=sendonly\r\n"
         "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
         "a=ssrc-group:FID 1111 " +
         rtx + "\r\na=ssrc:1111 msid:pub trans0\r\na=ssrc:1111 cname:c\r\na=ssrc:" + rtx +
         " msid:pub trans0\r\na=ssrc:" + rtx + " cname:c\r\n";
}

}  // namespace

TEST_CASE("pin_rtx_ssrcs keeps a stream's first RTX SSRC in later offers", "[rtx]") {
  std::map<std::uint32_t, std::uint32_t> pinned;
  auto first = parse(offer_with_rtx("2222"));
  media::sdp::pin_rtx_ssrcs(*first, pinned);
  CHECK(pinned == std::map<std::uint32_t, std::uint32_t>{{1111, 2222}});
  CHECK(text(*first).find("a=ssrc-group:FID 1111 2222") != std::string::npos);

  // The next offer names a new RTX SSRC: every line of it becomes the first one.
  auto second = parse(offer_with_rtx("3333"));
  media::sdp::pin_rtx_ssrcs(*second, pinned);
  std::string out = text(*second);
  CHECK(out.find("3333") == std::string::npos);
  CHECK(out.find("a=ssrc-group:FID 1111 2222\r\n") != std::string::npos);
  CHECK(out.find("a=ssrc:2222 msid:pub trans0\r\n") != std::string::npos);
  CHECK(out.find("a=ssrc:2222 cname:c\r\n") != std::string::npos);
  CHECK(out.find("a=ssrc:1111 cname:c\r\n") != std::string::npos);
  CHECK(pinned.size() == 1);
}

TEST_CASE("a subscriber's video keeps its RTX SSRC when a re-offer adds tracks", "[rtx]") {
  room r;
  auto viewer = r.join("viewer", false);
  peer_options video_only;
  video_only.audio = false;
  auto a = r.join("alice", true, video_only);
  REQUIRE(wait_until([&] {
    return r.track_of("alice", "video") != "" && viewer->packets(r.track_of("alice", "video")) > 10;
  }));
  auto before = fid_groups(r.last_subscribe_offer("viewer"));
  REQUIRE(before.size() == 1);

  // A second publisher: the viewer's next offer has alice's video again.
  auto b = r.join("bob", true);
  REQUIRE(
    wait_until([&] { return r.tracks_of("bob").size() == 2 && viewer->offers_received() >= 2; }));
  REQUIRE(wait_until([&] { return viewer->packets(r.track_of("bob", "video")) > 10; }));
  auto after = fid_groups(r.last_subscribe_offer("viewer"));
  CHECK(after.size() == 2);
  CHECK(after.at(before.begin()->first) == before.begin()->second);
  CHECK(r.errors().empty());
}
