#include "actors/turn_credentials.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <stdexcept>

namespace vr {

std::string hmac_sha1_base64(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &mac_len) == nullptr)
    throw std::runtime_error("HMAC-SHA1 failed");
  // EVP_EncodeBlock writes 4 characters per 3 bytes (padded) and a NUL.
  std::string out(4 * ((mac_len + 2) / 3) + 1, '\0');
  auto n =
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(mac_len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

turn_credential turn_rest_credential(std::string_view secret, std::string_view peer_id,
                                     std::int64_t expiry_unix) {
  auto username = std::to_string(expiry_unix) + ":" + std::string{peer_id};
  auto credential = hmac_sha1_base64(secret, username);
  return {std::move(username), std::move(credential)};
}

std::vector<signaling::protocol::ice_server> with_turn_credentials(
  std::vector<signaling::protocol::ice_server> servers, std::string_view secret,
  std::string_view peer_id, std::int64_t expiry_unix) {
  std::optional<turn_credential> cred;  // one per peer, the same for every server
  for (auto& s : servers) {
    bool turn = s.urls.rfind("turn:", 0) == 0 || s.urls.rfind("turns:", 0) == 0;
    if (!turn || (s.username && !s.username->empty()))
      continue;
    if (!cred)
      cred = turn_rest_credential(secret, peer_id, expiry_unix);
    s.username = cred->username;
    s.credential = cred->credential;
  }
  return servers;
}

}  // namespace vr
