// Track metadata updates with real tracks (protocol.md section 6): the owner's
// updateTrackMetadata reaches the others as trackUpdated, later joiners see the
// stored metadata in peersInRoom, and nobody may update another peer's track.
// Tracks exist only once media flows, hence a test with WebRTC peers.
#include "test/sfu/sfu_helpers.hpp"

#include <catch2/catch.hpp>

using namespace vr::test;

namespace {

// The id of one of `of`'s tracks as `seen_by` was told of them.
std::string a_track_of(protocol_peer& seen_by, const std::string& of) {
  REQUIRE(seen_by.wait_for([&] { return !seen_by.tracks_of(of).empty(); }, 15s));
  return seen_by.tracks_of(of).begin()->first;
}

}  // namespace

TEST_CASE("a track's metadata update reaches the others and later joiners", "[sfu]") {
  test_server srv;
  auto a = join_publisher(srv, "tmeta", "a");
  auto b = join_publisher(srv, "tmeta", "b");
  REQUIRE(receives(*b, a->peer_id(), 15s, 20));
  auto track = a_track_of(*b, a->peer_id());

  a->send_media_event(
    "updateTrackMetadata",
    R"({"trackId":")" + track + R"(","trackMetadata":{"type":"camera","muted":true}})");
  auto expected = R"({"peerId":")" + a->peer_id() + R"(","trackId":")" + track +
                  R"(","metadata":{"type":"camera","muted":true}})";
  REQUIRE(b->wait_event("trackUpdated", expected, 5s));
  CHECK(b->count_events("trackUpdated") == 1);
  CHECK_FALSE(a->has_event("trackUpdated"));  // the owner is not told its own update

  // A later joiner: the stored metadata in peersInRoom.
  auto kind = b->tracks_of(a->peer_id()).at(track);
  auto c = join_subscriber(srv, "tmeta", "c");
  CHECK(c->has_event("peerAccepted", R"(")" + track + R"(":{"kind":")" + kind +
                                       R"(","metadata":{"type":"camera","muted":true}})"));

  // b may not touch a's track: refused, nothing changes, nobody is told.
  b->send_media_event("updateTrackMetadata",
                      R"({"trackId":")" + track + R"(","trackMetadata":{"muted":false}})");
  REQUIRE(b->wait_event("error", "forbidden", 5s));
  a->send_media_event("updateTrackMetadata",
                      R"({"trackId":")" + track + R"(","trackMetadata":{"type":"screen"}})");
  // a's next update is the one c hears: b's was dropped, not applied.
  REQUIRE(c->wait_event("trackUpdated", R"("metadata":{"type":"screen"})", 5s));
  CHECK(c->count_events("trackUpdated") == 1);
  CHECK_FALSE(c->has_event("trackUpdated", R"("muted":false)"));
  CHECK(b->wait_for([&] { return b->count_events("trackUpdated") == 2; }, 5s));
  CHECK(a->errors().empty());
}
