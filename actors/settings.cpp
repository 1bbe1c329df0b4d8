#include "actors/settings.hpp"

#include "actors/config.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/turn_credentials.hpp"
#include "signaling/metrics.hpp"

namespace vr {

namespace {

// Percent-decoding is not needed: GStreamer's turn:// form carries the user
// and password verbatim before the last '@'.
signaling::protocol::ice_server turn_entry(const std::string& url) {
  auto scheme_end = url.find("://");
  auto scheme = url.substr(0, scheme_end);  // turn or turns
  auto rest = url.substr(scheme_end + 3);
  auto at = rest.rfind('@');
  if (at == std::string::npos)  // no user: credentials per peer (ice.turn-secret)
    return {scheme + ":" + rest, std::nullopt, std::nullopt};
  auto creds = rest.substr(0, at);
  auto colon = creds.find(':');
  return {scheme + ":" + rest.substr(at + 1), creds.substr(0, colon),
          colon == std::string::npos ? "" : creds.substr(colon + 1)};
}

}  // namespace

std::vector<signaling::protocol::ice_server> browser_ice_servers(
  const std::vector<std::string>& stun, const std::vector<std::string>& turn) {
  std::vector<signaling::protocol::ice_server> out;
  for (const auto& s : stun)
    out.push_back({"stun:" + s.substr(s.find("://") + 3), std::nullopt, std::nullopt});
  for (const auto& t : turn)
    out.push_back(turn_entry(t));
  return out;
}

std::vector<signaling::protocol::ice_server> peer_ice_servers(
  const node_settings& s, std::string_view peer_id, std::chrono::system_clock::time_point now) {
  if (s.turn_secret.empty())
    return s.ice_servers;
  auto expiry =
    std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()) + s.turn_ttl;
  return with_turn_credentials(s.ice_servers, s.turn_secret, peer_id, expiry.count());
}

std::shared_ptr<node_settings> make_settings(const config& cfg,
                                             std::shared_ptr<signaling::metrics> m) {
  auto s = std::make_shared<node_settings>();
  s->limits = {cfg.rooms_max_publishers, cfg.rooms_max_viewers, cfg.rooms_max_peers};
  s->default_type = parse_room_type(cfg.rooms_default_type).value_or(room_type::group);
  s->simulcast = cfg.rooms_simulcast;
  s->request_timeout = cfg.rooms_request_timeout;
  s->auth_secret = cfg.auth_secret;
  s->max_rooms = cfg.rooms_max_rooms;
  if (cfg.rooms_max_joins_per_second_per_ip != 0)
    s->join_limiter =
      std::make_shared<rate_limiter>(static_cast<double>(cfg.rooms_max_joins_per_second_per_ip));
  s->max_json_depth = cfg.socket_max_json_depth;
  s->hls_stage = cfg.hls_stage;
  s->http_public_url = cfg.http_public_url;
  s->hls_playlist.target_part_s = cfg.hls_part_target;
  s->hls_playlist.target_segment_s = cfg.hls_segment_target;
  s->hls_playlist.window_segments = cfg.hls_window;
  s->recording_enabled = cfg.recording_enabled;
  s->recording_dir = cfg.recording_dir;
  s->ice_servers = browser_ice_servers(cfg.ice_stun_servers, cfg.ice_turn_servers);
  s->ice_local_addresses = cfg.ice_local_addresses;
  s->media_address =
    cfg.cluster_media_address.empty() ? cfg.cluster_host : cfg.cluster_media_address;
  s->media_min_port = cfg.cluster_media_min_port;
  s->media_max_port = cfg.cluster_media_max_port;
  s->media_encryption = cfg.cluster_media_encryption;
  s->ice_min_port = cfg.ice_min_port;
  s->ice_max_port = cfg.ice_max_port;
  s->stun_servers = cfg.ice_stun_servers;
  // The server is the public side: its webrtcbin only uses TURN entries with a
  // static user:password (those without are for browsers, ice.turn-secret).
  for (const auto& t : cfg.ice_turn_servers)
    if (t.find('@') != std::string::npos)
      s->turn_servers.push_back(t);
  s->turn_secret = cfg.ice_turn_secret;
  s->turn_ttl = std::chrono::duration_cast<std::chrono::seconds>(cfg.ice_turn_ttl);
  s->vad_threshold_dbov = static_cast<unsigned>(cfg.vad_threshold_dbov);
  s->vad_speech_after = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.vad_speech_after);
  s->vad_silence_after =
    std::chrono::duration_cast<std::chrono::milliseconds>(cfg.vad_silence_after);
  s->metrics = std::move(m);
  return s;
}

}  // namespace vr
