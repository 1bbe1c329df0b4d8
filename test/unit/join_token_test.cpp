// Signed join tokens (actors/join_token), the join rate limiter
// (actors/rate_limiter), the room rules' viewer-only and max-peers joins, and
// the token param of phx_join. Bad tokens are made with libjwt itself.
#include "actors/join_token.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/room_rules.hpp"
#include "signaling/protocol/decode.hpp"

#include <jwt.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

using namespace vr;
namespace proto = vr::signaling::protocol;

namespace {

const std::string secret = "test-secret-0123456789";
constexpr std::int64_t now = 1700000000;

// A token with these claims (a JSON object), signed by libjwt with `alg`.
std::string sign(const std::string& claims, jwt_alg_t alg = JWT_ALG_HS256,
                 const std::string& key = secret) {
  jwt_t* j = nullptr;
  REQUIRE(jwt_new(&j) == 0);
  REQUIRE(jwt_add_grants_json(j, claims.c_str()) == 0);
  if (alg == JWT_ALG_NONE)
    REQUIRE(jwt_set_alg(j, alg, nullptr, 0) == 0);
  else
    REQUIRE(jwt_set_alg(j, alg, reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())) == 0);
  char* out = jwt_encode_str(j);
  jwt_free(j);
  REQUIRE(out != nullptr);
  std::string token{out};
  std::free(out);
  return token;
}

token_check check(const std::string& token, const std::string& room = "r1") {
  return verify_join_token(token, secret, room, now);
}

const std::string good = R"({"room":"r1","name":"Alice","exp":1700003600})";

}  // namespace

TEST_CASE("a token signed with the secret by HS256 gives its claims", "[auth]") {
  auto c = check(sign(R"({"room":"r1","name":"Alice","role":"publisher","exp":1700003600,)"
                      R"("nbf":1699999000,"type":"broadcast","sub":"ignored"})"));
  REQUIRE(c.claims);
  CHECK(c.error.empty());
  CHECK(c.claims->room == "r1");
  CHECK(c.claims->name == "Alice");
  CHECK(c.claims->role == peer_role::publisher);
  CHECK(c.claims->type == room_type::broadcast);
  CHECK(c.claims->exp == 1700003600);
  CHECK(c.claims->nbf == 1699999000);
  auto plain = check(sign(good));
  REQUIRE(plain.claims);
  CHECK_FALSE(plain.claims->role);
  CHECK_FALSE(plain.claims->type);
  CHECK_FALSE(plain.claims->nbf);
}

TEST_CASE("a missing or malformed token is refused", "[auth]") {
  CHECK_FALSE(check("").claims);
  CHECK_FALSE(check("garbage").claims);
  CHECK_FALSE(check("a.b.c").claims);
  CHECK_FALSE(check("a.b").claims);
  CHECK_FALSE(check(std::string(5000, 'a')).claims);
  auto t = sign(good);
  CHECK_FALSE(check(t.substr(0, t.rfind('.'))).claims);  // no signature part
}

TEST_CASE("a token with a bad signature is refused", "[auth]") {
  CHECK_FALSE(check(sign(good, JWT_ALG_HS256, "another-secret-0123456789")).claims);
  // The payload changed after signing (another room): the signature no longer fits.
  auto t = sign(good);
  auto other = sign(R"({"room":"r2","name":"Alice","exp":1700003600})");
  auto dot1 = t.find('.'), dot2 = t.rfind('.');
  auto forged = t.substr(0, dot1) +
                other.substr(other.find('.'), other.rfind('.') - other.find('.')) + t.substr(dot2);
  CHECK_FALSE(verify_join_token(forged, secret, "r2", now).claims);
  // Without a configured secret nothing verifies.
  CHECK_FALSE(verify_join_token(t, "", "r1", now).claims);
}

TEST_CASE("alg none and every alg other than HS256 are refused", "[auth]") {
  auto none = sign(good, JWT_ALG_NONE);
  CHECK(none.back() == '.');
  CHECK_FALSE(check(none).claims);
  // alg none with a signature appended anyway.
  CHECK_FALSE(check(none + sign(good).substr(sign(good).rfind('.') + 1)).claims);
  // Validly signed with the same secret, but not by HS256.
  CHECK_FALSE(check(sign(good, JWT_ALG_HS384)).claims);
  auto hs512 = check(sign(good, JWT_ALG_HS512));
  CHECK_FALSE(hs512.claims);
  CHECK(hs512.error == "alg is not HS256");
}

TEST_CASE("exp is required and must be in the future, nbf in the past", "[auth]") {
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"Alice"})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"Alice","exp":1699999999})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"Alice","exp":1700000000})")).claims);
  CHECK(check(sign(R"({"room":"r1","name":"Alice","exp":1700000001})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"Alice","exp":"1800000000"})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"Alice","exp":1800000000.5})")).claims);
  auto future = check(sign(R"({"room":"r1","name":"Alice","exp":1800000000,"nbf":1700000060})"));
  CHECK_FALSE(future.claims);
  CHECK(future.error == "token not yet valid (nbf)");
  CHECK(check(sign(R"({"room":"r1","name":"Alice","exp":1800000000,"nbf":1700000000})")).claims);
  CHECK_FALSE(
    check(sign(R"({"room":"r1","name":"Alice","exp":1800000000,"nbf":"1600000000"})")).claims);
}

TEST_CASE("a token is for its room, or for any with *", "[auth]") {
  auto t = sign(good);
  CHECK(check(t, "r1").claims);
  CHECK_FALSE(check(t, "r2").claims);
  CHECK(check(t, "r2").error == "token is for another room");
  CHECK_FALSE(check(t, "R1").claims);
  CHECK_FALSE(check(sign(R"({"name":"Alice","exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":7,"name":"Alice","exp":1800000000})")).claims);
  auto any = sign(R"({"room":"*","name":"Alice","exp":1800000000})");
  CHECK(check(any, "r1").claims);
  CHECK(check(any, "another_room-2").claims);
}

TEST_CASE("name, role and type claims must be valid when present", "[auth]") {
  CHECK_FALSE(check(sign(R"({"room":"r1","exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"","exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"   ","exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":42,"exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"A","role":"owner","exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"A","role":1,"exp":1800000000})")).claims);
  CHECK_FALSE(check(sign(R"({"room":"r1","name":"A","type":"party","exp":1800000000})")).claims);
  auto viewer = check(sign(R"({"room":"r1","name":"A","role":"viewer","exp":1800000000})"));
  REQUIRE(viewer.claims);
  CHECK(viewer.claims->role == peer_role::viewer);
  auto call = check(sign(R"({"room":"r1","name":"A","type":"call","exp":1800000000})"));
  REQUIRE(call.claims);
  CHECK(call.claims->type == room_type::call);
}

TEST_CASE("minted tokens verify and carry what was asked", "[auth]") {
  auto t = mint_join_token(secret, {"*", "Bob", peer_role::viewer, room_type::audio, 60}, now);
  auto c = check(t, "any");
  REQUIRE(c.claims);
  CHECK(c.claims->name == "Bob");
  CHECK(c.claims->role == peer_role::viewer);
  CHECK(c.claims->type == room_type::audio);
  CHECK(c.claims->exp == now + 60);
  CHECK_FALSE(verify_join_token(t, secret, "any", now + 60).claims);  // expired at exp
  CHECK_FALSE(verify_join_token(t, "other-secret-0123456789", "any", now).claims);
}

TEST_CASE("the rate limiter allows its rate per second per key", "[auth]") {
  rate_limiter lim{3};
  auto t0 = rate_limiter::clock::now();
  CHECK(lim.allow("a", t0));
  CHECK(lim.allow("a", t0));
  CHECK(lim.allow("a", t0));
  CHECK_FALSE(lim.allow("a", t0));
  CHECK(lim.allow("b", t0));  // another address has its own bucket
  // A third of a second brings one join back; a second brings all three, no more.
  CHECK(lim.allow("a", t0 + std::chrono::milliseconds(340)));
  CHECK_FALSE(lim.allow("a", t0 + std::chrono::milliseconds(340)));
  auto t1 = t0 + std::chrono::seconds(5);
  for (int i = 0; i < 3; ++i)
    CHECK(lim.allow("a", t1));
  CHECK_FALSE(lim.allow("a", t1));
  rate_limiter unlimited{0};
  for (int i = 0; i < 1000; ++i)
    REQUIRE(unlimited.allow("a", t0));
}

TEST_CASE("a rate limiter's burst may exceed its rate per second", "[auth]") {
  rate_limiter lim{5, 10};  // the chat's: 5 a second, 10 at once
  auto t0 = rate_limiter::clock::now();
  for (int i = 0; i < 10; ++i)
    CHECK(lim.allow("p", t0));
  CHECK_FALSE(lim.allow("p", t0));
  // A fifth of a second brings one back.
  CHECK(lim.allow("p", t0 + std::chrono::milliseconds(210)));
  CHECK_FALSE(lim.allow("p", t0 + std::chrono::milliseconds(210)));
  // Idle for long, the bucket holds the burst, no more.
  auto t1 = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 10; ++i)
    CHECK(lim.allow("p", t1));
  CHECK_FALSE(lim.allow("p", t1));
}

TEST_CASE("the rate limiter forgets idle addresses", "[auth]") {
  rate_limiter lim{1};
  auto t0 = rate_limiter::clock::now();
  for (int i = 0; i < 2000; ++i)
    lim.allow("10.0.0." + std::to_string(i), t0);
  CHECK(lim.tracked() == 2000);
  lim.allow("x", t0 + std::chrono::seconds(3));
  CHECK(lim.tracked() <= 1);
}

TEST_CASE("address_of drops the port of remote()", "[auth]") {
  CHECK(address_of("1.2.3.4:5678") == "1.2.3.4");
  CHECK(address_of("::1:5678") == "::1");
  CHECK(address_of("[::1]:5678") == "::1");
  CHECK(address_of("test") == "test");
  CHECK(address_of("?") == "?");
}

TEST_CASE("a viewer-only join is a viewer whatever the room would give", "[auth]") {
  room_state group{"r", room_type::group, {}};
  auto a = group.join("p1", "A", std::nullopt, peer_role::publisher, true);
  REQUIRE(a.error.empty());
  CHECK(a.joined.role == peer_role::viewer);
  CHECK_FALSE(group.owner());
  // A broadcast's creator with a viewer token is no publisher either.
  room_state bc{"b", room_type::broadcast, {}};
  auto v = bc.join("p1", "A", std::nullopt, std::nullopt, true);
  REQUIRE(v.error.empty());
  CHECK(v.joined.role == peer_role::viewer);
  room_state call{"c", room_type::call, {}};
  CHECK(call.join("p1", "A", std::nullopt, std::nullopt, true).error == "unauthorized");
  CHECK(call.empty());
  // A viewer-only join still counts against max-viewers.
  room_state small{"s", room_type::group, {9, 1, 0}};
  CHECK(small.join("p1", "A", std::nullopt, std::nullopt, true).error.empty());
  CHECK(small.join("p2", "B", std::nullopt, std::nullopt, true).error == "room_full");
}

TEST_CASE("rooms.max-peers fills a room whatever the roles", "[auth]") {
  room_state r{"r", room_type::group, {1, 0, 3}};
  for (auto id : {"p1", "p2", "p3"})
    REQUIRE(r.join(id, id, std::nullopt, std::nullopt).error.empty());
  auto out = r.join("p4", "D", std::nullopt, peer_role::viewer);
  CHECK(out.error == "room_full");
  CHECK(out.over_max_peers);
  r.leave("p2");
  CHECK(r.join("p4", "D", std::nullopt, std::nullopt).error.empty());
  // room_full for lack of a publisher seat is not the peers limit.
  room_state c{"c", room_type::call, {9, 0, 0}};
  c.join("a", "a", std::nullopt, std::nullopt);
  c.join("b", "b", std::nullopt, std::nullopt);
  auto third = c.join("x", "x", std::nullopt, std::nullopt);
  CHECK(third.error == "room_full");
  CHECK_FALSE(third.over_max_peers);
}

TEST_CASE("phx_join's token is decoded, and with it displayName may be absent", "[auth]") {
  auto join = [](std::string params) {
    auto decoded = proto::decode_client(R"(["1","1","room:a","phx_join",)" + params + "]");
    auto& f = std::get<proto::client_frame>(decoded);
    return std::get<proto::phx_join>(f.event).params;
  };
  auto plain = join(R"({"displayName":"a"})");
  REQUIRE(plain);
  CHECK_FALSE(plain->token);
  auto both = join(R"({"displayName":"a","token":"x.y.z"})");
  REQUIRE(both);
  CHECK(both->token == "x.y.z");
  CHECK(both->display_name == "a");
  auto only = join(R"({"token":"x.y.z"})");
  REQUIRE(only);
  CHECK(only->display_name.empty());
  auto bad_name = join(R"({"displayName":"","token":"x.y.z"})");
  REQUIRE(bad_name);
  CHECK(bad_name->display_name.empty());
  auto not_string = join(R"({"token":5})");
  REQUIRE(not_string);
  CHECK(not_string->token == "");
  CHECK_FALSE(join(R"({})"));
  CHECK_FALSE(join(R"({"token":"x","roomType":"party"})"));
}
