// Three videoroom processes as one cluster (CAF middleman on loopback): rooms
// are placed by rendezvous hashing, peers on different nodes meet and exchange
// media, and lost (killed or frozen) nodes are noticed and survived.
#include "actors/rendezvous.hpp"
#include "test/sfu/sfu_helpers.hpp"
#include "test/sfu/test_cluster.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <iostream>
#include <regex>
#include <thread>

using namespace vr::test;

namespace {

std::unique_ptr<protocol_peer> join_at(std::uint16_t port, const std::string& room,
                                       const std::string& name, bool publish) {
  auto p = std::make_unique<protocol_peer>(name);
  join_options o;
  o.publish = publish;
  auto r = p->connect_and_join(port, room, o);
  INFO(name << " joining " << room << " on port " << port << ": " << r.reason);
  REQUIRE(r.ok);
  return p;
}

bool sees(protocol_peer& p, const std::string& other) {
  return p.wait_for([&] { return p.peers().count(other) != 0; }, 10s);
}

using ms = std::chrono::milliseconds;

ms since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<ms>(std::chrono::steady_clock::now() - t0);
}

// Alice (through node 0) and Bob (node 1) publish in a room that lives on node 2.
struct two_on_a_third {
  test_cluster c{3};
  std::string room;
  std::unique_ptr<protocol_peer> alice, bob;

  two_on_a_third() {
    REQUIRE(c.converged({0, 1, 2}));
    room = c.room_on(2, {0, 1, 2});
    alice = join_at(c.http_port(0), room, "alice", true);
    bob = join_at(c.http_port(1), room, "bob", true);
  }
};

}  // namespace

TEST_CASE("peers on two nodes meet in the room on the node the hash names - media flows both ways",
          "[cluster]") {
  two_on_a_third t;
  auto& [c, room, alice, bob] = t;
  CHECK(c.rooms_on(2) == 1);
  CHECK(c.rooms_on(0) == 0);
  CHECK(c.rooms_on(1) == 0);
  CHECK(c.proc(2).metric(R"(vr_peers{type="group",role="publisher"})") == 2);
  CHECK(sees(*alice, bob->peer_id()));
  CHECK(sees(*bob, alice->peer_id()));
  CHECK(receives(*alice, bob->peer_id()));
  CHECK(receives(*bob, alice->peer_id()));
  // Channels stay on the nodes of their sockets.
  CHECK(c.proc(0).metric("vr_channels") == 1);
  CHECK(c.proc(1).metric("vr_channels") == 1);
  CHECK(c.proc(2).metric("vr_channels") == 0);
  // The room ends on its node once both have left.
  CHECK(alice->leave());
  CHECK(bob->leave());
  CHECK(alice->wait_for([&] { return c.rooms_on(2) == 0; }, 5s));
}

TEST_CASE(
  "the room's node is killed: a survivor takes the room over, its members hear no phx_error and "
  "keep their ids and their media",
  "[cluster]") {
  two_on_a_third t;
  auto& [c, room, alice, bob] = t;
  REQUIRE(receives(*alice, bob->peer_id()));
  REQUIRE(receives(*bob, alice->peer_id()));
  auto offers = alice->media().offers_received();

  auto t0 = std::chrono::steady_clock::now();
  c.kill(2);
  // Their media is on their own nodes: it never stops.
  CHECK(keeps_receiving(*alice, bob->peer_id(), 100));
  CHECK(keeps_receiving(*bob, alice->peer_id(), 100));
  CHECK(c.converged({0, 1}, 5s));
  auto survivor = c.owner(room, {0, 1});
  // The channels joined the room again on the survivor, by themselves.
  CHECK(alice->wait_for([&] { return c.rooms_on(survivor) == 1; }, 10s));
  CHECK(alice->wait_for(
    [&] { return c.proc(survivor).metric(R"(vr_peers{type="group",role="publisher"})") == 2; },
    10s));
  auto taken_over_after = since(t0);
  CHECK(c.proc(0).metric("vr_room_takeovers_total") + c.proc(1).metric("vr_room_takeovers_total") ==
        2);
  // The clients heard nothing of it: no phx_error, nobody left, the same owner
  // (settled 3 s after the first rejoin).
  std::this_thread::sleep_for(4s);
  CHECK_FALSE(alice->has_event("phx_error"));
  CHECK_FALSE(bob->has_event("phx_error"));
  CHECK_FALSE(alice->has_event("peerLeft"));
  CHECK_FALSE(bob->has_event("peerLeft"));
  CHECK_FALSE(alice->has_event("ownerChanged"));
  CHECK_FALSE(bob->has_event("ownerChanged"));
  // Still flowing, with no new negotiation.
  CHECK(keeps_receiving(*alice, bob->peer_id(), 100));
  CHECK(keeps_receiving(*bob, alice->peer_id(), 100));
  CHECK(alice->media().offers_received() == offers);
  // The room answers them as members: a request on the channel works.
  CHECK(alice->leave());
  CHECK(bob->wait_event("peerLeft", alice->peer_id(), 5s));
  std::cout << "cluster: room's node killed -> room taken over after " << taken_over_after.count()
            << " ms\n";
}

TEST_CASE("a cascaded room: each peer's media on its own node, each track sent once per node",
          "[cluster]") {
  test_cluster c{3};
  REQUIRE(c.converged({0, 1, 2}));
  auto room = c.room_on(2, {0, 1, 2});
  auto pub = join_at(c.http_port(0), room, "pub", true);
  auto s1 = join_at(c.http_port(1), room, "s1", false);
  auto s2 = join_at(c.http_port(1), room, "s2", false);
  auto s3 = join_at(c.http_port(2), room, "s3", false);
  for (auto* s : {s1.get(), s2.get(), s3.get()})
    CHECK(receives(*s, pub->peer_id()));
  // Node 0 sends the audio and the video once to node 1 (two subscribers) and
  // once to node 2 (one): four streams, whatever the subscriber count.
  CHECK(pub->wait_for([&] { return c.proc(0).metric("vr_relayed_tracks_out") == 4; }, 5s));
  CHECK(c.proc(1).metric("vr_relayed_tracks_in") == 2);
  CHECK(c.proc(2).metric("vr_relayed_tracks_in") == 2);
  CHECK(c.proc(0).metric("vr_relay_bytes_out_total") > 0);
  // The subscribers' media is forwarded by their own nodes.
  CHECK(c.proc(1).metric("vr_forwarded_packets_total") > 0);
  CHECK(c.proc(2).metric("vr_forwarded_packets_total") > 0);
  // A third subscriber on node 1 adds no relay stream.
  auto s4 = join_at(c.http_port(1), room, "s4", false);
  CHECK(receives(*s4, pub->peer_id()));
  CHECK(c.proc(0).metric("vr_relayed_tracks_out") == 4);
  // Node 2 lost (it holds the room): the others' media goes on.
  c.kill(2);
  CHECK(keeps_receiving(*s1, pub->peer_id(), 100));
  CHECK(keeps_receiving(*s4, pub->peer_id(), 100));
  CHECK(pub->wait_for([&] { return c.proc(0).metric("vr_relayed_tracks_out") == 2; }, 10s));
  CHECK_FALSE(s1->has_event("phx_error"));
}

TEST_CASE("a lost node's channels vanish from a room that lives on another node", "[cluster]") {
  test_cluster c{3};
  REQUIRE(c.converged({0, 1, 2}));
  auto room = c.room_on(0, {0, 1, 2});
  auto alice = join_at(c.http_port(0), room, "alice", true);
  auto carol = join_at(c.http_port(2), room, "carol", true);
  REQUIRE(receives(*alice, carol->peer_id()));
  auto carol_id = carol->peer_id();
  c.kill(2);
  CHECK(alice->wait_event("peerLeft", carol_id, 5s));
  CHECK(alice->wait_for(
    [&] { return c.proc(0).metric(R"(vr_peers{type="group",role="publisher"})") == 1; }, 5s));
  // Alice's own channel and room are untouched.
  CHECK_FALSE(alice->has_event("phx_error"));
  CHECK(c.rooms_on(0) == 1);
}

TEST_CASE(
  "a frozen node is detected within connection-timeout, its room taken over, and the node "
  "taken back when it thaws",
  "[cluster]") {
  test_cluster c{3};
  REQUIRE(c.converged({0, 1, 2}));
  auto room = c.room_on(2, {0, 1, 2});
  auto alice = join_at(c.http_port(0), room, "alice", false);
  auto t0 = std::chrono::steady_clock::now();
  c.proc(2).signal(SIGSTOP);
  // Heartbeats are checked once per interval: allow one, and scheduling slack.
  auto bound = test_cluster::connection_timeout + test_cluster::heartbeat + 1500ms;
  CHECK(c.converged({0, 1}, bound));
  auto survivor = c.owner(room, {0, 1});
  CHECK(alice->wait_for([&] { return c.rooms_on(survivor) == 1; }, bound));
  std::cout << "cluster: frozen node -> room taken over after " << since(t0).count()
            << " ms (timeout " << test_cluster::connection_timeout.count() << " ms)\n";
  CHECK_FALSE(alice->has_event("phx_error"));
  c.proc(2).signal(SIGCONT);
  CHECK(c.converged({0, 1, 2}, 10s));
  // The thawed node's stale copy of the room ends: it lost its member.
  CHECK(alice->wait_for([&] { return c.rooms_on(2) == 0; }, 10s));
  CHECK(c.rooms_on(survivor) == 1);
}

TEST_CASE("a node that joins a running cluster is taken in - new rooms land on it, old ones stay",
          "[cluster]") {
  test_cluster c{2};
  REQUIRE(c.converged({0, 1}));
  // A room that the third node will win once it is there: it must stay where it began.
  auto port = free_port();
  std::vector<std::string> three{c.name(0), c.name(1), "127.0.0.1:" + std::to_string(port)};
  std::string early;
  for (int k = 0; early.empty(); ++k)
    if (vr::rendezvous_owner("early-" + std::to_string(k), three) == three[2])
      early = "early-" + std::to_string(k);
  auto xavier = join_at(c.http_port(0), early, "xavier", false);
  auto home = c.owner(early, {0, 1});
  REQUIRE(c.rooms_on(home) == 1);

  auto added = c.add(1, port);
  REQUIRE(c.converged({0, 1, 2}));
  auto yvonne = join_at(c.http_port(added), early, "yvonne", false);
  CHECK(sees(*yvonne, xavier->peer_id()));
  CHECK(sees(*xavier, yvonne->peer_id()));
  CHECK(c.rooms_on(added) == 0);

  auto fresh = c.room_on(added, {0, 1, 2}, "fresh");
  auto zoe = join_at(c.http_port(0), fresh, "zoe", true);
  CHECK(c.rooms_on(added) == 1);
  auto walt = join_at(c.http_port(1), fresh, "walt", true);
  CHECK(receives(*zoe, walt->peer_id()));
  CHECK(receives(*walt, zoe->peer_id()));
}

TEST_CASE(
  "a broadcast whose room is on a third node: the viewer's hlsUrl points at the "
  "publisher's node, which serves it",
  "[cluster][broadcast]") {
  test_cluster c{3};
  REQUIRE(c.converged({0, 1, 2}));
  auto room = c.room_on(2, {0, 1, 2}, "live");
  peer_options po;
  po.video_codec = "H264";
  protocol_peer caster{"caster", po};
  join_options o;
  o.room_type = "broadcast";
  o.publish = true;
  REQUIRE(caster.connect_and_join(c.http_port(0), room, o).ok);
  auto viewer = join_at(c.http_port(1), room, "viewer", false);
  CHECK(viewer->role() == "viewer");
  std::string url;
  for (const auto& ev : viewer->events()) {
    std::smatch m;
    if (ev.type == "peerAccepted" &&
        std::regex_search(ev.data, m, std::regex(R"re("hlsUrl":"([^"]+)")re")))
      url = m[1];
  }
  // The publisher's media (and so its HLS files) stays on its socket's node.
  auto origin = "http://127.0.0.1:" + std::to_string(c.http_port(0));
  INFO("hlsUrl " << url);
  REQUIRE(url.rfind(origin + "/dev/live/", 0) == 0);
  auto path = url.substr(origin.size());
  std::string text;
  for (int i = 0; i < 100 && text.find("#EXTINF") == std::string::npos; ++i) {
    text = c.proc(0).request(path).body;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(text.find("#EXTINF") != std::string::npos);
  CHECK(c.proc(2).request(path).status == 404);  // not the room's node
}
