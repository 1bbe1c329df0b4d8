// The monitor/down paths of the actors, run deterministically.
#include "fixture.hpp"

#include "actors/channel_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/room_actor.hpp"
#include "actors/socket_actor.hpp"
#include "signaling/json.hpp"

#include <catch2/catch.hpp>

using namespace vr;
using namespace vr::test;

namespace {

// The peerId of the ok join reply among `fs`.
std::string peer_id_of(const frames& fs) {
  for (auto& f : *fs) {
    auto doc = signaling::json::parse(f);
    if (!doc || !doc->IsArray() || doc->Size() != 5 || !(*doc)[3].IsString() ||
        std::string_view{(*doc)[3].GetString()} != "phx_reply")
      continue;
    auto& resp = (*doc)[4]["response"];
    if (resp.IsObject() && resp.HasMember("peerId"))
      return resp["peerId"].GetString();
  }
  return {};
}

channel_api join_channel(fixture& fx, const registry_api& registry, const frames& out,
                         const std::string& name) {
  return vr::test::join_channel(fx.sys, registry, out, name, "room:r1", fx.settings);
}

void media_join(fixture& fx, const channel_api& channel) {
  caf::anon_send(
    channel,
    client_frame(
      R"(["1","2","room:r1","mediaEvent",{"data":"{\"type\":\"join\",\"data\":{\"metadata\":{}}}"}])"));
  fx.run();
}

// A registry stand-in that sends every join to one given room.
registry_api::behavior_type fixed_registry(registry_api::pointer self, room_api room) {
  return {
    [self, room](const find_room& m) { return self->delegate(room, m.join); },
    [self, room](const placed_join& m) { return self->delegate(room, m.join); },
    [](const room_empty&) {},
    [](const count_rooms&) { return std::size_t{0}; },
    [](const node_up&) {},
    [](const node_down&) {},
    [](const rooms_here&) {},
    [](const room_gone&) {},
    [](const engine_idle&) {},
  };
}

}  // namespace

TEST_CASE("a channel that dies removes its peer and the others are told", "[actors]") {
  fixture fx;
  auto registry = spawn_registry(fx.sys, fx.settings);
  auto a_out = fixture::new_frames(), b_out = fixture::new_frames();
  auto a = join_channel(fx, registry, a_out, "alice");
  fx.run();
  auto b = join_channel(fx, registry, b_out, "bob");
  fx.run();
  auto a_id = peer_id_of(a_out), b_id = peer_id_of(b_out);
  REQUIRE_FALSE(a_id.empty());
  REQUIRE_FALSE(b_id.empty());
  CHECK(has_frame(a_out, {"phx_reply", "\"ownerId\":\"" + a_id + "\""}));
  media_join(fx, a);
  media_join(fx, b);
  CHECK(has_frame(b_out, {"peerAccepted", a_id}));
  CHECK(fx.metrics->get("vr_peers", {{"type", "group"}, {"role", "publisher"}}) == 2);

  // alice's tab crashes: bob hears she left and that he owns the room now.
  caf::anon_send_exit(a, caf::exit_reason::kill);
  fx.run();
  CHECK(has_frame(b_out, {"mediaEvent", "peerLeft", a_id}));
  CHECK(has_frame(b_out, {"ownerChanged", "\"ownerId\":\"" + b_id + "\""}));
  CHECK(fx.metrics->get("vr_peers", {{"type", "group"}, {"role", "publisher"}}) == 1);

  // The last one goes: the room ends and the registry forgets it.
  caf::anon_send_exit(b, caf::exit_reason::kill);
  fx.run();
  caf::scoped_actor self{fx.sys};
  self->send(registry, count_rooms{});
  fx.run();
  std::size_t open_rooms = 99;
  self->receive([&](std::size_t n) { open_rooms = n; });
  CHECK(open_rooms == 0);
  CHECK(fx.metrics->get("vr_rooms", {{"type", "group"}}) == 0);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
}

TEST_CASE("a room that dies makes its channels send phx_error", "[actors]") {
  fixture fx;
  auto room = spawn_room(fx.sys, nullptr, "r1", room_type::group, registry_api{}, fx.settings);
  auto registry = fx.sys.spawn(fixed_registry, room);
  auto a_out = fixture::new_frames(), b_out = fixture::new_frames();
  auto a = join_channel(fx, registry, a_out, "alice");
  auto b = join_channel(fx, registry, b_out, "bob");
  fx.run();
  REQUIRE_FALSE(peer_id_of(a_out).empty());
  REQUIRE_FALSE(peer_id_of(b_out).empty());
  CHECK_FALSE(has_frame(a_out, {"phx_error"}));

  caf::anon_send_exit(room, caf::exit_reason::kill);
  fx.run();
  // [join_ref, join_ref, topic, "phx_error", {}]
  CHECK(has_frame(a_out, {R"(["1","1","room:r1","phx_error",{}])"}));
  CHECK(has_frame(b_out, {R"(["1","1","room:r1","phx_error",{}])"}));
  CHECK(fx.metrics->get("vr_channels") == 0);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
}

TEST_CASE("a kicked peer's channel closes and the room forgets it", "[actors]") {
  fixture fx;
  auto registry = spawn_registry(fx.sys, fx.settings);
  auto a_out = fixture::new_frames(), b_out = fixture::new_frames();
  auto a = join_channel(fx, registry, a_out, "alice");
  fx.run();
  auto b = join_channel(fx, registry, b_out, "bob");
  fx.run();
  auto b_id = peer_id_of(b_out);
  media_join(fx, a);
  media_join(fx, b);
  caf::anon_send(a, client_frame(R"(["1","5","room:r1","kick",{"peerId":")" + b_id + R"("}])"));
  fx.run();
  CHECK(has_frame(a_out, {R"(["1","5","room:r1","phx_reply",{"status":"ok")"}));
  CHECK(has_frame(b_out, {"\"kicked\"", R"("by":")"}));
  CHECK(has_frame(b_out, {R"(["1","1","room:r1","phx_close",{}])"}));
  CHECK(has_frame(a_out, {"peerLeft", b_id}));
  CHECK(fx.metrics->get("vr_channels") == 1);
  caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
}

TEST_CASE("socket to channel to room to engine and back", "[actors]") {
  fixture fx;
  auto registry = spawn_registry(fx.sys, fx.settings);
  auto conn = std::make_shared<fake_connection>();
  auto socket = spawn_socket(fx.sys, conn, registry, fx.settings);
  auto say = [&](std::string text) {
    caf::anon_send(socket, ws_text{std::move(text)});
    fx.run();
  };
  say(R"([null,"1","phoenix","heartbeat",{}])");
  CHECK(
    has_frame(conn->sent, {R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])"}));
  say(R"(["3","3","room:lobby","phx_join",{"displayName":"carol"}])");
  CHECK(has_frame(conn->sent, {R"(["3","3","room:lobby","phx_reply",{"status":"ok")", "peerId"}));
  say(
    R"(["3","4","room:lobby","mediaEvent",{"data":"{\"type\":\"join\",\"data\":{\"metadata\":{\"displayName\":\"carol\"}}}"}])");
  CHECK(has_frame(conn->sent,
                  {R"(["3",null,"room:lobby","mediaEvent")", "peerAccepted", "iceServers"}));
  say(R"(["9","9","room:other","raiseHand",{}])");
  CHECK(has_frame(
    conn->sent,
    {R"(["9","9","room:other","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}])"}));
  say(R"([1,2,3])");
  CHECK(fx.metrics->get("vr_bad_frames_total") == 1);
  // The WebSocket closes: socket, channel and room go, the registry forgets the room.
  caf::anon_send(socket, ws_closed{});
  fx.run();
  CHECK(fx.metrics->get("vr_channels") == 0);
  CHECK(fx.metrics->get("vr_rooms", {{"type", "group"}}) == 0);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
}
