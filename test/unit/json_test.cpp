#include "signaling/json.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace json = vr::signaling::json;

TEST_CASE("quote escapes what JSON needs escaped", "[json]") {
  CHECK(json::quote("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
  CHECK(json::quote("") == R"("")");
  CHECK(json::quote("Zoë") == "\"Zoë\"");  // UTF-8 passes through
  CHECK(json::parse("[" + json::quote("</script>\t\"") + "]"));
}

TEST_CASE("typed getters refuse other types", "[json]") {
  auto doc =
    json::parse(R"({"s":"x","b":true,"i":5,"n":-9007199254740993,"d":1.5,"o":{},"a":[],"z":null})");
  REQUIRE(doc);
  CHECK(json::get_string(*doc, "s") == "x");
  CHECK_FALSE(json::get_string(*doc, "b"));
  CHECK_FALSE(json::get_string(*doc, "z"));
  CHECK(json::get_bool(*doc, "b") == true);
  CHECK_FALSE(json::get_bool(*doc, "s"));
  CHECK(json::get_int(*doc, "i") == 5);
  CHECK(json::get_int(*doc, "n") == -9007199254740993LL);
  CHECK_FALSE(json::get_int(*doc, "d"));
  CHECK_FALSE(json::get_int(*doc, "s"));
  CHECK(json::get_object(*doc, "o") != nullptr);
  CHECK(json::get_object(*doc, "a") == nullptr);
  CHECK_FALSE(json::get_string(*doc, "missing"));
  // Lookups on a non-object are misses, not crashes.
  auto arr = json::parse("[1]");
  REQUIRE(arr);
  CHECK_FALSE(json::get_string(*arr, "s"));
  CHECK(json::get_object(*arr, "o") == nullptr);
}

TEST_CASE("the depth limit counts objects and arrays", "[json]") {
  CHECK(json::parse("[[[1]]]", 3));
  CHECK_FALSE(json::parse("[[[1]]]", 2));
  CHECK_FALSE(json::parse(R"({"a":{"b":{}}})", 2));
  CHECK(json::parse(R"({"a":[],"b":{},"c":[{}]})", 3));  // siblings do not add up
  CHECK(json::parse("1", 0));                            // scalars have no depth
  CHECK(json::to_string(*json::parse(R"( { "a" : [ 1 , 2 ] } )")) == R"({"a":[1,2]})");
}

TEST_CASE("hostile input is refused without recursion", "[json]") {
  // 100000 levels would overflow a recursive parser's stack.
  CHECK_FALSE(json::parse(std::string(100000, '[') + std::string(100000, ']')));
  CHECK_FALSE(json::parse(std::string(100000, '[')));
  std::string objects;
  for (int i = 0; i < 50000; ++i)
    objects += R"({"a":)";
  CHECK_FALSE(json::parse(objects + "1" + std::string(50000, '}')));
  // Even a generous limit keeps a deep but valid document in reach of the
  // (recursive) writer only because the parse bounded it.
  auto deep = std::string(1000, '[') + std::string(1000, ']');
  auto doc = json::parse(deep, 1000);
  REQUIRE(doc);
  CHECK(json::to_string(*doc) == deep);
}

TEST_CASE("only well-formed UTF-8 JSON is accepted", "[json]") {
  CHECK(json::parse("\"Zo\xc3\xab\""));
  CHECK_FALSE(json::parse("\"\xff\""));                  // never valid
  CHECK_FALSE(json::parse("\"\xc3\""));                  // truncated sequence
  CHECK_FALSE(json::parse("\"\xc0\xaf\""));              // overlong '/'
  CHECK_FALSE(json::parse("\"\xed\xa0\x80\""));          // encoded surrogate
  CHECK_FALSE(json::parse(std::string("[1]\0[2]", 7)));  // NUL: nothing is cut off
  CHECK_FALSE(json::parse(""));
  CHECK_FALSE(json::parse("[1] [2]"));
  CHECK_FALSE(json::parse("{'a':1}"));
  CHECK_FALSE(json::parse("[1,]"));
  CHECK_FALSE(json::parse("NaN"));
}

// Found by test/fuzz/media_event_fuzz: RapidJSON decoded an escaped lone low
// surrogate into invalid UTF-8, which we would have passed on to browsers.
TEST_CASE("escaped lone surrogates are refused, pairs accepted", "[json]") {
  CHECK_FALSE(json::parse(R"(["\uddaa"])"));
  CHECK_FALSE(json::parse(R"({"\udc00":1})"));
  CHECK_FALSE(json::parse(R"(["\ud800"])"));
  CHECK_FALSE(json::parse(R"(["a\udc00\ud800b"])"));
  auto pair = json::parse(R"(["\ud83d\ude00"])");  // U+1F600
  REQUIRE(pair);
  CHECK(json::to_string(*pair) == "[\"\xf0\x9f\x98\x80\"]");
  CHECK(json::parse(R"(["\u00e9\ud7ff\ue000"])"));  // around the surrogate block
}
