#include "signaling/static_files.hpp"

#include <array>
#include <utility>

namespace vr::signaling {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
      return std::nullopt;
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

}  // namespace

std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    std::string_view target) {
  auto path = target.substr(0, target.find_first_of("?#"));
  if (path == "/" || path.empty())
    return root / "index.html";
  if (path.starts_with("/room/"))
    return root / "room.html";
  auto decoded = percent_decode(path);
  if (!decoded || decoded->find_first_of(std::string_view{"\\\0", 2}) != std::string::npos)
    return std::nullopt;
  std::filesystem::path rel;
  std::string_view rest = *decoded;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty() || segment == ".")
      continue;
    if (segment == "..")
      return std::nullopt;
    rel /= std::string{segment};
  }
  if (rel.empty())
    return std::nullopt;
  return root / rel;
}

std::string_view mime_type(const std::filesystem::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> types{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".map", "application/json"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".m3u8", "application/vnd.apple.mpegurl"},
    {".mp4", "video/mp4"},
    {".m4s", "video/mp4"},
    {".ts", "video/mp2t"},
  }};
  auto ext = file.extension().string();
  for (auto& [e, type] : types)
    if (e == ext)
      return type;
  return "application/octet-stream";
}

}  // namespace vr::signaling
