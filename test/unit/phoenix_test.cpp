#include "signaling/phoenix.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace phx = vr::signaling::phoenix;

namespace {

phx::frame decoded(const std::string& text) {
  auto r = phx::decode(text);
  REQUIRE(std::holds_alternative<phx::frame>(r));
  return std::get<phx::frame>(r);
}

phx::decode_error refused(const std::string& text, phx::limits lim = {}) {
  auto r = phx::decode(text, lim);
  REQUIRE(std::holds_alternative<phx::decode_error>(r));
  return std::get<phx::decode_error>(r);
}

}  // namespace

TEST_CASE("a heartbeat decodes and its reply is the protocol's", "[phoenix]") {
  auto f = decoded(R"([null,"7","phoenix","heartbeat",{}])");
  CHECK_FALSE(f.join_ref);
  CHECK(f.ref == "7");
  CHECK(f.topic == "phoenix");
  CHECK(f.event == "heartbeat");
  CHECK(f.payload == "{}");
  CHECK(phx::reply(f.join_ref, f.ref, f.topic, "ok") ==
        R"([null,"7","phoenix","phx_reply",{"status":"ok","response":{}}])");
}

TEST_CASE("frames round-trip through encode", "[phoenix]") {
  auto f = decoded(R"(["1","2","room:a","phx_join",{"displayName":"Zoë \"Z\"","n":[1,2]}])");
  CHECK(f.join_ref == "1");
  CHECK(f.payload == R"({"displayName":"Zoë \"Z\"","n":[1,2]})");
  CHECK(phx::encode(f) == R"(["1","2","room:a","phx_join",{"displayName":"Zoë \"Z\"","n":[1,2]}])");
  phx::frame push{"1", std::nullopt, "room:a", "ownerChanged", R"({"ownerId":null})"};
  CHECK(phx::encode(push) == R"(["1",null,"room:a","ownerChanged",{"ownerId":null}])");
}

TEST_CASE("null refs, whitespace and the protocol's other shapes", "[phoenix]") {
  auto f = decoded(" [ null , null , \"room:a\" , \"mediaEvent\" , { \"data\" : \"{}\" } ] ");
  CHECK_FALSE(f.join_ref);
  CHECK_FALSE(f.ref);
  CHECK(f.payload == R"({"data":"{}"})");
  CHECK(decoded(R"(["","","","",{}])").ref == "");  // empty strings are still strings
  // A join reply with its response, a phx_error push and a phx_close, as in protocol.md §1.
  CHECK(
    phx::reply("3", "4", "room:a", "ok", R"({"peerId":"p1","role":"publisher"})") ==
    R"(["3","4","room:a","phx_reply",{"status":"ok","response":{"peerId":"p1","role":"publisher"}}])");
  CHECK(phx::encode({"3", "3", "room:a", "phx_error", "{}"}) ==
        R"(["3","3","room:a","phx_error",{}])");
  CHECK(phx::encode({"3", std::nullopt, "room:a", "phx_close", "{}"}) ==
        R"(["3",null,"room:a","phx_close",{}])");
  CHECK(phx::reply(std::nullopt, std::nullopt, "phoenix", "ok") ==
        R"([null,null,"phoenix","phx_reply",{"status":"ok","response":{}}])");
  // Whatever encode writes, decode reads back the same.
  phx::frame odd{"j\"1", "r\n", "room:Zoë", "ev\\t", R"({"a":[1,{"b":null}]})"};
  auto back = decoded(phx::encode(odd));
  CHECK(back.join_ref == odd.join_ref);
  CHECK(back.ref == odd.ref);
  CHECK(back.topic == odd.topic);
  CHECK(back.event == odd.event);
  CHECK(back.payload == odd.payload);
  auto r = decoded(phx::reply("1", "2", "t", "error", phx::reason_json("unmatched topic")));
  CHECK(r.event == "phx_reply");
  CHECK(r.payload == R"({"status":"error","response":{"reason":"unmatched topic"}})");
}

TEST_CASE("error replies carry a reason", "[phoenix]") {
  CHECK(phx::reply("1", "3", "room:a", "error", phx::reason_json("bad_frame")) ==
        R"(["1","3","room:a","phx_reply",{"status":"error","response":{"reason":"bad_frame"}}])");
}

TEST_CASE("malformed frames are refused, keeping a usable ref and topic", "[phoenix]") {
  SECTION("not JSON") {
    auto e = refused("hello");
    CHECK_FALSE(e.ref);
    CHECK_FALSE(e.topic);
  }
  SECTION("not an array") { CHECK_FALSE(refused(R"({"a":1})").topic); }
  SECTION("empty array") { CHECK_FALSE(refused("[]").topic); }
  SECTION("four elements: ref and topic salvaged") {
    auto e = refused(R"([null,"5","room:a","ev"])");
    CHECK(e.ref == "5");
    CHECK(e.topic == "room:a");
  }
  SECTION("six elements") { CHECK(refused(R"([null,"5","room:a","ev",{},1])").ref == "5"); }
  SECTION("payload not an object") {
    auto e = refused(R"([null,"5","room:a","ev","str"])");
    CHECK(e.ref == "5");
    CHECK(e.topic == "room:a");
  }
  SECTION("null payload") { CHECK(refused(R"([null,"5","room:a","ev",null])").topic == "room:a"); }
  SECTION("array payload") { CHECK(refused(R"([null,"5","room:a","ev",[]])").ref == "5"); }
  SECTION("numeric ref is not usable") { CHECK_FALSE(refused(R"([null,5,"room:a","ev",{}])").ref); }
  SECTION("boolean join_ref, usable ref") {
    auto e = refused(R"([true,"5","room:a","ev",{}])");
    CHECK_FALSE(e.join_ref);
    CHECK(e.ref == "5");
  }
  SECTION("a scalar") { CHECK_FALSE(refused("5").ref); }
  SECTION("empty text") { CHECK_FALSE(refused("").ref); }
  SECTION("object topic") { CHECK_FALSE(refused(R"([null,"5",{},"ev",{}])").topic); }
  SECTION("event not a string") { CHECK(refused(R"([null,"5","room:a",1,{}])").ref == "5"); }
  SECTION("embedded NUL") { refused(std::string("[null,\"5\",\"t\",\"e\",{}]\0x", 22)); }
  SECTION("invalid UTF-8") { refused("[null,\"5\",\"t\",\"e\",{\"a\":\"\xff\xfe\"}]"); }
  SECTION("trailing garbage") { refused(R"([null,"5","t","e",{}] x)"); }
}

TEST_CASE("deep nesting is refused without recursion", "[phoenix]") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  CHECK_FALSE(refused(deep).ref);
  std::string payload =
    R"(["j",1,"room:a","ev",{"a":)" + std::string(40, '[') + std::string(40, ']') + "}]";
  CHECK_FALSE(refused(payload).ref);  // 42 levels > 32, and a numeric ref
  // A too-deep payload behind a usable ref and topic can still be answered.
  auto e = refused(R"(["j","1","room:a","ev",{"a":)" + std::string(100000, '[') +
                   std::string(100000, ']') + "}]");
  CHECK(e.join_ref == "j");
  CHECK(e.ref == "1");
  CHECK(e.topic == "room:a");
  CHECK_FALSE(refused(R"([null,"2","room:b","ev",{"a": broken)").ref);  // not JSON: ignored
  CHECK_FALSE(refused(R"([null,"2",["x"],"room:b"])").topic);
  auto ok = R"([null,"1","room:a","ev",{"a":)" + std::string(29, '[') + std::string(29, ']') +
            "}]";  // 31 levels
  CHECK(std::holds_alternative<phx::frame>(phx::decode(ok)));
  CHECK(std::holds_alternative<phx::decode_error>(phx::decode(ok, {8})));
}
