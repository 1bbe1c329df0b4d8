#include "media/srtp_library.hpp"

#include <dlfcn.h>
#include <link.h>

#include <gst/gst.h>

#include "media/gst_ptr.hpp"

namespace vr::media {

std::vector<std::string> loaded_srtp_libraries() {
  std::vector<std::string> out;
  dl_iterate_phdr(
    [](dl_phdr_info* info, size_t, void* data) {
      std::string name = info->dlpi_name ? info->dlpi_name : "";
      if (name.find("/libsrtp2.so") != std::string::npos)
        static_cast<std::vector<std::string>*>(data)->push_back(name);
      return 0;
    },
    &out);
  return out;
}

std::string bundled_srtp_library() {
#ifdef VR_BUNDLED_SRTP
  return VR_BUNDLED_SRTP;
#else
  return {};
#endif
}

std::string describe_srtp() {
  gst_init(nullptr, nullptr);  // idempotent; the plugin registry needs it
  if (auto plugin = gst_object_ptr<GstPlugin>(gst_plugin_load_by_name("srtp")); !plugin)
    return "none: GStreamer's srtp plugin is missing (gstreamer1.0-plugins-bad)";
  auto paths = loaded_srtp_libraries();
  if (paths.empty())
    return "none: the srtp plugin loaded no libsrtp2";
  using version_fn = const char* (*)();
  auto version = reinterpret_cast<version_fn>(dlsym(RTLD_DEFAULT, "srtp_get_version_string"));
  std::string out = version ? version() : "libsrtp2";
  if (auto bundled = bundled_srtp_library(); bundled.empty())
    out += ", the system's (VR_SRTP_OPENSSL=OFF)";
  else
    out += paths == std::vector{bundled} ? ", built on OpenSSL" : ", not the OpenSSL build alone";
  for (const auto& p : paths)
    out += " (" + p + ")";
  return out;
}

}  // namespace vr::media
