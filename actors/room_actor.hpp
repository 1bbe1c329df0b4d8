// One per room: members, roles, owner and the rules (room_rules), plus the
// room's engine_actor. Monitors every member's channel: a channel that dies
// (closed tab, crash, lost node) removes its peer and the others are told.
#pragma once

#include "actors/registry_actor.hpp"
#include "actors/room_rules.hpp"
#include "actors/settings.hpp"

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace vr {

struct join_request;
struct join_result;
struct leave_room;
struct room_request_from;
struct request_result;
struct peer_media;
struct takeover_settled;

using room_api = caf::typed_actor<
  // channel (through the registry) → room: a join; the sender becomes the member's channel.
  caf::replies_to<join_request>::with<join_result>,
  // channel → room: phx_leave.
  caf::reacts_to<leave_room>,
  // channel → room: raiseHand, answerHand, kick, recordStart/Stop; the reply is the phx_reply.
  caf::replies_to<room_request_from>::with<request_result>,
  // channel → room: a media event (relay is handled here, the rest by the engine).
  caf::reacts_to<peer_media>,
  // room → itself: the rejoins after a lost node are in (owner check).
  caf::reacts_to<takeover_settled>>;

// Linked to `parent` (its registry) when given, so each hears when the other ends.
room_api spawn_room(caf::actor_system& sys, caf::local_actor* parent, std::string id,
                    room_type type, registry_api registry, settings_ptr settings);

}  // namespace vr
