// Media event envelope codec, untyped: the mediaEvent payload {"data": STRING},
// STRING being a JSON object {"type": ..., "data": {...}} serialized once more
// (as Membrane's RTC engine). The server uses the typed protocol (protocol/);
// this is for the test peers and load generators that play the client.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vr::signaling::media_event {

struct event {
  std::string type;
  std::string data = "{}";  // the inner "data" object as compact JSON
};

// Decodes a channel payload {"data": "<json>"}; nullopt when it is not of that
// shape, the inner JSON is invalid or too deep, or "type" is not a string.
// A missing inner "data" reads as {}.
std::optional<event> decode_payload(std::string_view payload_json, std::size_t max_depth = 32);

// Decodes just the inner string (the value of "data").
std::optional<event> decode(std::string_view inner_json, std::size_t max_depth = 32);

// Encodes to the channel payload {"data": "<json>"}; `data_json` must be an object text.
std::string encode_payload(std::string_view type, std::string_view data_json);

// Convenience: the payload of an `error` media event.
std::string error_payload(std::string_view reason, std::string_view message);

}  // namespace vr::signaling::media_event
