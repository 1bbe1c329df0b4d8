// What the session answers to a browser's publish offer (no media needed).
#include "media/sdp.hpp"
#include "test/media/chrome_offer.hpp"
#include "test/media/room_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>

using namespace vr;
using namespace vr::test;

namespace {

struct answer_capture {
  std::mutex mutex;
  std::string sdp;
  std::map<std::string, std::string> mids;
  std::vector<std::string> errors;
};

// The m-line section of `sdp` for `kind` ("audio"/"video").
std::string section(const std::string& sdp, const std::string& kind) {
  auto start = sdp.find("m=" + kind);
  if (start == std::string::npos)
    return "";
  auto end = sdp.find("\nm=", start + 1);
  return sdp.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string first_line(const std::string& s) { return s.substr(0, s.find_first_of("\r\n")); }

std::string answer_to(const char* offer, media::session_config cfg, answer_capture& cap) {
  media::session_events ev;
  ev.publish_answer = [&](std::string, std::string sdp, std::map<std::string, std::string> mids) {
    std::lock_guard lock(cap.mutex);
    cap.sdp = std::move(sdp);
    cap.mids = std::move(mids);
  };
  ev.error = [&](std::string, std::string reason, std::string message) {
    std::lock_guard lock(cap.mutex);
    cap.errors.push_back(reason + ": " + message);
  };
  media::session s(std::move(cfg), ev);
  s.add_peer("chrome");
  s.publish_offer("chrome", offer);
  wait_until(
    [&] {
      std::lock_guard lock(cap.mutex);
      return !cap.sdp.empty() || !cap.errors.empty();
    },
    5s);
  std::lock_guard lock(cap.mutex);
  return cap.sdp;
}

}  // namespace

TEST_CASE("a Chrome publish offer is answered with one forwarded codec per m-line") {
  answer_capture cap;
  std::string answer = answer_to(chrome_publish_offer, loopback_config(), cap);
  INFO(answer);
  REQUIRE(!answer.empty());
  CHECK(cap.errors.empty());

  std::string audio = section(answer, "audio"), video = section(answer, "video");
  CHECK(first_line(audio) == "m=audio 9 UDP/TLS/RTP/SAVPF 111");
  CHECK(audio.find("a=recvonly") != std::string::npos);
  // webrtcbin 1.22 answers one codec, the first of the (filtered, reordered)
  // offer: VP8, with its RTX.
  CHECK(first_line(video) == "m=video 9 UDP/TLS/RTP/SAVPF 96 97");
  for (const char* gone : {"VP9", "AV1", "red/", "ulpfec", "profile-level-id=42001f",
                           "profile-level-id=640032", "packetization-mode=0"})
    CHECK(video.find(gone) == std::string::npos);
  CHECK(video.find("a=recvonly") != std::string::npos);
  CHECK(answer.find("a=group:BUNDLE 0 1") != std::string::npos);
  CHECK(cap.mids == std::map<std::string, std::string>{{"0", "chrome:0"}, {"1", "chrome:1"}});
  // The audio-level extension is accepted with the offered id (voice
  // activity), on the audio m-line only; webrtcbin itself answers no extmap.
  CHECK(audio.find("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level") != std::string::npos);
  CHECK(video.find("a=extmap") == std::string::npos);
}

TEST_CASE("prefer_h264 answers H264 first") {
  answer_capture cap;
  auto cfg = loopback_config();
  cfg.prefer_h264 = true;
  std::string answer = answer_to(chrome_publish_offer, cfg, cap);
  INFO(answer);
  std::string video = section(answer, "video");
  CHECK(first_line(video) == "m=video 9 UDP/TLS/RTP/SAVPF 106 107");
  // Kept from the offer (webrtcbin alone would drop it: Baseline 1.0 for a browser).
  CHECK(video.find("profile-level-id=42e01f") != std::string::npos);
  CHECK(video.find("packetization-mode=1") != std::string::npos);
}

TEST_CASE("an offer without mids is refused with an error") {
  answer_capture cap;
  std::string offer = chrome_publish_offer;
  for (auto pos = offer.find("a=mid:"); pos != std::string::npos; pos = offer.find("a=mid:"))
    offer.erase(pos, offer.find('\n', pos) - pos + 1);
  answer_to(offer.c_str(), loopback_config(), cap);
  REQUIRE(cap.errors.size() == 1);
  CHECK(cap.errors[0].rfind("invalid_sdp", 0) == 0);
}

namespace {

// Chrome's offer for a camera sent with three rid encodings: no a=ssrc lines
// for the video m-line, a=rid + a=simulcast instead.
std::string chrome_simulcast_offer() {
  std::string offer = chrome_publish_offer;
  auto group = offer.find("a=ssrc-group:FID 2001 2002");
  REQUIRE(group != std::string::npos);
  offer.erase(group);
  offer += "a=rid:l send\r\na=rid:m send\r\na=rid:h send\r\na=simulcast:send l;m;h\r\n";
  return offer;
}

}  // namespace

TEST_CASE("webrtcbin alone answers a simulcast offer without simulcast") {
  answer_capture cap;
  std::string answer = answer_to(chrome_simulcast_offer().c_str(), loopback_config(), cap);
  INFO(answer);
  REQUIRE(!answer.empty());
  // The limit of 1.22 (media/README.md): the browser would send one encoding.
  CHECK(answer.find("a=simulcast") == std::string::npos);
  CHECK(answer.find("a=rid:") == std::string::npos);
}

TEST_CASE("with simulcast on, the answer accepts the offer's rids and their extensions") {
  answer_capture cap;
  auto cfg = loopback_config();
  cfg.simulcast = true;
  std::string answer = answer_to(chrome_simulcast_offer().c_str(), cfg, cap);
  INFO(answer);
  REQUIRE(!answer.empty());
  CHECK(cap.errors.empty());
  std::string audio = section(answer, "audio"), video = section(answer, "video");
  CHECK(video.find("a=rid:l recv\r\na=rid:m recv\r\na=rid:h recv\r\n") != std::string::npos);
  CHECK(video.find("a=simulcast:recv l;m;h") != std::string::npos);
  CHECK(video.find("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid") != std::string::npos);
  CHECK(video.find("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") !=
        std::string::npos);
  CHECK(audio.find("a=simulcast") == std::string::npos);
  CHECK(first_line(video) == "m=video 9 UDP/TLS/RTP/SAVPF 96 97");
  // Transport-wide sequence numbers, answered as offered (webrtcbin sends the
  // transport-cc feedback), on both m-lines: one transport under BUNDLE.
  for (const auto& m : {audio, video}) {
    CHECK(
      m.find(
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01") !=
      std::string::npos);
    CHECK(m.find("transport-cc") != std::string::npos);
  }
}

TEST_CASE("with simulcast on, the plan names the video rids and their extension id") {
  media::sdp_ptr offer = media::parse_sdp(chrome_simulcast_offer());
  REQUIRE(offer);
  auto plan = media::sdp::plan_publish_offer(*offer, {.simulcast = true});
  REQUIRE(plan);
  for (const auto& ml : plan->mlines) {
    INFO(ml.mid);
    if (ml.kind == "video") {
      CHECK(ml.rids == std::vector<std::string>{"l", "m", "h"});
      CHECK(ml.rid_ext_id == 10);  // the publisher's pads are told apart by it
    } else {
      CHECK(ml.rids.empty());
      CHECK(ml.rid_ext_id == 0);
    }
  }
  auto off = media::sdp::plan_publish_offer(*offer, {});
  REQUIRE(off);
  for (const auto& ml : off->mlines)
    CHECK(ml.rid_ext_id == 0);
}

namespace {

// Firefox's simulcast offer differs from Chrome's: its rid extensions are
// offered `sendonly` (RFC 8285 direction), and it keeps its a=ssrc lines.
std::string firefox_simulcast_offer() {
  std::string offer = chrome_simulcast_offer();
  for (const char* ext : {"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
                          "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"}) {
    auto pos = offer.find(ext);
    REQUIRE(pos != std::string::npos);
    offer.insert(pos + std::strlen("a=extmap:1") + 1, "/sendonly");
  }
  return offer;
}

}  // namespace

TEST_CASE("with simulcast on, extensions offered sendonly are answered recvonly") {
  answer_capture cap;
  auto cfg = loopback_config();
  cfg.simulcast = true;
  std::string answer = answer_to(firefox_simulcast_offer().c_str(), cfg, cap);
  INFO(answer);
  REQUIRE(!answer.empty());
  std::string video = section(answer, "video");
  // Echoed `sendonly`, Firefox sends its layers without the rid extension.
  CHECK(video.find("a=extmap:10/recvonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") !=
        std::string::npos);
  CHECK(video.find("a=extmap:11/recvonly urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id") !=
        std::string::npos);
  CHECK(video.find("sendonly urn") == std::string::npos);
  CHECK(video.find("a=simulcast:recv l;m;h") != std::string::npos);
  // The id is read the same with a direction (the publisher's pads use it).
  media::sdp_ptr offer = media::parse_sdp(firefox_simulcast_offer());
  REQUIRE(offer);
  auto plan = media::sdp::plan_publish_offer(*offer, {.simulcast = true});
  REQUIRE(plan);
  for (const auto& ml : plan->mlines)
    if (ml.kind == "video")
      CHECK(ml.rid_ext_id == 10);
}

TEST_CASE("with simulcast on, the answer starts Chrome's estimate high enough for every layer") {
  answer_capture cap;
  auto cfg = loopback_config();
  cfg.simulcast = true;
  std::string answer = answer_to(chrome_simulcast_offer().c_str(), cfg, cap);
  INFO(answer);
  REQUIRE(!answer.empty());
  std::string audio = section(answer, "audio"), video = section(answer, "video");
  // At the default 300 kbps start the full layer (what subscribers get) runs
  // at 2-4 fps for its first 10-15 s (media/README.md, Firefox and simulcast).
  CHECK(video.find("a=fmtp:96 x-google-start-bitrate=1000") != std::string::npos);
  CHECK(video.find("a=fmtp:97 apt=96") != std::string::npos);  // RTX untouched
  CHECK(video.find("97 apt=96;x-google") == std::string::npos);
  CHECK(audio.find("x-google") == std::string::npos);
  // Without simulcast one encoding takes the whole estimate: left alone.
  answer_capture plain;
  CHECK(answer_to(chrome_simulcast_offer().c_str(), loopback_config(), plain).find("x-google") ==
        std::string::npos);
}
