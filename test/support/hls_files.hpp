// Small file and playlist helpers shared by the LL-HLS tests (unit, media, SFU).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace vr::test {

// A fresh path under the temp dir, removed with everything in it at the end.
// The directory itself is not created: the code under test may create it.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& prefix = "vr-test-") {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           (prefix + std::to_string(rd()) + std::to_string(rd()));
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The numbers following every occurrence of `tag` ("#EXTINF:", "#EXT-X-PART:DURATION=").
inline std::vector<double> playlist_values(const std::string& text, const std::string& tag) {
  std::vector<double> out;
  const std::regex re(tag + "([0-9.]+)");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

}  // namespace vr::test
