// Two nodes' registries in one deterministic actor system: rooms are placed by
// rendezvous hashing, joins for rooms elsewhere are delegated there, a room
// stays where it began when a node joins, and a lost node's rooms are forgotten.
#include "fixture.hpp"

#include "actors/channel_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/rendezvous.hpp"
#include "signaling/json.hpp"

#include <catch2/catch.hpp>

using namespace vr;
using namespace vr::test;

namespace {

const std::string node_a = "10.0.0.1:4370", node_b = "10.0.0.2:4370";

settings_ptr named(const fixture& fx, const std::string& name) {
  auto s = std::make_shared<node_settings>(*fx.settings);
  s->cluster_name = name;
  return s;
}

// A room id the two nodes place on `owner`.
std::string room_on(const std::string& owner, const std::string& prefix = "r") {
  for (int k = 0;; ++k) {
    auto id = prefix + std::to_string(k);
    if (rendezvous_owner(id, {node_a, node_b}) == owner)
      return id;
  }
}

std::size_t rooms_of(fixture& fx, const registry_api& registry) {
  caf::scoped_actor self{fx.sys};
  self->send(registry, count_rooms{});
  fx.run();
  std::size_t n = 99;
  self->receive([&](std::size_t x) { n = x; });
  return n;
}

channel_api join(fixture& fx, const registry_api& registry, const frames& out,
                 const std::string& name, const std::string& room) {
  auto ch = join_channel(fx.sys, registry, out, name, "room:" + room, fx.settings);
  fx.run();
  return ch;
}

void meet(fixture& fx, const registry_api& a, const registry_api& b) {
  caf::anon_send(a, node_up{node_b, b});
  caf::anon_send(b, node_up{node_a, a});
  fx.run();
}

}  // namespace

TEST_CASE("a join through one node reaches the room on the node the hash names",
          "[actors][cluster]") {
  fixture fx;
  auto a = spawn_registry(fx.sys, named(fx, node_a));
  auto b = spawn_registry(fx.sys, named(fx, node_b));
  meet(fx, a, b);
  auto id = room_on(node_b);
  auto out1 = fixture::new_frames(), out2 = fixture::new_frames();
  join(fx, a, out1, "alice", id);
  join(fx, b, out2, "bob", id);
  CHECK(has_frame(out1, {"phx_reply", "\"ok\"", "peerId"}));
  CHECK(has_frame(out2, {"phx_reply", "\"ok\"", "peerId"}));
  CHECK(rooms_of(fx, a) == 0);
  CHECK(rooms_of(fx, b) == 1);
  CHECK(fx.metrics->get("vr_cluster_remote_rooms") == 1);  // a knows the room lives on b
  // A room the hash gives to a is made there, whichever node the join came through.
  auto out3 = fixture::new_frames();
  join(fx, b, out3, "carol", room_on(node_a));
  CHECK(has_frame(out3, {"phx_reply", "\"ok\""}));
  CHECK(rooms_of(fx, a) == 1);
  CHECK(rooms_of(fx, b) == 1);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("a room stays on its node when a node joins that the hash would prefer",
          "[actors][cluster]") {
  fixture fx;
  auto a = spawn_registry(fx.sys, named(fx, node_a));
  auto b = spawn_registry(fx.sys, named(fx, node_b));
  auto id = room_on(node_b);
  auto out1 = fixture::new_frames(), out2 = fixture::new_frames();
  join(fx, a, out1, "alice", id);  // a is alone: the room begins on a
  REQUIRE(rooms_of(fx, a) == 1);
  meet(fx, a, b);  // a tells b which rooms it holds
  join(fx, b, out2, "bob", id);
  CHECK(has_frame(out2, {"phx_reply", "\"ok\""}));
  CHECK(rooms_of(fx, a) == 1);
  CHECK(rooms_of(fx, b) == 0);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("when the room's node is lost, a rejoin makes the room again on a live node",
          "[actors][cluster]") {
  fixture fx;
  auto a = spawn_registry(fx.sys, named(fx, node_a));
  auto b = spawn_registry(fx.sys, named(fx, node_b));
  meet(fx, a, b);
  auto id = room_on(node_b);
  auto out1 = fixture::new_frames();
  join(fx, a, out1, "alice", id);
  REQUIRE(rooms_of(fx, b) == 1);
  // b is gone: its registry (and with it the room) ends; a's cluster actor says so.
  caf::anon_send_exit(b, caf::exit_reason::kill);
  caf::anon_send(a, node_down{node_b});
  fx.run();
  CHECK(has_frame(out1, {"phx_error"}));
  CHECK(fx.metrics->get("vr_cluster_remote_rooms") == 0);
  auto out2 = fixture::new_frames();
  join(fx, a, out2, "alice", id);
  CHECK(has_frame(out2, {"phx_reply", "\"ok\"", "peerId"}));
  CHECK(rooms_of(fx, a) == 1);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
