#include "signaling/static_files.hpp"

#include <catch2/catch.hpp>

using vr::signaling::mime_type;
using vr::signaling::resolve_static;

TEST_CASE("static paths resolve inside the root only", "[static]") {
  std::filesystem::path root = "/srv/dist";
  CHECK(resolve_static(root, "/") == root / "index.html");
  CHECK(resolve_static(root, "/?x=1") == root / "index.html");
  CHECK(resolve_static(root, "/room/abc?display_name=x") == root / "room.html");
  CHECK(resolve_static(root, "/room.js") == root / "room.js");
  CHECK(resolve_static(root, "/a/./b.css") == root / "a" / "b.css");
  CHECK(resolve_static(root, "/a%20b.js") == root / "a b.js");
  CHECK_FALSE(resolve_static(root, "/../etc/passwd"));
  CHECK_FALSE(resolve_static(root, "/a/../../x"));
  CHECK_FALSE(resolve_static(root, "/%2e%2e/etc/passwd"));
  CHECK_FALSE(resolve_static(root, "/a%5c..%5cb"));
  CHECK_FALSE(resolve_static(root, "/a%00b"));
  CHECK_FALSE(resolve_static(root, "/a%zz"));
  CHECK_FALSE(resolve_static(root, "/a%2"));
}

TEST_CASE("content types follow the extension", "[static]") {
  CHECK(mime_type("x/index.html") == "text/html; charset=utf-8");
  CHECK(mime_type("a.js") == "text/javascript; charset=utf-8");
  CHECK(mime_type("p.m3u8") == "application/vnd.apple.mpegurl");
  CHECK(mime_type("noext") == "application/octet-stream");
}
