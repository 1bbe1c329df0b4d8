// The rules of a room, as plain data and functions (no CAF): who may join with
// which role, who owns the room, raise hand, kick and relay rights.
// room_actor holds one room_state and turns its outcomes into messages.
#pragma once

#include "signaling/protocol/names.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vr {

struct room_limits {
  std::size_t max_publishers = 9;
  std::size_t max_viewers = 0;  // 0 = unlimited
  std::size_t max_peers = 0;    // 0 = unlimited (rooms.max-peers)
};

struct member {
  std::string id;
  std::string display_name;
  peer_role role = peer_role::viewer;
  std::uint64_t seq = 0;  // join order; the owner is the publisher with the lowest
  bool hand_raised = false;
};

// Error reasons are the protocol's words ("room_full", "forbidden", ...);
// an empty `error` means success.
struct join_outcome {
  std::string error;
  member joined;
  bool owner_changed = false;
  bool over_max_peers = false;  // room_full because of limits.max_peers
};

struct request_outcome {
  std::string error;
  bool owner_changed = false;  // answerHand promotion or kick may move the owner
  bool role_changed = false;   // answerHand accepted: target is now a publisher
};

class room_state {
public:
  room_state(std::string id, room_type type, room_limits limits);

  const std::string& id() const { return id_; }
  room_type type() const { return type_; }
  // The oldest publisher, or nullopt when the room has none.
  std::optional<std::string> owner() const;
  const member* find(std::string_view peer_id) const;
  const std::vector<member>& members() const { return members_; }
  bool empty() const { return members_.empty(); }
  std::size_t count(peer_role r) const;

  // A join with a server-made `peer_id`. `requested_type` is the roomType the
  // client named, if any (room_type_mismatch when it differs); `wish` the role asked.
  // `viewer_only` (a viewer token): a viewer whatever the wish or the room's
  // rules, refused (unauthorized) in call rooms, which have no viewers.
  // Errors: invalid_params, room_type_mismatch, room_full, unauthorized.
  join_outcome join(std::string peer_id, std::string display_name,
                    std::optional<room_type> requested_type, std::optional<peer_role> wish,
                    bool viewer_only = false);

  // A member of this room's predecessor, lost with its node, taken back as it
  // was (its id and role; the rules held when it first joined). `owner`: it
  // owned the lost room, and owns this one while it is a publisher.
  // Errors: invalid_params (no id, or already a member).
  join_outcome restore(std::string peer_id, std::string display_name, peer_role role, bool owner);

  // Removes a member (leave, kick, or its channel died). Returns whether the
  // owner changed; false when the peer was not there.
  bool leave(std::string_view peer_id, bool* owner_changed = nullptr);

  // raiseHand: a viewer in group/audio. Errors: not_found, forbidden.
  request_outcome raise_hand(std::string_view from);
  // answerHand by the owner for a viewer whose hand is raised.
  // Errors: forbidden (not the owner), not_found (no such viewer with a raised
  // hand), room_full (accept without a free publisher seat).
  request_outcome answer_hand(std::string_view from, std::string_view target, bool accept);
  // kick: group/audio: any publisher may kick any other peer; broadcast: the
  // publisher may kick viewers; call: nobody. Errors: forbidden, not_found,
  // invalid_params (kicking oneself). On success the target is removed.
  request_outcome kick(std::string_view from, std::string_view target);
  // relay in call rooms only, between the two members.
  // Errors: forbidden (not a call room / sender not a member), not_found.
  std::string can_relay(std::string_view from, std::string_view to) const;
  // Whether this peer's publish offers may be accepted (publishers only, and
  // never in call rooms, whose media goes browser to browser).
  bool can_publish(std::string_view peer_id) const;

private:
  member* find_member(std::string_view peer_id);

  std::string id_;
  room_type type_;
  room_limits limits_;
  std::uint64_t next_seq_ = 0;
  std::vector<member> members_;  // in join order
};

}  // namespace vr
