// The pure part of LL-HLS request parsing (hls_http.cpp): the file name of a
// stream ("init.mp4", "segN.m4s", "segN.pK.m4s") and the blocking-reload query
// (_HLS_msn, _HLS_part, RFC 8216bis 6.2.5.2) of a playlist request. No Beast,
// no I/O: unit-tested and fuzzed (test/fuzz/hls_query_fuzz.cpp) on its own.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace vr::signaling::hls_query {

// A whole decimal number, nothing else; nullopt when empty, signed, too large or
// followed by anything.
inline std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

// "segN.m4s" → (N, none); "segN.pK.m4s" → (N, K); "init.mp4" and others → nullopt.
struct file_name {
  enum {
    init,
    segment,
    part
  } kind;
  std::uint64_t msn = 0;
  std::optional<std::uint32_t> part_index;
};
inline std::optional<file_name> parse_file(std::string_view name) {
  if (name == "init.mp4")
    return file_name{file_name::init, 0, std::nullopt};
  if (name.substr(0, 3) != "seg" || name.size() < 8 || name.substr(name.size() - 4) != ".m4s")
    return std::nullopt;
  auto body = name.substr(3, name.size() - 7);
  auto dot = body.find(".p");
  auto msn = number(body.substr(0, dot));
  if (!msn)
    return std::nullopt;
  if (dot == std::string_view::npos)
    return file_name{file_name::segment, *msn, std::nullopt};
  auto part = number(body.substr(dot + 2));
  if (!part || *part > 100000)
    return std::nullopt;
  return file_name{file_name::part, *msn, static_cast<std::uint32_t>(*part)};
}

// The query of a request target ("...?_HLS_msn=N&_HLS_part=K"); other keys are
// ignored. `bad`: a value that is not a number, a part above 100000, or a part
// without an msn (answered 400).
struct query {
  std::optional<std::uint64_t> msn;
  std::optional<std::uint32_t> part;
  bool bad = false;
};
inline query parse_query(std::string_view target) {
  query q;
  auto mark = target.find('?');
  if (mark == std::string_view::npos)
    return q;
  auto rest = target.substr(mark + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (key == "_HLS_msn") {
      q.msn = number(value);
      q.bad |= !q.msn;
    } else if (key == "_HLS_part") {
      auto p = number(value);
      q.bad |= !p || *p > 100000;
      if (p)
        q.part = static_cast<std::uint32_t>(*p);
    }
  }
  q.bad |= q.part.has_value() && !q.msn;
  return q;
}

// The rest of an HLS path after /<stage>/live/, "PUB/STREAM/NAME", split at its
// last '/' into the stream ("PUB/STREAM", not yet validated) and the file name.
struct stream_path {
  std::string_view stream;
  std::string_view name;
};
inline stream_path split_path(std::string_view rest) {
  auto slash = rest.rfind('/');
  return {slash == std::string_view::npos ? std::string_view{} : rest.substr(0, slash),
          slash == std::string_view::npos ? rest : rest.substr(slash + 1)};
}

}  // namespace vr::signaling::hls_query
