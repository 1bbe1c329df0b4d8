// One per joined topic: the PeerChannel. Joins the room through the registry,
// forwards the client's requests and media events to it, and pushes the room's
// events back out through its socket. Monitors its room (phx_error when it dies;
// when its node is lost, the member joins the room again where it is made anew,
// unseen by the client) and its socket (ends with it).
#pragma once

#include "actors/registry_actor.hpp"
#include "actors/settings.hpp"
#include "actors/socket_actor.hpp"
#include "signaling/protocol/messages.hpp"

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include <optional>
#include <string>

namespace vr {

struct client_push;
struct push;
struct rejoin_tick;

// From its socket: what the client sent on the topic; from its room and
// engine: what to push to the client (`kicked` closes the channel after it).
// From itself: the next try of a rejoin after its room's node was lost.
using channel_api =
  caf::typed_actor<caf::reacts_to<client_push>, caf::reacts_to<push>, caf::reacts_to<rejoin_tick>>;

// The channel of a phx_join: it answers the join itself once the room did.
struct channel_args {
  std::string topic;
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;  // of the phx_join
  signaling::protocol::phx_join join;
};

channel_api spawn_channel(caf::actor_system& sys, socket_api socket, channel_args args,
                          registry_api registry, settings_ptr settings);

}  // namespace vr
