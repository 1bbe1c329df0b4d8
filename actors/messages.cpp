#include "actors/messages.hpp"

#include <caf/actor_system_config.hpp>

namespace vr {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<join_request>("vr::join_request");
  cfg.add_message_type<join_result>("vr::join_result");
  cfg.add_message_type<peer_info>("vr::peer_info");
  cfg.add_message_type<request_reply>("vr::request_reply");
}

}  // namespace vr
