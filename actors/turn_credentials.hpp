// Time-limited TURN credentials, the "TURN REST API" that coturn checks with
// `use-auth-secret` / `static-auth-secret`: the username is "EXPIRY:PEERID"
// (EXPIRY in unix seconds), the password base64(HMAC-SHA1(secret, username)).
// Plain C++ over OpenSSL, unit-tested without an actor system.
#pragma once

#include "signaling/protocol/messages.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vr {

// base64(HMAC-SHA1(key, data)), OpenSSL's HMAC and EVP base64.
std::string hmac_sha1_base64(std::string_view key, std::string_view data);

struct turn_credential {
  std::string username;  // "EXPIRY:PEERID"
  std::string credential;
};

turn_credential turn_rest_credential(std::string_view secret, std::string_view peer_id,
                                     std::int64_t expiry_unix);

// `servers` with a fresh credential (for `peer_id`, valid until `expiry_unix`)
// on every turn:/turns: entry that has no username of its own; STUN entries and
// TURN entries with a static user:password are kept as they are.
std::vector<signaling::protocol::ice_server> with_turn_credentials(
  std::vector<signaling::protocol::ice_server> servers, std::string_view secret,
  std::string_view peer_id, std::int64_t expiry_unix);

}  // namespace vr
