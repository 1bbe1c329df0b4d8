// One per WebSocket (the Phoenix socket): decodes Phoenix frames, answers
// heartbeats, spawns a channel_actor per joined topic and routes by topic.
#pragma once

#include "actors/settings.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace vr::signaling {
class ws_connection;
}

namespace vr {

struct socket_state {
  struct joined {
    caf::actor channel;
    std::optional<std::string> join_ref;
  };
  std::shared_ptr<signaling::ws_connection> conn;
  caf::actor registry;
  settings_ptr settings;
  std::map<std::string, joined> topics;
  static inline const char* name = "socket_actor";
};

caf::behavior socket_actor(caf::stateful_actor<socket_state>* self,
                           std::shared_ptr<signaling::ws_connection> conn,
                           caf::actor registry, settings_ptr settings);

}  // namespace vr
