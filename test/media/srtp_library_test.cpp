// The SRTP of every connection runs on one libsrtp2: the one built on OpenSSL
// (cmake/srtp.cmake) when there is one, even though GStreamer's srtp plugin
// was linked against Debian's NSS build.
#include "media/srtp_library.hpp"
#include "media/gst_ptr.hpp"

#include <catch2/catch.hpp>

using namespace vr::media;

TEST_CASE("SRTP elements run on the one libsrtp2 the process loaded, the OpenSSL build", "[srtp]") {
  auto description = describe_srtp();  // loads the srtp plugin
  INFO(description);
  // An encoder and a decoder: the plugin's libsrtp2 symbols are bound by now.
  auto enc = make_element("srtpenc");
  auto dec = make_element("srtpdec");
  REQUIRE(enc);
  REQUIRE(dec);
  auto loaded = loaded_srtp_libraries();
  REQUIRE(loaded.size() == 1);
  CHECK(description.find(loaded.front()) != std::string::npos);
  if (auto bundled = bundled_srtp_library(); !bundled.empty()) {
    CHECK(loaded.front() == bundled);
    CHECK(description.find(", built on OpenSSL") != std::string::npos);
  }
}
