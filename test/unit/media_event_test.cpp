#include "signaling/media_event.hpp"

#include "signaling/json.hpp"

#include <catch2/catch.hpp>

namespace me = vr::signaling::media_event;
namespace json = vr::signaling::json;

TEST_CASE("media events nest JSON in a JSON string, both ways", "[media_event]") {
  auto payload = me::encode_payload("peerLeft", R"({"peerId":"p\"1"})");
  CHECK(payload == R"({"data":"{\"type\":\"peerLeft\",\"data\":{\"peerId\":\"p\\\"1\"}}"})");
  auto ev = me::decode_payload(payload);
  REQUIRE(ev);
  CHECK(ev->type == "peerLeft");
  CHECK(ev->data == R"({"peerId":"p\"1"})");
}

TEST_CASE("a media event without data reads as {}", "[media_event]") {
  auto ev = me::decode(R"({"type":"leave"})");
  REQUIRE(ev);
  CHECK(ev->data == "{}");
}

TEST_CASE("malformed media events are refused", "[media_event]") {
  CHECK_FALSE(me::decode_payload(R"({"data":{"type":"join"}})"));  // not a string
  CHECK_FALSE(me::decode_payload(R"({"x":"{}"})"));
  CHECK_FALSE(me::decode_payload(R"({"data":"not json"})"));
  CHECK_FALSE(me::decode_payload(R"({"data":"{\"data\":{}}"})"));  // no type
  CHECK_FALSE(me::decode_payload(R"({"data":"{\"type\":1}"})"));
  CHECK_FALSE(me::decode_payload(R"({"data":"{\"type\":\"join\",\"data\":[]}"})"));
  CHECK_FALSE(me::decode_payload(R"({"data":"[1]"})"));
  std::string deep = R"({"type":"join","data":{"a":)" + std::string(64, '[') +
                     std::string(64, ']') + "}}";
  CHECK_FALSE(me::decode(deep));
}

TEST_CASE("error media events carry reason and message", "[media_event]") {
  auto ev = me::decode_payload(me::error_payload("forbidden", "viewers cannot publish"));
  REQUIRE(ev);
  CHECK(ev->type == "error");
  auto doc = json::parse(ev->data);
  REQUIRE(doc);
  CHECK(json::get_string(*doc, "reason") == "forbidden");
  CHECK(json::get_string(*doc, "message") == "viewers cannot publish");
}
