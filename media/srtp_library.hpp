// Which libsrtp2 this process's SRTP runs on. cmake/srtp.cmake builds one on
// OpenSSL and links it into every executable, so GStreamer's srtp plugin uses
// it instead of Debian's NSS build; this reports whether that held.
#pragma once

#include <string>
#include <vector>

namespace vr::media {

// Paths of every libsrtp2 mapped into the process (normally exactly one).
std::vector<std::string> loaded_srtp_libraries();

// The libsrtp2 built on OpenSSL with the project; empty with VR_SRTP_OPENSSL=OFF.
std::string bundled_srtp_library();

// Loads GStreamer's srtp plugin (so libsrtp2) if it is not yet, then describes
// the copy in use, e.g. "libsrtp2 2.5.0, built on OpenSSL (/path)".
std::string describe_srtp();

}  // namespace vr::media
