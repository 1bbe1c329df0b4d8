// Phoenix Channels v2 frame codec: [join_ref, ref, topic, event, payload].
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vr::signaling::phoenix {

// A decoded frame. `payload` is the payload object re-serialized as compact JSON,
// so it can cross threads and nodes as a plain string.
struct frame {
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;
  std::string topic;
  std::string event;
  std::string payload = "{}";
};

// Why a frame was refused. `ref`/`topic` are set when the frame had usable ones,
// so the caller can answer with a bad_frame reply; otherwise it only counts it.
struct decode_error {
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;
  std::optional<std::string> topic;
  std::string what;
};

struct limits {
  std::size_t max_depth = 32;  // JSON nesting, counted over the whole frame
};

// A frame whose payload stays the parsed JSON value, for decoders that read it
// once (protocol::decode_client) instead of re-parsing a copy.
struct parsed_frame {
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;
  std::string topic;
  std::string event;
  rapidjson::Document doc;  // the whole frame; payload() is its fifth element
  const rapidjson::Value& payload() const { return doc[4]; }
};

// As decode, without copying the payload.
std::variant<parsed_frame, decode_error> parse(std::string_view text, limits lim = {});

// Never throws; rejects anything that is not a 5-element array
// [string|null, string|null, string, string, object], deeper than `max_depth`
// (parsed iteratively, so no recursion on hostile input), or not valid UTF-8.
std::variant<frame, decode_error> decode(std::string_view text, limits lim = {});

// Serializes a frame. `payload` must be a JSON object text (trusted, produced by us).
std::string encode(const frame& f);

// [join_ref, ref, topic, "phx_reply", {"status": status, "response": response_json}]
std::string reply(const std::optional<std::string>& join_ref, const std::optional<std::string>& ref,
                  std::string_view topic, std::string_view status,
                  std::string_view response_json = "{}");

// {"reason": reason} as a JSON text, for error replies.
std::string reason_json(std::string_view reason);

}  // namespace vr::signaling::phoenix
