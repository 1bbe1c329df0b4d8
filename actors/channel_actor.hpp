// One per joined topic: the PeerChannel. Joins the room through the registry,
// forwards the client's requests and media events to it, and pushes the room's
// events back out through its socket. Monitors its room (phx_error when it dies)
// and its socket (ends with it).
#pragma once

#include "actors/settings.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <optional>
#include <string>

namespace vr {

struct channel_state {
  caf::actor socket;
  caf::actor registry;
  caf::actor room;
  std::string topic;
  std::optional<std::string> join_ref;
  std::string peer_id;
  settings_ptr settings;
  static inline const char* name = "channel_actor";
};

caf::behavior channel_actor(caf::stateful_actor<channel_state>* self, caf::actor socket,
                            std::string topic, std::optional<std::string> join_ref,
                            std::optional<std::string> ref, std::string params,
                            caf::actor registry, settings_ptr settings);

}  // namespace vr
