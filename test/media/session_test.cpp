// Media flows through media::session: test peers publish generated VP8/Opus,
// the session forwards RTP, and the peers count what actually arrives.
#include "test/media/room_fixture.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace vr;
using namespace vr::test;

namespace {

constexpr std::uint64_t enough = 30;  // packets: ~1 s of audio, ~1 s of video

// Both of `publisher`'s tracks are announced and `receiver` got `enough` of each.
bool receives_all(room& r, const webrtc_peer& receiver, const std::string& publisher,
                  std::size_t kinds = 2) {
  auto tracks = r.tracks_of(publisher);
  if (tracks.size() < kinds)
    return false;
  for (auto& t : tracks)
    if (receiver.packets(t.id) < enough)
      return false;
  return true;
}

// What a peer got, for failure messages.
std::string describe(room& r, const webrtc_peer& p) {
  std::string out =
    p.name() + (p.subscribe_connected() ? " (subscribe connected)" : " (subscribe not connected)");
  out += ", offers " + std::to_string(p.offers_received()) + ":";
  for (auto& [id, t] : p.received())
    out += " " + id + "=" + std::to_string(t.packets) + "p/" + std::to_string(t.keyframes) + "k";
  auto st = r.session().get_stats();
  out += "; session: " + std::to_string(st.peers) + " peers, " + std::to_string(st.tracks) +
         " tracks, " + std::to_string(st.forwarded_packets) + " forwarded, " +
         std::to_string(st.elements) + " elements";
  return out;
}

// Waits (bounded) for `pred`; on timeout fails with what every listed peer got.
#define REQUIRE_WITHIN(timeout, pred, ...)                  \
  do {                                                      \
    if (!wait_until([&] { return bool(pred); }, timeout)) { \
      std::string msg = "timed out: " #pred;                \
      for (const webrtc_peer* p_ : {__VA_ARGS__})           \
        msg += "\n  " + describe(r, *p_);                   \
      FAIL(msg);                                            \
    }                                                       \
  } while (0)

void report_latency(const char* what, const webrtc_peer& p) {
  auto l = p.latency();
  std::fprintf(
    stderr,
    "[media test] %s one-way delay through the SFU: %zu samples, min %.2f ms, median %.2f ms, "
    "p95 %.2f ms, max %.2f ms\n",
    what, l.samples, l.min_ms, l.median_ms, l.p95_ms, l.max_ms);
}

}  // namespace

TEST_CASE("two publishers receive each other's audio and video") {
  room r;
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);

  REQUIRE_WITHIN(10s, receives_all(r, *a, "bob") && receives_all(r, *b, "alice"), a.get(), b.get());
  CHECK(r.tracks_of("alice").size() == 2);
  CHECK(r.tracks_of("bob").size() == 2);
  CHECK(r.errors().empty());

  auto stats = r.session().get_stats();
  CHECK(stats.peers == 2);
  CHECK(stats.tracks == 4);
  CHECK(stats.forwarded_packets >= 4 * enough);
  CHECK(stats.forwarded_bytes > stats.forwarded_packets * 12);  // at least RTP headers

  // Packets arrive in a few milliseconds, not after a jitterbuffer's 200.
  auto l = b->latency();
  report_latency("steady state", *b);
  REQUIRE(l.samples > 50);
  CHECK(l.median_ms < 50);
}

TEST_CASE("a later joiner gets one offer with every track and a keyframe") {
  room r;
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);
  REQUIRE_WITHIN(10s, receives_all(r, *a, "bob") && receives_all(r, *b, "alice"), a.get(), b.get());

  // The encoders make no keyframes on their own (keyframe_distance is huge):
  // carol sees one only if her arrival makes the session ask for it.
  auto c = r.join("carol", false);
  REQUIRE_WITHIN(5s, c->subscribe_connected(), c.get());
  auto connected = std::chrono::steady_clock::now();
  std::string av = r.track_of("alice", "video"), bv = r.track_of("bob", "video");
  REQUIRE_WITHIN(3s, c->keyframes(av) > 0 && c->keyframes(bv) > 0, c.get());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  connected);
  std::fprintf(stderr,
               "[media test] keyframes reached the new subscriber %lld ms after it connected\n",
               static_cast<long long>(ms.count()));
  CHECK(ms < 1500ms);

  REQUIRE_WITHIN(10s, receives_all(r, *c, "alice") && receives_all(r, *c, "bob"), c.get());
  CHECK(c->offers_received() == 1);
  CHECK(r.errors().empty());
  report_latency("new subscriber", *c);
}

TEST_CASE("a leaving peer's media stops and its tracks are removed") {
  room r;
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);
  REQUIRE_WITHIN(10s, receives_all(r, *a, "bob") && receives_all(r, *b, "alice"), a.get(), b.get());

  auto cycle = [&](const std::string& id) {
    auto c = r.join(id, true);
    REQUIRE_WITHIN(10s,
                   receives_all(r, *a, id) && receives_all(r, *b, id) &&
                     receives_all(r, *c, "alice") && receives_all(r, *c, "bob"),
                   a.get(), b.get(), c.get());
    auto ids = r.tracks_of(id);
    REQUIRE(ids.size() == 2);
    c.reset();
    r.leave(id);

    REQUIRE(wait_until([&] { return r.removed_of(id).size() == 2; }, 2s));
    auto removed = r.removed_of(id);
    for (auto& t : ids)
      CHECK(std::count(removed.begin(), removed.end(), t.id) == 1);

    // Nothing more of its media: counts stop growing.
    std::this_thread::sleep_for(300ms);
    std::map<std::string, std::uint64_t> before;
    for (auto& t : ids)
      before[t.id] = a->packets(t.id) + b->packets(t.id);
    std::this_thread::sleep_for(700ms);
    for (auto& t : ids)
      CHECK(a->packets(t.id) + b->packets(t.id) == before[t.id]);
    // The others still flow.
    auto ab = a->packets(r.track_of("bob", "audio"));
    REQUIRE_WITHIN(2s, a->packets(r.track_of("bob", "audio")) > ab + 10, a.get());
  };

  auto e0 = r.session().get_stats().elements;
  cycle("carol");
  auto e1 = r.session().get_stats().elements;
  // alice's and bob's subscribe connections keep carol's m-lines (webrtcbin
  // 1.22 cannot release a negotiated sink pad cleanly): those are reused, so
  // the next join/leave returns exactly to the same count.
  std::fprintf(
    stderr, "[media test] elements: %zu before carol, %zu after she left (kept m-lines)\n", e0, e1);
  cycle("dave");
  CHECK(r.session().get_stats().elements == e1);
  CHECK(r.session().get_stats().peers == 2);
  CHECK(r.session().get_stats().tracks == 4);
  CHECK(r.errors().empty());
}

TEST_CASE("join/leave cycles leak no elements and no threads") {
  room r;
  // alice stays and only publishes: her test peer's own rtpbin would keep a
  // jitterbuffer (two threads) per cycler SSRC it ever received, as webrtcbin
  // does not drop remote SSRCs that the server keeps mentioning in RTCP; that
  // would be the test peer's growth, not the server's. (Reusing her m-lines
  // across joins is covered by the leaving-peer test.)
  peer_options publish_only;
  publish_only.subscribe = false;
  auto a = r.join("alice", true, publish_only);
  auto cycle = [&](int i) {
    std::string id = "cycler" + std::to_string(i);
    auto x = r.join(id, true);
    REQUIRE_WITHIN(10s, x->packets(r.track_of("alice", "video")) > 5 && r.tracks_of(id).size() == 2,
                   a.get(), x.get());
    x.reset();
    r.leave(id);
  };
  cycle(0);  // warm-up: process-wide threads (GLib worker, task pool) start here
  auto settle = [&] { std::this_thread::sleep_for(300ms); };
  settle();
  auto e1 = r.session().get_stats().elements;
  auto t1 = thread_count();
  auto names1 = thread_names();

  for (int i = 1; i <= 10; i++)
    cycle(i);
  settle();
  CHECK(r.session().get_stats().elements == e1);
  // GStreamer's default task pool is a GThreadPool that keeps up to 2 idle
  // threads around (and other exited threads may take a moment to go away).
  constexpr std::size_t pool_slack = 2;
  bool threads_back = wait_until([&] { return thread_count() <= t1 + pool_slack; }, 5s);
  INFO("thread changes:" << thread_diff(names1, thread_names()));
  CHECK(threads_back);
  std::fprintf(stderr,
               "[media test] threads: %zu after warm-up, %zu after 10 cycles; elements %zu\n", t1,
               thread_count(), e1);

  a.reset();
  r.leave("alice");
  // Everybody left: nothing remains in the pipeline.
  CHECK(wait_until([&] { return r.session().get_stats().elements == 0; }, 2s));
  CHECK(r.session().get_stats().peers == 0);
  CHECK(r.errors().empty());
}

TEST_CASE("an audio-only room refuses video and forwards audio") {
  auto cfg = loopback_config();
  cfg.audio_only = true;
  room r(cfg);
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);

  REQUIRE_WITHIN(10s, receives_all(r, *b, "alice", 1) && receives_all(r, *a, "bob", 1), a.get(),
                 b.get());
  std::this_thread::sleep_for(500ms);
  for (const char* who : {"alice", "bob"}) {
    auto tracks = r.tracks_of(who);
    REQUIRE(tracks.size() == 1);
    CHECK(tracks[0].kind == "audio");
    // The browser is told not to send video: its m-line is answered inactive.
    std::string answer = r.last_publish_answer(who);
    auto video = answer.find("m=video");
    REQUIRE(video != std::string::npos);
    CHECK(answer.find("a=inactive", video) != std::string::npos);
  }
  for (auto& [id, t] : b->received())
    CHECK(t.kind == "audio");
  CHECK(r.errors().empty());
}

TEST_CASE("closing a track by publish renegotiation removes it and reopening brings it back") {
  room r;
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);
  REQUIRE_WITHIN(10s, receives_all(r, *a, "bob") && receives_all(r, *b, "alice"), a.get(), b.get());
  std::string video = r.track_of("alice", "video"), audio = r.track_of("alice", "audio");

  // alice's browser sets her video transceiver inactive and re-offers.
  a->renegotiate_publish({"video"});
  REQUIRE_WITHIN(3s, r.removed_of("alice").size() == 1, b.get());
  CHECK(r.removed_of("alice")[0] == video);
  CHECK(r.tracks_of("alice").size() == 1);
  std::string answer = a->last_publish_answer();
  auto m_video = answer.find("m=video");
  REQUIRE(m_video != std::string::npos);
  CHECK(answer.find("a=inactive", m_video) != std::string::npos);

  // Her packets still reach the server, but nobody gets them any more.
  std::this_thread::sleep_for(300ms);
  auto frozen = b->packets(video);
  auto audio_before = b->packets(audio);
  std::this_thread::sleep_for(700ms);
  CHECK(b->packets(video) == frozen);
  CHECK(b->packets(audio) > audio_before + 10);

  // Back to sendonly: the track is announced again and bob gets it in a new
  // offer (on the m-line it had before), starting with a keyframe.
  auto keyframes_before = b->keyframes(video);
  auto offers_before = b->offers_received();
  a->renegotiate_publish({});
  REQUIRE_WITHIN(3s, r.tracks_of("alice").size() == 2, b.get());
  REQUIRE_WITHIN(5s, b->packets(video) > frozen + enough && b->keyframes(video) > keyframes_before,
                 b.get());
  CHECK(b->offers_received() == offers_before + 1);
  CHECK(r.errors().empty());
}

TEST_CASE("a prefer_h264 room forwards H264 with keyframes") {
  auto cfg = loopback_config();
  cfg.prefer_h264 = true;
  room r(cfg);
  peer_options h264;
  h264.video_codec = "H264";
  auto a = r.join("alice", true, h264);
  REQUIRE_WITHIN(10s, r.tracks_of("alice").size() == 2, a.get());
  auto b = r.join("bob", false);
  std::string video = r.track_of("alice", "video");
  REQUIRE_WITHIN(10s, receives_all(r, *b, "alice") && b->keyframes(video) > 0, b.get());
  auto received = b->received();
  CHECK(received[video].kind == "video");
  CHECK(r.errors().empty());
}

namespace {

// Chrome rejects a BUNDLE group in which one payload type means two codecs.
std::string payload_type_clash(const std::string& sdp) {
  std::map<std::string, std::string> codec_of;  // pt → "name/rate"
  std::istringstream in(sdp);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("a=rtpmap:", 0) != 0)
      continue;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    auto space = line.find(' ');
    std::string pt = line.substr(9, space - 9), codec = line.substr(space + 1);
    auto [it, fresh] = codec_of.emplace(pt, codec);
    if (!fresh && it->second != codec)
      return pt + ": " + it->second + " vs " + codec;
  }
  return "";
}

}  // namespace

TEST_CASE(
  "VP8 and H264 publishers in one room give subscribers offers without payload type clashes") {
  room r;
  peer_options h264;
  h264.video_codec = "H264";
  auto a = r.join("alice", true);        // VP8 96
  auto c = r.join("carol", true, h264);  // H264 102
  REQUIRE_WITHIN(10s, r.tracks_of("alice").size() == 2 && r.tracks_of("carol").size() == 2, a.get(),
                 c.get());
  auto b = r.join("bob", false);
  REQUIRE_WITHIN(10s, receives_all(r, *b, "alice") && receives_all(r, *b, "carol"), b.get());
  std::string offer = r.last_subscribe_offer("bob");
  INFO(offer);
  CHECK(payload_type_clash(offer) == "");
  CHECK(r.errors().empty());
}

namespace {

struct storm_result {
  std::uint64_t keyframes_seen, sent, coalesced;
};

// bob asks for a keyframe of alice's video every 50 ms for 2 s.
storm_result pli_storm(std::chrono::milliseconds throttle) {
  auto cfg = loopback_config();
  cfg.keyframe_throttle = throttle;
  room r(cfg);
  auto a = r.join("alice", true);
  auto b = r.join("bob", false);
  REQUIRE_WITHIN(
    10s, receives_all(r, *b, "alice") && b->keyframes(r.track_of("alice", "video")) > 0, b.get());
  std::string video = r.track_of("alice", "video");
  std::this_thread::sleep_for(1200ms);  // past the throttle window of the join's request
  auto before = b->keyframes(video);
  auto stats_before = r.session().get_stats();
  for (int i = 0; i < 40; i++) {
    b->request_keyframe(video);
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(throttle + 300ms);  // the deferred request's keyframe
  auto stats = r.session().get_stats();
  return {b->keyframes(video) - before, stats.keyframe_requests - stats_before.keyframe_requests,
          stats.keyframe_requests_coalesced - stats_before.keyframe_requests_coalesced};
}

}  // namespace

TEST_CASE("keyframe requests reach the publisher and are throttled per track") {
  auto free = pli_storm(0ms);
  auto throttled = pli_storm(1000ms);
  std::fprintf(
    stderr,
    "[media test] 40 PLIs in 2 s: unthrottled %llu sent / %llu keyframes; 1 s throttle %llu sent, "
    "%llu coalesced / %llu keyframes\n",
    (unsigned long long)free.sent, (unsigned long long)free.keyframes_seen,
    (unsigned long long)throttled.sent, (unsigned long long)throttled.coalesced,
    (unsigned long long)throttled.keyframes_seen);
  // PLIs travel subscriber → session → publisher, and keyframes come back.
  // (bob's own rtpsession already limits its PLIs to its RTCP rhythm: ~2/s.)
  CHECK(free.sent >= 3);
  CHECK(free.coalesced == 0);
  CHECK(free.keyframes_seen >= 2);
  // With the throttle: one at once, then at most one per second (2 s storm).
  CHECK(throttled.sent >= 2);
  CHECK(throttled.sent <= 4);
  CHECK(throttled.coalesced > 0);
  CHECK(throttled.keyframes_seen >= 2);  // the deferred request is not lost
}

TEST_CASE("ICE candidates use only the configured address and port range") {
  auto cfg = loopback_config();
  cfg.ice.min_port = 42000;
  cfg.ice.max_port = 42099;
  room r(cfg);
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);
  REQUIRE_WITHIN(10s, receives_all(r, *a, "bob") && receives_all(r, *b, "alice"), a.get(), b.get());

  std::size_t udp = 0;
  for (const char* who : {"alice", "bob"}) {
    for (auto& c : r.server_candidates(who)) {
      INFO(c);
      // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
      std::istringstream in(c);
      std::string foundation, component, transport, priority, address, typ, type;
      unsigned port = 0;
      in >> foundation >> component >> transport >> priority >> address >> port >> typ >> type;
      CHECK(address == "127.0.0.1");
      if (transport == "UDP" || transport == "udp") {
        udp++;
        CHECK(port >= 42000);
        CHECK(port <= 42099);
      }
    }
  }
  CHECK(udp >= 4);  // both connections of both peers
}

TEST_CASE("peers leaving and the session ending in the middle of negotiations is safe") {
  // No waits for media here: every step lands while offers, answers, ICE and
  // DTLS are in flight. Passing means no crash, no hang and nothing left over.
  for (int delay_ms : {0, 30, 80, 150, 300}) {
    room r;
    auto a = r.join("alice", true);
    auto b = r.join("bob", true);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto c = r.join("carol", true);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms / 2));
    b.reset();
    r.leave("bob");
    c.reset();
    r.leave("carol");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    a.reset();
    r.leave("alice");
    CHECK(wait_until([&] { return r.session().get_stats().elements == 0; }, 3s));
  }
  for (int delay_ms : {0, 50, 200}) {
    room r;  // destroyed with everybody still in it
    auto a = r.join("alice", true);
    auto b = r.join("bob", true);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
}
