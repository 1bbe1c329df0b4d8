// Client → server: a WebSocket text frame decoded once into the protocol's
// structs (messages.hpp). Frames that are not Phoenix frames are refused as
// phoenix::decode refuses them, with what is needed to answer `bad_frame`.
#pragma once

#include "signaling/phoenix.hpp"
#include "signaling/protocol/messages.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vr::signaling::protocol {

struct client_frame {
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;
  std::string topic;
  client_event event;
};

// Never throws. `lim.max_depth` bounds the frame and, once more, the JSON
// string inside a mediaEvent payload.
std::variant<client_frame, phoenix::decode_error> decode_client(std::string_view text,
                                                                phoenix::limits lim = {});

}  // namespace vr::signaling::protocol
