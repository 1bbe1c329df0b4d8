#include "actors/settings.hpp"

#include "actors/config.hpp"
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
  std::string user, pass, host = rest;
  if (at != std::string::npos) {
    auto creds = rest.substr(0, at);
    host = rest.substr(at + 1);
    auto colon = creds.find(':');
    user = creds.substr(0, colon);
    pass = colon == std::string::npos ? "" : creds.substr(colon + 1);
  }
  return {scheme + ":" + host, user, pass};
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

std::shared_ptr<node_settings> make_settings(const config& cfg,
                                             std::shared_ptr<signaling::metrics> m) {
  auto s = std::make_shared<node_settings>();
  s->limits = {cfg.rooms_max_publishers, cfg.rooms_max_viewers};
  s->default_type = parse_room_type(cfg.rooms_default_type).value_or(room_type::group);
  s->request_timeout = cfg.rooms_request_timeout;
  s->max_json_depth = cfg.socket_max_json_depth;
  s->hls_stage = cfg.hls_stage;
  s->http_public_url = cfg.http_public_url;
  s->hls_playlist.target_part_s = cfg.hls_part_target;
  s->hls_playlist.target_segment_s = cfg.hls_segment_target;
  s->hls_playlist.window_segments = cfg.hls_window;
  s->ice_servers = browser_ice_servers(cfg.ice_stun_servers, cfg.ice_turn_servers);
  s->ice_local_addresses = cfg.ice_local_addresses;
  s->ice_min_port = cfg.ice_min_port;
  s->ice_max_port = cfg.ice_max_port;
  s->stun_servers = cfg.ice_stun_servers;
  s->turn_servers = cfg.ice_turn_servers;
  s->metrics = std::move(m);
  return s;
}

}  // namespace vr
