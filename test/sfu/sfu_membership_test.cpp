// Peers coming and going through the real server: who is announced to whom,
// and whose RTP packets still arrive (a departed peer's must stop).
#include "test/sfu/sfu_helpers.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace vr::test;
using steady = std::chrono::steady_clock;

namespace {

// For peers that watch another one go: they keep counting its packets after
// tracksRemoved (see join_options::forget_removed_tracks).
join_options watching() {
  join_options o;
  o.forget_removed_tracks = false;
  return o;
}

}  // namespace

TEST_CASE("a peer leaves and rejoins three times on the same socket", "[sfu]") {
  test_server srv;
  auto a = join_publisher(srv, "cycle", "a", watching());
  auto b = join_publisher(srv, "cycle", "b", watching());
  auto c = join_publisher(srv, "cycle", "c", watching());
  REQUIRE(receives(*a, c->peer_id()));
  REQUIRE(receives(*b, c->peer_id()));
  for (int cycle = 0; cycle < 3; ++cycle) {
    INFO("cycle " << cycle);
    auto old_id = c->peer_id();
    auto left = steady::now();
    REQUIRE(c->leave());
    for (auto* other : {a.get(), b.get()}) {
      CHECK(other->wait_event("tracksRemoved", old_id, 5s));
      CHECK(other->wait_event("peerLeft", old_id, 5s));
      CHECK(other->tracks_of(old_id).empty());
      CHECK(other->peers().count(old_id) == 0);
    }
    // c's webrtc_peer still sends: the server must cut it, and send c nothing.
    CHECK(stopped(
      {{a.get(), old_id}, {b.get(), old_id}, {c.get(), a->peer_id()}, {c.get(), b->peer_id()}},
      left));

    join_options again;
    again.publish = true;
    auto r = c->connect_and_join(srv.port(), "cycle", again);
    REQUIRE(r.ok);
    CHECK(r.peer_id != old_id);
    // 20 packets of each kind: more than a second of the 15 fps video, enough
    // to prove the new connections carry media, and the test stays short.
    for (auto* other : {a.get(), b.get()}) {
      CHECK(other->wait_event("peerJoined", r.peer_id, 5s));
      CHECK(other->wait_event("tracksAdded", r.peer_id, 10s));
      CHECK(receives(*other, r.peer_id, 15s, 20));
    }
    CHECK(receives(*c, a->peer_id(), 15s, 20));
    CHECK(receives(*c, b->peer_id(), 15s, 20));
  }
  for (auto* p : {a.get(), b.get(), c.get()})
    CHECK(p->errors().empty());
}

TEST_CASE("a viewer receives the publishers and cannot publish", "[sfu]") {
  test_server srv;
  auto p1 = join_publisher(srv, "watch", "p1");
  auto p2 = join_publisher(srv, "watch", "p2");
  auto viewer = join_subscriber(srv, "watch", "viewer", "viewer");
  REQUIRE(viewer->role() == "viewer");
  viewer->publish();  // a publishOffer with audio and video
  REQUIRE(viewer->wait_event("error", "forbidden", 10s));
  // The offer and each of its trickled candidates are refused alike; how many
  // candidates came before this check depends on timing.
  auto errors = viewer->errors();
  REQUIRE(!errors.empty());
  for (auto& e : errors)
    CHECK(e.reason == "forbidden");
  CHECK(receives(*viewer, p1->peer_id()));
  CHECK(receives(*viewer, p2->peer_id()));
  std::this_thread::sleep_for(1s);  // time for anything of the viewer's to show up
  CHECK_FALSE(viewer->has_event("publishAnswer"));
  for (auto [to, other] : {std::pair{p1.get(), p2.get()}, std::pair{p2.get(), p1.get()}}) {
    CHECK(to->has_event("peerJoined", viewer->peer_id()));
    CHECK_FALSE(to->has_event("tracksAdded", viewer->peer_id()));
    CHECK(to->tracks_of(viewer->peer_id()).empty());
    CHECK(only_from(*to, {other}));  // nothing forwarded from the viewer
    CHECK(to->errors().empty());
  }
}

TEST_CASE("a kicked peer gets kicked and its media stops reaching the others", "[sfu]") {
  test_server srv;
  auto a = join_publisher(srv, "kick", "a", watching());
  auto b = join_publisher(srv, "kick", "b", watching());
  auto c = join_publisher(srv, "kick", "c", watching());
  REQUIRE(receives(*a, b->peer_id()));
  REQUIRE(receives(*c, b->peer_id()));
  REQUIRE(receives(*b, a->peer_id()));
  auto kicked_at = steady::now();
  auto reply = a->push("kick", R"({"peerId":")" + b->peer_id() + R"("})");
  CHECK(reply.status == "ok");
  CHECK(b->wait_event("kicked", a->peer_id(), 5s));  // {"by": a}
  CHECK(b->wait_for([&] { return b->channel_closed(); }, 5s));
  for (auto* other : {a.get(), c.get()})
    CHECK(other->wait_event("peerLeft", b->peer_id(), 5s));
  // b's webrtc_peer still sends: the server must cut it at once, and send b nothing.
  CHECK(stopped({{a.get(), b->peer_id()}, {c.get(), b->peer_id()}, {b.get(), a->peer_id()}},
                kicked_at));
  CHECK(keeps_receiving(*c, a->peer_id()));  // the rest goes on
  CHECK(keeps_receiving(*a, c->peer_id()));
}

TEST_CASE("a peer whose socket drops abruptly leaves and its media stops", "[sfu]") {
  test_server srv;
  auto a = join_publisher(srv, "drop", "a", watching());
  auto b = join_publisher(srv, "drop", "b", watching());
  auto c = join_publisher(srv, "drop", "c", watching());
  REQUIRE(receives(*a, c->peer_id()));
  REQUIRE(receives(*b, c->peer_id()));
  auto id = c->peer_id();
  auto dropped = steady::now();
  c->close_abruptly();  // no close frame, no phx_leave; c's media keeps sending
  REQUIRE(c->closed());
  for (auto* other : {a.get(), b.get()}) {
    CHECK(other->wait_event("peerLeft", id, 5s));
    CHECK(other->wait_event("tracksRemoved", id, 5s));
  }
  CHECK(stopped({{a.get(), id}, {b.get(), id}}, dropped));
  CHECK(keeps_receiving(*a, b->peer_id()));
  CHECK(keeps_receiving(*b, a->peer_id()));
}

TEST_CASE("a viewer promoted by the owner publishes and is received", "[sfu]") {
  test_server srv;
  auto owner = join_publisher(srv, "promote", "owner");
  auto viewer = join_subscriber(srv, "promote", "viewer", "viewer");
  REQUIRE(viewer->role() == "viewer");
  CHECK(viewer->push("raiseHand", "{}").status == "ok");
  REQUIRE(owner->wait_event("handRaised", viewer->peer_id(), 5s));
  auto answer =
    owner->push("answerHand", R"({"peerId":")" + viewer->peer_id() + R"(","accept":true})");
  CHECK(answer.status == "ok");
  REQUIRE(viewer->wait_event("roleChanged", R"("role":"publisher")", 5s));
  CHECK(viewer->role() == "publisher");
  viewer->publish();
  CHECK(receives(*owner, viewer->peer_id()));
  CHECK(viewer->errors().empty());
}
