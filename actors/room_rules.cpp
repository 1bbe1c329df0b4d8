#include "actors/room_rules.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace vr {

namespace {

constexpr std::array<std::string_view, 4> type_names{"group", "audio", "broadcast", "call"};

bool room_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
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
    case 0x20: case 0xA0: case 0x1680: case 0x180E: case 0x200B: case 0x200C:
    case 0x200D: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x2060:
    case 0x3000: case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

}  // namespace

std::string_view to_string(room_type t) {
  return type_names[static_cast<std::size_t>(t)];
}

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

room_state::room_state(std::string id, room_type type, room_limits limits)
  : id_(std::move(id)), type_(type), limits_(limits) {}

std::optional<std::string> room_state::owner() const {
  // members_ is in join order, so the first publisher is the oldest.
  for (const auto& m : members_)
    if (m.role == peer_role::publisher)
      return m.id;
  return std::nullopt;
}

const member* room_state::find(std::string_view peer_id) const {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const member& m) { return m.id == peer_id; });
  return it == members_.end() ? nullptr : &*it;
}

member* room_state::find_member(std::string_view peer_id) {
  return const_cast<member*>(std::as_const(*this).find(peer_id));
}

std::size_t room_state::count(peer_role r) const {
  return static_cast<std::size_t>(
    std::count_if(members_.begin(), members_.end(), [r](const member& m) { return m.role == r; }));
}

join_outcome room_state::join(std::string peer_id, std::string display_name,
                              std::optional<room_type> requested_type,
                              std::optional<peer_role> wish) {
  join_outcome out;
  if (peer_id.empty() || find(peer_id) != nullptr || !valid_display_name(display_name)) {
    out.error = "invalid_params";
    return out;
  }
  if (requested_type && *requested_type != type_) {
    out.error = "room_type_mismatch";
    return out;
  }
  bool publisher_seat = count(peer_role::publisher) < limits_.max_publishers;
  peer_role role = peer_role::viewer;
  switch (type_) {
    case room_type::group:
    case room_type::audio:
      role = publisher_seat && wish != peer_role::viewer ? peer_role::publisher : peer_role::viewer;
      break;
    case room_type::broadcast:
      role = members_.empty() ? peer_role::publisher : peer_role::viewer;
      break;
    case room_type::call:
      if (members_.size() >= 2) {
        out.error = "room_full";
        return out;
      }
      role = peer_role::publisher;
      break;
  }
  if (role == peer_role::viewer && limits_.max_viewers != 0 &&
      count(peer_role::viewer) >= limits_.max_viewers) {
    out.error = "room_full";
    return out;
  }
  auto before = owner();
  members_.push_back(member{std::move(peer_id), std::move(display_name), role, next_seq_++, false});
  out.joined = members_.back();
  out.owner_changed = owner() != before;
  return out;
}

bool room_state::leave(std::string_view peer_id, bool* owner_changed) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const member& m) { return m.id == peer_id; });
  if (owner_changed)
    *owner_changed = false;
  if (it == members_.end())
    return false;
  auto before = owner();
  members_.erase(it);
  if (owner_changed)
    *owner_changed = owner() != before;
  return true;
}

request_outcome room_state::raise_hand(std::string_view from) {
  auto* m = find_member(from);
  if (m == nullptr)
    return {"not_found"};
  if ((type_ != room_type::group && type_ != room_type::audio) || m->role != peer_role::viewer)
    return {"forbidden"};
  m->hand_raised = true;
  return {};
}

request_outcome room_state::answer_hand(std::string_view from, std::string_view target,
                                        bool accept) {
  // Only the owner answers; an unknown sender is not the owner either.
  if (owner() != from)
    return {"forbidden"};
  auto* t = find_member(target);
  if (t == nullptr || t->role != peer_role::viewer || !t->hand_raised)
    return {"not_found"};
  if (!accept) {
    t->hand_raised = false;
    return {};
  }
  if (count(peer_role::publisher) >= limits_.max_publishers)
    return {"room_full"};
  auto before = owner();
  t->hand_raised = false;
  t->role = peer_role::publisher;
  request_outcome out;
  out.role_changed = true;
  out.owner_changed = owner() != before;
  return out;
}

request_outcome room_state::kick(std::string_view from, std::string_view target) {
  const auto* f = find(from);
  if (f == nullptr)
    return {"not_found"};
  const auto* t = find(target);
  if (t == nullptr)
    return {"not_found"};
  if (from == target)
    return {"invalid_params"};
  bool allowed = false;
  switch (type_) {
    case room_type::group:
    case room_type::audio:
      allowed = f->role == peer_role::publisher;
      break;
    case room_type::broadcast:
      allowed = f->role == peer_role::publisher && t->role == peer_role::viewer;
      break;
    case room_type::call:
      allowed = false;
      break;
  }
  if (!allowed)
    return {"forbidden"};
  request_outcome out;
  leave(target, &out.owner_changed);
  return out;
}

std::string room_state::can_relay(std::string_view from, std::string_view to) const {
  if (type_ != room_type::call || find(from) == nullptr)
    return "forbidden";
  if (from == to || find(to) == nullptr)
    return "not_found";
  return {};
}

bool room_state::can_publish(std::string_view peer_id) const {
  const auto* m = find(peer_id);
  return m != nullptr && m->role == peer_role::publisher && type_ != room_type::call;
}

}  // namespace vr
