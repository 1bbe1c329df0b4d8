// The protocol's names for room types and roles, and the shape of room ids and
// display names (protocol.md section 2). Shared by the codec, which validates
// join params once, and by the room rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vr {

enum class room_type {
  group,
  audio,
  broadcast,
  call
};
enum class peer_role {
  publisher,
  viewer
};

std::string_view to_string(room_type t);
std::string_view to_string(peer_role r);
std::optional<room_type> parse_room_type(std::string_view s);
std::optional<peer_role> parse_peer_role(std::string_view s);

// "room:ROOM" → ROOM when ROOM is 1..64 of [A-Za-z0-9_-]; nullopt otherwise.
std::optional<std::string> room_id_from_topic(std::string_view topic);
// A displayName is well-formed UTF-8 of 1..64 code points, not all whitespace
// (zero-width ones included), without control characters.
bool valid_display_name(std::string_view name);
// A chat text without the blanks (as above, plus tabs and line breaks) at its
// ends, when that is well-formed UTF-8 of 1..2000 code points with no control
// characters other than tab and line breaks; nullopt otherwise.
std::optional<std::string> chat_text(std::string_view text);

}  // namespace vr
