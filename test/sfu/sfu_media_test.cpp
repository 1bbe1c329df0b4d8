// Media through the real server: every check counts RTP packets that arrived.
#include "test/sfu/sfu_helpers.hpp"

#include "media/srtp_library.hpp"
#include "test/sfu/proc_stats.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace vr::test;

TEST_CASE("three publishers each receive every other's audio and video", "[sfu]") {
  test_server srv;
  auto a = join_publisher(srv, "three", "a");
  auto b = join_publisher(srv, "three", "b");
  auto c = join_publisher(srv, "three", "c");
  std::vector<protocol_peer*> all{a.get(), b.get(), c.get()};
  for (auto* to : all)
    for (auto* from : all)
      if (to != from) {
        CHECK(receives(*to, from->peer_id()));
        // One audio and one video track announced per publisher.
        auto tracks = to->tracks_of(from->peer_id());
        CHECK(tracks.size() == 2);
        CHECK(std::count_if(tracks.begin(), tracks.end(),
                            [](auto& t) { return t.second == "video"; }) == 1);
      }
  for (auto* p : all) {
    CHECK(p->peers().size() == 2);
    CHECK(p->errors().empty());
  }
  // The engines report every second.
  CHECK(a->wait_for([&] { return srv.metric("vr_tracks") == 6; }, 3s));
  CHECK(srv.metric("vr_forwarded_packets_total") > 0);
  // That SRTP ran on one libsrtp2, the OpenSSL build when there is one
  // (cmake/srtp.cmake), not Debian's NSS build loaded by the plugin beside it.
  auto srtp = proc_mapped_files(srv.proc().pid(), "/libsrtp2.so");
  REQUIRE(srtp.size() == 1);
  if (auto bundled = vr::media::bundled_srtp_library(); !bundled.empty())
    CHECK(srtp.front() == bundled);
}

TEST_CASE("an audio room forwards audio and no video", "[sfu]") {
  test_server srv;
  join_options audio_room;
  audio_room.room_type = "audio";
  auto a = join_publisher(srv, "talk", "a", audio_room);  // both publish VP8 and Opus
  auto b = join_publisher(srv, "talk", "b");
  CHECK(receives_audio(*b, a->peer_id()));
  CHECK(receives_audio(*a, b->peer_id()));
  std::this_thread::sleep_for(1s);  // a video packet would have come by now
  for (auto [to, from] : {std::pair{a.get(), b.get()}, std::pair{b.get(), a.get()}}) {
    CHECK(to->packets_from(from->peer_id(), "video") == 0);
    for (auto& [track, t] : to->received())
      CHECK(t.kind == "audio");
    auto tracks = to->tracks_of(from->peer_id());
    CHECK(tracks.size() == 1);
    CHECK_FALSE(to->has_event("tracksAdded", R"("kind":"video")"));
    CHECK_FALSE(to->has_event("peerAccepted", R"("kind":"video")"));
    CHECK(from->has_event("publishAnswer"));  // the offer was answered, video refused in it
  }
}

TEST_CASE("a new subscriber gets a video keyframe soon after its connection is up", "[sfu]") {
  test_server srv;
  // The encoder makes no keyframe on its own after the first (peer_options::
  // keyframe_distance): every later one was asked for by the server.
  auto a = join_publisher(srv, "keys", "a");
  REQUIRE(a->wait_for([&] { return a->media().publish_connected(); }, 10s));
  std::this_thread::sleep_for(2s);  // a's first keyframe is long gone

  auto b = join_subscriber(srv, "keys", "b");
  REQUIRE(b->wait_for([&] { return b->media().subscribe_connected(); }, 10s));
  auto up = std::chrono::steady_clock::now();
  bool key = b->wait_for([&] { return b->keyframes_from(a->peer_id()) > 0; }, 3s);
  auto ms =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - up);
  INFO("first keyframe " << ms.count() << " ms after the subscribe connection was up");
  CHECK(key);
  CHECK(ms <= 2s);

  // A subscriber's own PLI (a decoder that lost a frame) reaches the publisher too.
  std::this_thread::sleep_for(1s);
  auto tracks = b->tracks_of(a->peer_id());
  auto video =
    std::find_if(tracks.begin(), tracks.end(), [](auto& t) { return t.second == "video"; });
  REQUIRE(video != tracks.end());
  auto before = b->keyframes_from(a->peer_id());
  b->media().request_keyframe(video->first);
  CHECK(b->wait_for([&] { return b->keyframes_from(a->peer_id()) > before; }, 2s));
}

TEST_CASE("video lost on the publisher's wire is asked for again (NACK) and reaches the subscriber",
          "[sfu]") {
  test_server srv;
  peer_options lossy;
  lossy.drop_every =
    8;  // an eighth of the publisher's video packets never reach the server at first
  auto a = std::make_unique<protocol_peer>("a", lossy);
  join_options o;
  o.publish = true;
  auto r = a->connect_and_join(srv.port(), "lossy", o);
  REQUIRE(r.ok);
  peer_options patient;
  patient.receive_latency_ms = 300;  // long enough for a retransmission to be waited for
  auto b = std::make_unique<protocol_peer>("b", patient);
  REQUIRE(b->connect_and_join(srv.port(), "lossy", join_options{}).ok);
  REQUIRE(receives(*b, a->peer_id()));

  auto video = [&] {
    for (auto& [id, t] : b->received())
      if (t.kind == "video")
        return t;
    return received_track{};
  };
  auto before = video();
  auto dropped_before = a->media().wire_dropped();
  std::this_thread::sleep_for(8s);
  a->media().stop_wire_loss();
  auto dropped = a->media().wire_dropped() - dropped_before;
  std::this_thread::sleep_for(1s);  // time enough for the last loss to be repaired
  auto after = video();
  auto expected = after.expected - before.expected, arrived = after.packets - before.packets;
  INFO("dropped on the wire " << dropped << ", subscriber got " << arrived << " of " << expected);
  CHECK(a->has_event("publishAnswer", "rtx"));
  REQUIRE(dropped >= 8);
  // Without retransmission an eighth would be missing (webrtcbin 1.22's own
  // jitterbuffer got 67 of 74 here: it never asked). Losses come every half
  // second, faster than rtpsession allows early feedback: with its NACK
  // timing 1 to 5 of ~90 stayed missing in half the runs
  // (media/webrtcbin/immediate_nack.hpp). Every loss is repaired now.
  CHECK(arrived >= expected);
}
