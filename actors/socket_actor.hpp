// One per WebSocket (the Phoenix socket): decodes each frame once into the
// protocol's structs, answers heartbeats, spawns a channel_actor per joined
// topic and routes by topic.
#pragma once

#include "actors/registry_actor.hpp"
#include "actors/settings.hpp"

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include <memory>

namespace vr::signaling {
class ws_connection;
}

namespace vr {

struct ws_text;
struct ws_binary;
struct ws_closed;
struct ws_out;

// From the WebSocket's Asio threads (anon_send): a text frame, a binary frame
// (refused), the close; from its channels: a frame to write.
using socket_api = caf::typed_actor<caf::reacts_to<ws_text>, caf::reacts_to<ws_binary>,
                                    caf::reacts_to<ws_closed>, caf::reacts_to<ws_out>>;

socket_api spawn_socket(caf::actor_system& sys, std::shared_ptr<signaling::ws_connection> conn,
                        registry_api registry, settings_ptr settings);

}  // namespace vr
