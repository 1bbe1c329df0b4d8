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

TEST_CASE("a publishOffer with SDP and unicode survives the double encoding", "[media_event]") {
  std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=Zoë \"cam\"\r\n";
  auto data = R"({"sdp":)" + json::quote(sdp) + R"(,"trackMetadata":{"0":{"name":"a\\b"}}})";
  auto ev = me::decode_payload(me::encode_payload("publishOffer", data));
  REQUIRE(ev);
  CHECK(ev->type == "publishOffer");
  CHECK(ev->data == data);
  auto doc = json::parse(ev->data);
  REQUIRE(doc);
  CHECK(json::get_string(*doc, "sdp") == sdp);
  // The channel payload itself is a one-key object holding a string.
  auto outer = json::parse(me::encode_payload("leave", "{}"));
  REQUIRE(outer);
  CHECK(outer->MemberCount() == 1);
  CHECK(json::get_string(*outer, "data") == R"({"type":"leave","data":{}})");
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
  CHECK_FALSE(me::decode_payload(R"({"data":"{\"type\":\"join\",\"data\":null}"})"));
  CHECK_FALSE(me::decode_payload(R"({"data":"{\"type\":\"join\"} x"})"));  // trailing text
  CHECK_FALSE(me::decode_payload(R"(["{\"type\":\"join\"}"])"));           // payload not an object
  CHECK_FALSE(me::decode_payload("{\"data\":\"{\\\"type\\\":\\\"\xff\\\"}\"}"));  // bad UTF-8
  CHECK_FALSE(me::decode_payload("not json"));
  std::string deep =
    R"({"type":"join","data":{"a":)" + std::string(64, '[') + std::string(64, ']') + "}}";
  CHECK_FALSE(me::decode(deep));
  CHECK(me::decode(deep, 100));
  // Deep nesting inside the string is as hostile as outside it.
  std::string very_deep =
    R"({"type":"join","data":{"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}}";
  CHECK_FALSE(me::decode_payload(R"({"data":)" + json::quote(very_deep) + "}"));
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
