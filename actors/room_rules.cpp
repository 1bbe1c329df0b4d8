#include "actors/room_rules.hpp"

#include <algorithm>
#include <utility>

namespace vr {

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
                              std::optional<peer_role> wish, bool viewer_only) {
  join_outcome out;
  if (peer_id.empty() || find(peer_id) != nullptr || !valid_display_name(display_name)) {
    out.error = "invalid_params";
    return out;
  }
  if (requested_type && *requested_type != type_) {
    out.error = "room_type_mismatch";
    return out;
  }
  if (limits_.max_peers != 0 && members_.size() >= limits_.max_peers) {
    out.error = "room_full";
    out.over_max_peers = true;
    return out;
  }
  if (viewer_only && type_ == room_type::call) {
    out.error = "unauthorized";
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
  if (viewer_only)
    role = peer_role::viewer;
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

join_outcome room_state::restore(std::string peer_id, std::string display_name, peer_role role,
                                 bool owner) {
  join_outcome out;
  if (peer_id.empty() || find(peer_id) != nullptr) {
    out.error = "invalid_params";
    return out;
  }
  auto before = this->owner();
  // members_ is in join order: the owner of the lost room goes first.
  auto at = owner ? members_.begin() : members_.end();
  auto it = members_.insert(
    at, member{std::move(peer_id), std::move(display_name), role, next_seq_++, false});
  out.joined = *it;
  out.owner_changed = this->owner() != before;
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
