// Which node holds a room: rendezvous (highest random weight) hashing of the
// room id over the live nodes' names. Every node computes the same answer from
// the same membership, and a node joining or leaving moves only the rooms it
// wins or held. Pure: no actors, no network.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vr {

// A stable 64-bit weight of (node, room): FNV-1a over both, then a finalizer
// that spreads nearby inputs (std::hash is not stable across builds).
std::uint64_t rendezvous_weight(std::string_view node, std::string_view room);

// The node among `nodes` with the highest weight for `room` (ties: the smaller
// name); "" when `nodes` is empty.
std::string rendezvous_owner(std::string_view room, const std::vector<std::string>& nodes);

}  // namespace vr
