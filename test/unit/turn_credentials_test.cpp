// TURN REST API credentials (coturn's use-auth-secret), checked against vectors
// computed by hand:
//   printf '%s' '1700000000:peer-42' | openssl dgst -sha1 -hmac 'north-secret' -binary | base64
#include "actors/turn_credentials.hpp"

#include <catch2/catch.hpp>

namespace proto = vr::signaling::protocol;

TEST_CASE("HMAC-SHA1 in base64 matches openssl dgst", "[turn]") {
  CHECK(vr::hmac_sha1_base64("north-secret", "1700000000:peer-42") ==
        "5QrEOzqgjSV7m/mjJAj9P6KhkfE=");
  // RFC 2202, test case 2 (hex effcdf6ae5eb2fa2d27416d5f184df9c259a7c79).
  CHECK(vr::hmac_sha1_base64("Jefe", "what do ya want for nothing?") ==
        "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

TEST_CASE("a TURN REST credential is EXPIRY:PEERID and its HMAC", "[turn]") {
  auto c = vr::turn_rest_credential("north-secret", "peer-42", 1700000000);
  CHECK(c.username == "1700000000:peer-42");
  CHECK(c.credential == "5QrEOzqgjSV7m/mjJAj9P6KhkfE=");
}

TEST_CASE("only TURN entries without a user get time-limited credentials", "[turn]") {
  std::vector<proto::ice_server> servers{
    {"stun:127.0.0.1:3478", std::nullopt, std::nullopt},
    {"turn:127.0.0.1:3478", std::nullopt, std::nullopt},
    {"turn:127.0.0.1:3479", "alice", "s3cret"},
    {"turns:turn.example.org:5349", std::nullopt, std::nullopt},
  };
  auto out = vr::with_turn_credentials(servers, "north-secret", "peer-42", 1700000000);
  REQUIRE(out.size() == 4);
  CHECK(!out[0].username);
  CHECK(!out[0].credential);
  CHECK(out[1].username == "1700000000:peer-42");
  CHECK(out[1].credential == "5QrEOzqgjSV7m/mjJAj9P6KhkfE=");
  CHECK(out[2].username == "alice");
  CHECK(out[2].credential == "s3cret");
  CHECK(out[3].username == "1700000000:peer-42");
  CHECK(out[3].credential == "5QrEOzqgjSV7m/mjJAj9P6KhkfE=");
}
