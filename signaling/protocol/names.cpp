#include "signaling/protocol/names.hpp"

#include <algorithm>
#include <array>

namespace vr {

namespace {

constexpr std::array<std::string_view, 4> type_names{"group", "audio", "broadcast", "call"};

bool room_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Decodes the code point at s[i] and advances i. Overlong forms, surrogates and
// values past U+10FFFF are malformed: every peer renders the name, so it must be
// UTF-8 that all of them decode the same way.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0)
    len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return std::nullopt;
  if (i + len > s.size())
    return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return std::nullopt;
  i += len;
  return cp;
}

// C0, DEL and C1 (Unicode category Cc).
bool control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Unicode White_Space plus the zero-width characters that render as nothing:
// a name made only of these shows up as blank.
bool blank(char32_t c) {
  switch (c) {
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x180E:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x2060:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

}  // namespace

std::string_view to_string(room_type t) { return type_names[static_cast<std::size_t>(t)]; }

std::string_view to_string(peer_role r) {
  return r == peer_role::publisher ? "publisher" : "viewer";
}

std::optional<room_type> parse_room_type(std::string_view s) {
  for (std::size_t i = 0; i < type_names.size(); ++i)
    if (type_names[i] == s)
      return static_cast<room_type>(i);
  return std::nullopt;
}

std::optional<peer_role> parse_peer_role(std::string_view s) {
  if (s == "publisher")
    return peer_role::publisher;
  if (s == "viewer")
    return peer_role::viewer;
  return std::nullopt;
}

std::optional<std::string> room_id_from_topic(std::string_view topic) {
  constexpr std::string_view prefix = "room:";
  if (topic.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  auto id = topic.substr(prefix.size());
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), room_char))
    return std::nullopt;
  return std::string{id};
}

bool valid_display_name(std::string_view name) {
  std::size_t n = 0;
  bool visible = false;
  for (std::size_t i = 0; i < name.size(); ++n) {
    auto c = next_code_point(name, i);
    if (!c || control(*c))
      return false;
    visible = visible || !blank(*c);
  }
  return n >= 1 && n <= 64 && visible;
}

std::optional<std::string> chat_text(std::string_view text) {
  constexpr std::size_t max_code_points = 2000;
  auto space = [](char32_t c) { return blank(c) || (c >= 0x09 && c <= 0x0D); };
  // Bytes of the first and past the last code point that is not a blank.
  std::size_t first = text.size(), last = 0, count = 0;
  for (std::size_t i = 0; i < text.size();) {
    auto at = i;
    auto c = next_code_point(text, i);
    if (!c || (control(*c) && !space(*c)))
      return std::nullopt;
    if (space(*c))
      continue;
    first = std::min(first, at);
    last = i;
  }
  if (first >= last)
    return std::nullopt;
  auto kept = text.substr(first, last - first);
  for (std::size_t i = 0; i < kept.size(); ++count)
    next_code_point(kept, i);
  if (count > max_code_points)
    return std::nullopt;
  return std::string{kept};
}

}  // namespace vr
