#include "actors/join_token.hpp"

#include <jwt.h>

#include <chrono>
#include <cstdlib>
#include <memory>

namespace vr {

namespace {

// Longer tokens are refused before any parsing.
constexpr std::size_t max_token_bytes = 4096;

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

// An integer claim: nullopt when absent; `ok` false when present but not an
// integer (libjwt's jwt_get_grant_int answers 0 for a string or a real, so the
// claim's JSON text is read instead).
std::optional<std::int64_t> int_claim(jwt_t* j, const char* name, bool& ok) {
  char* text = jwt_get_grants_json(j, name);
  if (text == nullptr)
    return std::nullopt;
  std::string s{text};
  std::free(text);
  std::size_t i = s.size() > 1 && s[0] == '-' ? 1 : 0;
  if (i == s.size() || s.size() > 18 || s.find_first_not_of("0123456789", i) != std::string::npos) {
    ok = false;
    return std::nullopt;
  }
  return std::strtoll(s.c_str(), nullptr, 10);
}

token_check refuse(std::string why) { return {std::nullopt, std::move(why)}; }

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

token_check verify_join_token(std::string_view token, std::string_view secret,
                              std::string_view room_id, std::int64_t now) {
  if (token.empty())
    return refuse("no token");
  if (token.size() > max_token_bytes)
    return refuse("token too long");
  if (secret.empty())
    return refuse("no secret configured");
  std::string text{token};
  jwt_t* raw = nullptr;
  // With a key, libjwt checks the signature of the alg the header names, and
  // refuses `none`; which alg that was is checked below.
  int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size()));
  jwt_ptr j{raw};
  if (rc != 0 || !j)
    return refuse("malformed token or bad signature");
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256)
    return refuse("alg is not HS256");
  token_claims c;
  bool ok = true;
  auto exp = int_claim(j.get(), "exp", ok);
  auto nbf = int_claim(j.get(), "nbf", ok);
  if (!ok)
    return refuse("exp or nbf is not an integer");
  if (!exp)
    return refuse("no exp claim");
  c.exp = *exp;
  c.nbf = nbf;
  if (c.exp <= now)
    return refuse("token expired");
  if (c.nbf && *c.nbf > now)
    return refuse("token not yet valid (nbf)");
  const char* room = jwt_get_grant(j.get(), "room");
  if (room == nullptr)
    return refuse("no room claim");
  c.room = room;
  if (c.room != "*" && c.room != room_id)
    return refuse("token is for another room");
  const char* name = jwt_get_grant(j.get(), "name");
  if (name == nullptr || !valid_display_name(name))
    return refuse("no valid name claim");
  c.name = name;
  if (char* role_json = jwt_get_grants_json(j.get(), "role")) {
    std::free(role_json);
    const char* role = jwt_get_grant(j.get(), "role");
    c.role = role ? parse_peer_role(role) : std::nullopt;
    if (!c.role)
      return refuse("role claim is neither publisher nor viewer");
  }
  if (char* type_json = jwt_get_grants_json(j.get(), "type")) {
    std::free(type_json);
    const char* type = jwt_get_grant(j.get(), "type");
    c.type = type ? parse_room_type(type) : std::nullopt;
    if (!c.type)
      return refuse("type claim is no room type");
  }
  return {std::move(c), {}};
}

std::string mint_join_token(std::string_view secret, const token_request& req, std::int64_t now) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    return {};
  jwt_ptr j{raw};
  bool ok =
    jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                static_cast<int>(secret.size())) == 0;
  ok = ok && jwt_add_grant(j.get(), "room", req.room.c_str()) == 0;
  ok = ok && jwt_add_grant(j.get(), "name", req.name.c_str()) == 0;
  if (req.role)
    ok = ok && jwt_add_grant(j.get(), "role", std::string{to_string(*req.role)}.c_str()) == 0;
  if (req.type)
    ok = ok && jwt_add_grant(j.get(), "type", std::string{to_string(*req.type)}.c_str()) == 0;
  ok = ok && jwt_add_grant_int(j.get(), "exp", static_cast<long>(now + req.ttl_s)) == 0;
  if (!ok)
    return {};
  char* out = jwt_encode_str(j.get());
  if (out == nullptr)
    return {};
  std::string token{out};
  std::free(out);
  return token;
}

}  // namespace vr
