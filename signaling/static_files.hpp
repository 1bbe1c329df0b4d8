// Maps request targets to files of the static directory, safely.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace vr::signaling {

// The file for `target` (path and query): "/" → index.html, "/room/…" → room.html,
// else the percent-decoded path under `root`. nullopt for anything that could
// leave `root` (.., backslashes, NUL, bad escapes).
std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    std::string_view target);

// Content type by file extension; application/octet-stream when unknown.
std::string_view mime_type(const std::filesystem::path& file);

}  // namespace vr::signaling
