// Join limits and signed join tokens through the real socket, channel,
// registry and room actors, run deterministically: rooms.max-rooms,
// rooms.max-peers, rooms.max-joins-per-second-per-ip and auth.secret.
#include "fixture.hpp"

#include "actors/join_token.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/registry_actor.hpp"
#include "actors/socket_actor.hpp"

#include <catch2/catch.hpp>

using namespace vr;
using namespace vr::test;

namespace {

const std::string secret = "actor-test-secret-0123";

// A WebSocket from another address.
class connection_from : public fake_connection {
public:
  explicit connection_from(std::string remote) : remote_(std::move(remote)) {}
  std::string remote() const override { return remote_; }

private:
  std::string remote_;
};

std::string error_reply(const std::string& reason) {
  return R"({"status":"error","response":{"reason":")" + reason + R"("}})";
}

struct limits_fixture : fixture {
  std::shared_ptr<node_settings> s = std::make_shared<node_settings>(*settings);
  std::vector<caf::actor_addr> to_stop;

  registry_api registry() {
    auto r = spawn_registry(sys, s);
    to_stop.push_back(r.address());
    return r;
  }
  // A channel of `topic` with these join params, as a socket spawns it.
  frames join(const registry_api& reg, const std::string& topic,
              signaling::protocol::join_params params) {
    auto out = new_frames();
    auto probe = sys.spawn(socket_probe, out);
    spawn_channel(sys, probe, {topic, "1", "1", {params}}, reg, s);
    run();
    return out;
  }
  frames join_as(const registry_api& reg, const std::string& topic, const std::string& name) {
    return join(reg, topic, {name, std::nullopt, std::nullopt, std::nullopt});
  }
  frames join_with_token(const registry_api& reg, const std::string& topic, std::string token,
                         std::optional<room_type> type = std::nullopt,
                         std::optional<peer_role> role = std::nullopt) {
    return join(reg, topic, {"", type, role, std::move(token)});
  }
  double refused(const std::string& reason) {
    return metrics->get("vr_refused_total", {{"reason", reason}});
  }
  ~limits_fixture() {
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

bool joined(const frames& fs) { return has_frame(fs, {R"("status":"ok")", "peerId"}); }

}  // namespace

TEST_CASE("rooms.max-rooms refuses a new room with unavailable, not its members", "[limits]") {
  limits_fixture fx;
  fx.s->max_rooms = 2;
  auto reg = fx.registry();
  CHECK(joined(fx.join_as(reg, "room:a", "alice")));
  CHECK(joined(fx.join_as(reg, "room:b", "bob")));
  auto third = fx.join_as(reg, "room:c", "carol");
  CHECK(has_frame(third, {"room:c", error_reply("unavailable")}));
  CHECK(fx.refused("max_rooms") == 1);
  CHECK(fx.metrics->get("vr_rooms", {{"type", "group"}}) == 2);
  // The rooms there keep taking members.
  CHECK(joined(fx.join_as(reg, "room:a", "dave")));
}

TEST_CASE("rooms.max-peers refuses a join beyond it with room_full", "[limits]") {
  limits_fixture fx;
  fx.s->limits.max_peers = 2;
  auto reg = fx.registry();
  CHECK(joined(fx.join_as(reg, "room:a", "alice")));
  CHECK(joined(fx.join_as(reg, "room:a", "bob")));
  auto third = fx.join_with_token(reg, "room:a", "", std::nullopt, peer_role::viewer);
  CHECK(has_frame(third, {error_reply("invalid_params")}));  // open mode: a token is no name
  auto carol = fx.join_as(reg, "room:a", "carol");
  CHECK(has_frame(carol, {error_reply("room_full")}));
  CHECK(fx.refused("max_peers") == 1);
  // Another room is served.
  CHECK(joined(fx.join_as(reg, "room:b", "carol")));
}

TEST_CASE("joins per second per IP: rate_limited for that address only", "[limits]") {
  limits_fixture fx;
  fx.s->join_limiter = std::make_shared<rate_limiter>(2);
  auto reg = fx.registry();
  auto conn = std::make_shared<connection_from>("10.0.0.1:5000");
  auto socket = spawn_socket(fx.sys, conn, reg, fx.s);
  auto other_conn = std::make_shared<connection_from>("10.0.0.2:5000");
  auto other = spawn_socket(fx.sys, other_conn, reg, fx.s);
  auto say = [&](const socket_api& to, std::string text) {
    caf::anon_send(to, ws_text{std::move(text)});
    fx.run();
  };
  say(socket, R"(["1","1","room:a","phx_join",{"displayName":"a"}])");
  say(socket, R"(["2","2","room:b","phx_join",{"displayName":"a"}])");
  say(socket, R"(["3","3","room:c","phx_join",{"displayName":"a"}])");
  CHECK(has_frame(conn->sent, {R"(["1","1","room:a","phx_reply",{"status":"ok")"}));
  CHECK(has_frame(conn->sent, {R"(["2","2","room:b","phx_reply",{"status":"ok")"}));
  CHECK(has_frame(conn->sent, {R"(["3","3","room:c","phx_reply",)" + error_reply("rate_limited")}));
  CHECK(fx.refused("join_rate") == 1);
  // The refused join changed nothing: room:a still answers on that socket.
  say(socket, R"(["1","4","room:a","raiseHand",{}])");
  CHECK(has_frame(conn->sent, {R"(["1","4","room:a","phx_reply")"}));
  // Another address is served meanwhile.
  say(other, R"(["1","1","room:c","phx_join",{"displayName":"b"}])");
  CHECK(has_frame(other_conn->sent, {R"(["1","1","room:c","phx_reply",{"status":"ok")"}));
  caf::anon_send(socket, ws_closed{});
  caf::anon_send(other, ws_closed{});
  fx.run();
}

TEST_CASE("auth.secret: only a valid token joins, under its name and role", "[limits]") {
  limits_fixture fx;
  fx.s->auth_secret = secret;
  auto reg = fx.registry();
  auto now = unix_now();
  auto mint = [&](std::string room, std::optional<peer_role> role = std::nullopt,
                  std::optional<room_type> type = std::nullopt, std::int64_t ttl = 600) {
    return mint_join_token(secret, {std::move(room), "Token Name", role, type, ttl}, now);
  };
  // No token, a token for another room, an expired one, a foreign signature.
  CHECK(has_frame(fx.join_as(reg, "room:a", "alice"), {error_reply("unauthorized")}));
  CHECK(has_frame(fx.join_with_token(reg, "room:a", mint("b")), {error_reply("unauthorized")}));
  CHECK(has_frame(fx.join_with_token(reg, "room:a", mint("a", {}, {}, -10)),
                  {error_reply("unauthorized")}));
  auto foreign = mint_join_token("some-other-secret-0123", {"a", "x", {}, {}, 600}, now);
  CHECK(has_frame(fx.join_with_token(reg, "room:a", foreign), {error_reply("unauthorized")}));
  CHECK(fx.refused("unauthorized") == 4);
  CHECK(fx.metrics->get("vr_rooms", {{"type", "group"}}) == 0);
  // A good token joins; a viewer token asking to publish is a viewer.
  auto ok = fx.join_with_token(reg, "room:a", mint("a"));
  CHECK(has_frame(ok, {R"("status":"ok")", R"("role":"publisher")"}));
  auto viewer = fx.join_with_token(reg, "room:a", mint("*", peer_role::viewer), std::nullopt,
                                   peer_role::publisher);
  CHECK(has_frame(viewer, {R"("status":"ok")", R"("role":"viewer")"}));
  // A type claim: the room it makes is of that type, and no other type may be made.
  auto bc = fx.join_with_token(reg, "room:bc", mint("*", {}, room_type::broadcast));
  CHECK(has_frame(bc, {R"("status":"ok")", R"("roomType":"broadcast")"}));
  auto mismatch =
    fx.join_with_token(reg, "room:new", mint("*", {}, room_type::broadcast), room_type::audio);
  CHECK(has_frame(mismatch, {error_reply("unauthorized")}));
  CHECK(fx.metrics->get("vr_rooms", {{"type", "audio"}}) == 0);
  // Joining an existing room of another type is no creation: it joins.
  auto existing = fx.join_with_token(reg, "room:a", mint("a", {}, room_type::call));
  CHECK(has_frame(existing, {R"("status":"ok")", R"("roomType":"group")"}));
  // A viewer token in a call room: call rooms have no viewers.
  auto caller = fx.join_with_token(reg, "room:call", mint("*"), room_type::call);
  CHECK(has_frame(caller, {R"("status":"ok")"}));
  CHECK(has_frame(fx.join_with_token(reg, "room:call", mint("*", peer_role::viewer)),
                  {error_reply("unauthorized")}));
}
