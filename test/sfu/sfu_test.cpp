// The real server relaying WebRTC between protocol-speaking test peers: every
// check counts RTP packets that arrived, not just signaling.
#include "test/protocol_peer/protocol_peer.hpp"
#include "test/sfu/server_process.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <thread>

using namespace vr::test;

namespace {

server_process start_server(std::vector<std::string> extra = {}) {
  return server_process{VR_SERVER_BIN, VR_ROOT, std::move(extra)};
}

std::unique_ptr<protocol_peer> publisher(server_process& srv, const std::string& room,
                                         const std::string& name, const std::string& params = "") {
  auto p = std::make_unique<protocol_peer>(name);
  auto r = p->join(srv.port(), room, params);
  REQUIRE(r.ok);
  p->publish();
  return p;
}

// Whether `to` receives audio and video packets from `from` (beyond `base`).
bool receives(protocol_peer& to, const protocol_peer& from, std::uint64_t base = 0,
              std::chrono::milliseconds timeout = 15s) {
  return to.wait_for([&] {
    return to.packets_from(from.peer_id(), "video") > base + 50 &&
           to.packets_from(from.peer_id(), "audio") > base + 50;
  }, timeout);
}

// Whether more packets (any kind) keep arriving from `from`.
bool grows(protocol_peer& to, const std::string& from) {
  auto base = to.packets_from(from);
  return to.wait_for([&] { return to.packets_from(from) > base + 100; }, 10s);
}

// Whether packets from `from` stopped reaching `to` (no growth over a second).
bool stopped(protocol_peer& to, const std::string& from) {
  std::this_thread::sleep_for(500ms);  // what was in flight lands
  auto before = to.packets_from(from);
  std::this_thread::sleep_for(1s);
  return to.packets_from(from) == before;
}

}  // namespace

TEST_CASE("three publishers each receive every other's audio and video", "[sfu]") {
  auto srv = start_server();
  auto a = publisher(srv, "three", "a");
  auto b = publisher(srv, "three", "b");
  auto c = publisher(srv, "three", "c");
  for (auto* to : {a.get(), b.get(), c.get()})
    for (auto* from : {a.get(), b.get(), c.get()})
      if (to != from)
        CHECK(receives(*to, *from));
  CHECK(srv.metric("vr_forwarded_packets_total") > 0);
  a.reset(), b.reset(), c.reset();
  CHECK(srv.stop() == 0);
}

TEST_CASE("a viewer receives and cannot publish", "[sfu]") {
  auto srv = start_server();
  auto pub = publisher(srv, "watch", "pub");
  auto viewer = std::make_unique<protocol_peer>("viewer");
  REQUIRE(viewer->join(srv.port(), "watch", R"("role":"viewer")").role == "viewer");
  viewer->publish();
  CHECK(viewer->wait_event("error", "forbidden"));
  CHECK(receives(*viewer, *pub));
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(pub->has_event("tracksAdded", viewer->peer_id()));
  CHECK(pub->packets_from(viewer->peer_id()) == 0);
}

TEST_CASE("a kicked peer's media stops reaching the others", "[sfu]") {
  auto srv = start_server();
  auto a = publisher(srv, "kick", "a");
  auto b = publisher(srv, "kick", "b");
  auto c = publisher(srv, "kick", "c");
  REQUIRE(receives(*c, *b));
  auto [status, response] = a->request("kick", R"({"peerId":")" + b->peer_id() + R"("})");
  CHECK(status == "ok");
  CHECK(b->wait_event("kicked"));
  CHECK(c->wait_event("peerLeft", b->peer_id()));
  CHECK(stopped(*c, b->peer_id()));
  CHECK(stopped(*a, b->peer_id()));
  CHECK(grows(*c, a->peer_id()));  // the rest goes on
}

TEST_CASE("peers leave and rejoin; a closed tab's media stops", "[sfu]") {
  auto srv = start_server();
  auto a = publisher(srv, "cycle", "a");
  for (int i = 0; i < 3; ++i) {
    auto b = publisher(srv, "cycle", "b" + std::to_string(i));
    CHECK(receives(*a, *b));
    CHECK(receives(*b, *a));
    auto id = b->peer_id();
    if (i % 2 == 0)
      b->leave();
    else
      b->close_abruptly();
    CHECK(a->wait_event("peerLeft", id));
    CHECK(a->wait_event("tracksRemoved", id));
    CHECK(stopped(*a, id));
  }
}

TEST_CASE("a viewer promoted by the owner publishes and is received", "[sfu]") {
  auto srv = start_server();
  auto owner = publisher(srv, "promote", "owner");
  auto viewer = std::make_unique<protocol_peer>("viewer");
  REQUIRE(viewer->join(srv.port(), "promote", R"("role":"viewer")").role == "viewer");
  CHECK(viewer->request("raiseHand", "{}").first == "ok");
  REQUIRE(owner->wait_event("handRaised", viewer->peer_id()));
  CHECK(owner->request("answerHand", R"({"peerId":")" + viewer->peer_id() + R"(","accept":true})")
          .first == "ok");
  REQUIRE(viewer->wait_event("roleChanged", R"("role":"publisher")"));
  viewer->publish();
  CHECK(receives(*owner, *viewer));
  CHECK_FALSE(viewer->has_event("error"));
}

TEST_CASE("a new subscriber gets a keyframe within a second or two", "[sfu]") {
  auto srv = start_server();
  auto a = publisher(srv, "keys", "a");
  std::this_thread::sleep_for(2s);  // a's first keyframe is long gone
  auto b = std::make_unique<protocol_peer>("b");
  REQUIRE(b->join(srv.port(), "keys").ok);
  CHECK(b->wait_for([&] { return b->keyframes_from(a->peer_id()) > 0; }, 5s));
}

TEST_CASE("an audio room forwards audio and no video", "[sfu]") {
  auto srv = start_server();
  auto a = publisher(srv, "talk", "a", R"("roomType":"audio")");
  auto b = publisher(srv, "talk", "b");
  CHECK(b->wait_for([&] { return b->packets_from(a->peer_id(), "audio") > 50; }, 15s));
  CHECK(a->wait_for([&] { return a->packets_from(b->peer_id(), "audio") > 50; }, 15s));
  CHECK(b->packets_from(a->peer_id(), "video") == 0);
  CHECK_FALSE(b->has_event("tracksAdded", R"("kind":"video")"));
}

TEST_CASE("soak: 50 join/leave cycles leave threads, fds and gauges as they were", "[sfu][soak]") {
  auto srv = start_server();
  auto a = publisher(srv, "soak", "a");
  auto b = publisher(srv, "soak", "b");
  REQUIRE(receives(*a, *b));
  REQUIRE(receives(*b, *a));
  // One cycle first: thread pools and the subscribers' reusable m-lines settle.
  auto warm = publisher(srv, "soak", "warm");
  REQUIRE(receives(*warm, *a));
  warm->leave();
  warm.reset();
  std::this_thread::sleep_for(1s);
  auto threads = srv.threads(), fds = srv.fds();
  auto tracks = srv.metric("vr_tracks");
  auto elements = srv.metric("vr_media_elements");
  REQUIRE(elements > 0);
  for (int i = 0; i < 50; ++i) {
    auto c = std::make_unique<protocol_peer>("c" + std::to_string(i));
    REQUIRE(c->join(srv.port(), "soak").ok);
    c->publish();
    REQUIRE(a->wait_event("tracksAdded", c->peer_id()));
    if (i % 10 == 0)  // now and then also prove media flowed both ways
      CHECK(receives(*c, *a, 0, 10s));
    if (i % 2 == 0)
      c->leave();
    else
      c->close_abruptly();
  }
  REQUIRE(srv.get("/healthz") == "ok\n");
  // Teardown is asynchronous (detached engines, GStreamer threads): give it time.
  bool settled = a->wait_for([&] {
    return srv.threads() <= threads && srv.fds() <= fds &&
           srv.metric(R"(vr_peers{type="group",role="publisher"})") == 2 &&
           srv.metric("vr_channels") == 2;
  }, 20s);
  INFO("threads " << threads << " -> " << srv.threads() << ", fds " << fds << " -> " << srv.fds());
  CHECK(settled);
  // Engines report every second: wait for the last cycle's teardown to show.
  bool freed = a->wait_for([&] {
    return srv.metric("vr_tracks") == tracks && srv.metric("vr_media_elements") <= elements;
  }, 5s);
  INFO("tracks " << tracks << " -> " << srv.metric("vr_tracks") << ", elements " << elements
                 << " -> " << srv.metric("vr_media_elements"));
  CHECK(freed);
  CHECK(grows(*a, b->peer_id()));  // the room still works
}
