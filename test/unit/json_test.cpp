#include "signaling/json.hpp"

#include <catch2/catch.hpp>

namespace json = vr::signaling::json;

TEST_CASE("quote escapes what JSON needs escaped", "[json]") {
  CHECK(json::quote("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
  CHECK(json::quote("") == R"("")");
}

TEST_CASE("typed getters refuse other types", "[json]") {
  auto doc = json::parse(R"({"s":"x","b":true,"i":5,"o":{},"a":[]})");
  REQUIRE(doc);
  CHECK(json::get_string(*doc, "s") == "x");
  CHECK_FALSE(json::get_string(*doc, "b"));
  CHECK(json::get_bool(*doc, "b") == true);
  CHECK_FALSE(json::get_bool(*doc, "s"));
  CHECK(json::get_int(*doc, "i") == 5);
  CHECK(json::get_object(*doc, "o") != nullptr);
  CHECK(json::get_object(*doc, "a") == nullptr);
  CHECK_FALSE(json::get_string(*doc, "missing"));
}

TEST_CASE("the depth limit counts objects and arrays", "[json]") {
  CHECK(json::parse("[[[1]]]", 3));
  CHECK_FALSE(json::parse("[[[1]]]", 2));
  CHECK_FALSE(json::parse(R"({"a":{"b":{}}})", 2));
  CHECK(json::to_string(*json::parse(R"( { "a" : [ 1 , 2 ] } )")) == R"({"a":[1,2]})");
}
