// Server → client: Phoenix frames written from the protocol's structs with a
// RapidJSON Writer (messages.hpp).
#pragma once

#include "signaling/protocol/messages.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace vr::signaling::protocol {

using opt_ref = std::optional<std::string>;

// [join_ref, ref, topic, "phx_reply", {"status", "response"}]
std::string encode_reply(const opt_ref& join_ref, const opt_ref& ref, std::string_view topic,
                         const reply& r);
// [join_ref, null, topic, EVENT, PAYLOAD]; media events go as "mediaEvent".
std::string encode_push(const opt_ref& join_ref, std::string_view topic, const server_push& p);
// [join_ref, join_ref, topic, "phx_close" | "phx_error", {}]
std::string encode_close(const opt_ref& join_ref, std::string_view topic);
std::string encode_channel_error(const opt_ref& join_ref, std::string_view topic);

// The mediaEvent payload {"data": "{\"type\":...,\"data\":{...}}"} alone.
std::string encode_media_payload(const server_media_event& ev);

std::string_view to_string(pc_kind pc);
std::string_view to_string(track_kind kind);

}  // namespace vr::signaling::protocol
