// Signed join tokens (auth.secret): a JWT, HS256 only, verified and minted with
// Debian's libjwt. Plain C++ (no CAF), unit-tested on its own.
//
// Claims: `room` (the room id, or "*" for any), `name` (display name, 1..64
// characters), `role` ("publisher" | "viewer", optional), `exp` (required,
// seconds since the epoch), `nbf` (optional), `type` (optional: the only room
// type the token may create). Other claims are ignored.
#pragma once

#include "signaling/protocol/names.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vr {

struct token_claims {
  std::string room;  // a room id, or "*"
  std::string name;
  std::optional<peer_role> role;
  std::optional<room_type> type;
  std::int64_t exp = 0;
  std::optional<std::int64_t> nbf;
};

// What verification found: the claims, or why the token is refused (for the
// log and tests; the client only ever hears `unauthorized`).
struct token_check {
  std::optional<token_claims> claims;
  std::string error;
};

// Verifies `token` for a join of `room_id` at `now` (seconds since the epoch):
// signature by `secret` with HS256 (any other alg, `none` included, is
// refused), `exp` > now, `nbf` <= now, `room` == room_id or "*", `name` a valid
// display name, `role` and `type` known words when present.
token_check verify_join_token(std::string_view token, std::string_view secret,
                              std::string_view room_id, std::int64_t now);

// Seconds since the epoch, by the system clock.
std::int64_t unix_now();

struct token_request {
  std::string room;
  std::string name;
  std::optional<peer_role> role;
  std::optional<room_type> type;
  std::int64_t ttl_s = 3600;
};

// An HS256 token with `exp` = now + ttl (empty when libjwt fails).
std::string mint_join_token(std::string_view secret, const token_request& req, std::int64_t now);

}  // namespace vr
