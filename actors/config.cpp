#include "actors/config.hpp"

#include "actors/cluster_actor.hpp"
#include "actors/messages.hpp"
#include "actors/room_rules.hpp"

#include <caf/config_option_set.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/io/middleman.hpp>

#include <fstream>
#include <string_view>
#include <utility>
#include <vector>

namespace vr {

config::config() {
  opt_group{custom_options_, "http"}
    .add(http_host, "host", "address to listen on")
    .add(http_port, "port", "HTTP/WebSocket port")
    .add(http_static_dir, "static-dir", "built client files")
    .add(http_io_threads, "io-threads", "threads running the network I/O")
    .add(http_public_url, "public-url",
         "this node's URL as browsers reach it, for links to files it serves (HLS)")
    .add(http_tls_cert, "tls-cert", "PEM certificate chain: serve HTTPS/WSS (with tls-key)")
    .add(http_tls_key, "tls-key", "PEM private key of tls-cert")
    .add(http_max_header_bytes, "max-header-bytes", "largest request head (else 431)")
    .add(http_max_body_bytes, "max-body-bytes", "largest request body (else 413)")
    .add(http_request_timeout, "request-timeout",
         "time to send a request (and between requests on a kept-alive connection)");
  opt_group{custom_options_, "rooms"}
    .add(rooms_default_type, "default-type", "type of a room whose creator names none")
    .add(rooms_max_publishers, "max-publishers", "publisher seats per room")
    .add(rooms_max_viewers, "max-viewers", "viewers per room (0 = unlimited)")
    .add(rooms_request_timeout, "request-timeout", "timeout of requests between actors")
    .add(rooms_max_rooms, "max-rooms", "rooms on this node (0 = unlimited)")
    .add(rooms_max_peers, "max-peers", "peers per room (0 = unlimited)")
    .add(rooms_simulcast, "simulcast",
         "group rooms accept simulcast publishers (each subscriber gets one layer)")
    .add(rooms_max_joins_per_second_per_ip, "max-joins-per-second-per-ip",
         "joins per second from one IP address (0 = unlimited)");
  opt_group{custom_options_, "auth"}.add(
    auth_secret, "secret", "HS256 secret of join tokens (empty: open, no token needed)");
  opt_group{custom_options_, "socket"}
    .add(socket_max_frame_bytes, "max-frame-bytes", "larger frames close the socket (1009)")
    .add(socket_idle_timeout, "idle-timeout", "a socket silent this long is closed")
    .add(socket_max_json_depth, "max-json-depth", "deepest JSON nesting accepted in a frame")
    .add(socket_max_connections, "max-connections", "open connections at most")
    .add(socket_max_connections_per_ip, "max-connections-per-ip",
         "open connections from one IP address (0 = unlimited; else 429)")
    .add(socket_max_messages_per_second, "max-messages-per-second",
         "frames per second a WebSocket may send on average (0 = unlimited; else close 1008)");
  opt_group{custom_options_, "hls"}
    .add(hls_stage, "stage", "first path segment of HLS URLs")
    .add(hls_dir, "dir", "where LL-HLS files are written (empty: a new temp dir)")
    .add(hls_part_target, "part-target", "longest LL-HLS part, seconds (PART-TARGET)")
    .add(hls_segment_target, "segment-target", "LL-HLS segment duration, seconds")
    .add(hls_window, "window", "complete segments kept in the playlist")
    .add(hls_linger, "linger", "how long an ended stream stays served");
  opt_group{custom_options_, "recording"}
    .add(recording_enabled, "enabled", "owners may record group and audio rooms")
    .add(recording_dir, "dir", "where recordings go, a directory per recording");
  opt_group{custom_options_, "cluster"}
    .add(cluster_node_port, "node-port", "TCP port for other nodes (0 = a single node)")
    .add(cluster_host, "host", "address other nodes reach this node at (and bound)")
    .add(cluster_seeds, "seeds", "host:port of nodes to join through")
    .add(cluster_heartbeat_interval, "heartbeat-interval", "between heartbeats to other nodes")
    .add(cluster_connection_timeout, "connection-timeout",
         "a node silent this long is lost (its rooms are taken over by the survivors)")
    .add(cluster_media_address, "media-address",
         "address for media between nodes (default: cluster.host)")
    .add(cluster_media_min_port, "media-min-port", "lowest UDP port for media between nodes")
    .add(cluster_media_max_port, "media-max-port", "highest UDP port for media between nodes")
    .add(cluster_media_encryption, "media-encryption",
         "SRTP between nodes, keys sent over the cluster link (false: plain RTP)");
  opt_group{custom_options_, "vad"}
    .add(vad_threshold_dbov, "threshold-dbov",
         "audio louder than minus this many dBov is a voice (1..127)")
    .add(vad_speech_after, "speech-after", "a voice this long is speech (vadNotification)")
    .add(vad_silence_after, "silence-after", "no voice this long after speech is silence");
  opt_group{custom_options_, "ice"}
    .add(ice_local_addresses, "local-addresses", "pin ICE candidates to these addresses")
    .add(ice_min_port, "min-port", "lowest UDP port for ICE (0 = any)")
    .add(ice_max_port, "max-port", "highest UDP port for ICE (0 = any)")
    .add(ice_stun_servers, "stun-servers", "stun://host:port")
    .add(ice_turn_servers, "turn-servers", "turn://user:password@host:port")
    .add(ice_turn_secret, "turn-secret",
         "TURN REST API secret (coturn's static-auth-secret): time-limited credentials")
    .add(ice_turn_ttl, "turn-ttl", "how long those TURN credentials stay valid");
  register_message_types(*this);
  // The work-stealing default polls for work with 50 µs sleeps: with media
  // flowing and few messages, that was 15% of the server's CPU. Actors here
  // exchange signaling, not media: workers that block on a condition
  // variable cost nothing while idle.
  set("scheduler.policy", caf::atom("sharing"));
}

std::string config::load(int argc, char** argv) {
  // CAF 0.17 takes a boolean on the command line only as a bare flag (true):
  // `--KEY=true|false` of our boolean keys is applied after the parse instead.
  const std::pair<std::string, bool*> booleans[] = {{"--recording.enabled=", &recording_enabled},
                                                    {"--rooms.simulcast=", &rooms_simulcast}};
  std::vector<char*> args;
  std::vector<std::pair<bool*, bool>> set_after;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool taken = false;
    for (const auto& [prefix, field] : booleans)
      if (i > 0 && arg.starts_with(prefix)) {
        auto value = arg.substr(prefix.size());
        if (value != "true" && value != "false")
          return "invalid command line: " + std::string(arg) + " (true or false)";
        set_after.emplace_back(field, value == "true");
        taken = true;
      }
    if (!taken)
      args.push_back(argv[i]);
  }
  if (auto err = parse(static_cast<int>(args.size()), args.data()))
    return "invalid command line: " + render(err);
  for (auto [field, value] : set_after)
    *field = value;
  if (cli_helptext_printed)
    return {};
  if (auto msg = check_file(); !msg.empty())
    return msg;
  if (auto msg = check_values(); !msg.empty())
    return msg;
  if (cluster_node_port != 0) {
    // Heartbeats on, or a frozen node would never be noticed (design.md).
    actor_system_config::load<caf::io::middleman>();
    set("middleman.heartbeat-interval", cluster_heartbeat_interval);
    set("middleman.connection-timeout", cluster_connection_timeout);
  }
  return {};
}

namespace {

// Walks the parsed file and reports the first key no option knows, or whose
// value the option would refuse.
std::string check_settings(const caf::config_option_set& opts, const caf::settings& xs,
                           const std::string& prefix) {
  for (const auto& [key, value] : xs) {
    auto name = prefix.empty() ? key : prefix + "." + key;
    if (auto* dict = caf::get_if<caf::settings>(&value)) {
      if (auto msg = check_settings(opts, *dict, name); !msg.empty())
        return msg;
      continue;
    }
    auto* opt = opts.qualified_name_lookup(name);
    if (opt == nullptr)
      return "unknown configuration key '" + name + "'";
    if (auto err = opt->check(value))
      return "configuration key '" + name +
             "' has a value of the wrong type: " + caf::deep_to_string(value);
  }
  return {};
}

}  // namespace

std::string config::check_file() const {
  if (config_file_path.empty())
    return {};
  std::ifstream probe{config_file_path};
  if (!probe)
    return "cannot read config file '" + config_file_path + "'";
  auto parsed = parse_config_file(config_file_path.c_str());
  if (!parsed)
    return "cannot parse config file '" + config_file_path + "': " + render(parsed.error());
  return check_settings(custom_options_, *parsed, "");
}

std::string config::check_values() const {
  if (!parse_room_type(rooms_default_type))
    return "rooms.default-type must be one of group, audio, broadcast, call";
  if (!auth_secret.empty() && auth_secret.size() < 16)
    return "auth.secret must be at least 16 characters (or empty: no tokens)";
  if (rooms_max_publishers < 1)
    return "rooms.max-publishers must be at least 1";
  if (ice_min_port > ice_max_port)
    return "ice.min-port must not exceed ice.max-port";
  if ((ice_min_port == 0) != (ice_max_port == 0))
    return "ice.min-port and ice.max-port are set together";
  if (cluster_media_min_port > cluster_media_max_port)
    return "cluster.media-min-port must not exceed cluster.media-max-port";
  if ((cluster_media_min_port == 0) != (cluster_media_max_port == 0))
    return "cluster.media-min-port and cluster.media-max-port are set together";
  if (socket_max_frame_bytes < 1024)
    return "socket.max-frame-bytes must be at least 1024";
  if (socket_max_json_depth < 4)
    return "socket.max-json-depth must be at least 4";
  if (!(hls_part_target >= 0.1 && hls_part_target <= 2.0))
    return "hls.part-target must be between 0.1 and 2 seconds";
  if (!(hls_segment_target >= 2 * hls_part_target && hls_segment_target <= 20.0))
    return "hls.segment-target must be at least two part targets and at most 20 seconds";
  if (recording_enabled && recording_dir.empty())
    return "recording.dir must name a directory when recording.enabled";
  if (hls_window < 3)
    return "hls.window must be at least 3 segments";
  if (hls_stage.empty() ||
      hls_stage.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
    return "hls.stage must be letters, digits, '_' or '-'";
  if (cluster_node_port == 0 && !cluster_seeds.empty())
    return "cluster.seeds needs cluster.node-port";
  for (const auto& s : cluster_seeds)
    if (!parse_endpoint(s))
      return "cluster.seeds entries look like host:port, not '" + s + "'";
  if (cluster_heartbeat_interval <= caf::timespan{0})
    return "cluster.heartbeat-interval must be positive";
  if (cluster_connection_timeout <= cluster_heartbeat_interval)
    return "cluster.connection-timeout must exceed cluster.heartbeat-interval";
  if (cluster_host.empty())
    return "cluster.host must not be empty";
  if (!http_public_url.empty() &&
      ((http_public_url.rfind("http://", 0) != 0 && http_public_url.rfind("https://", 0) != 0) ||
       http_public_url.back() == '/'))
    return "http.public-url looks like http(s)://host[:port][/path], without a trailing '/'";
  if (http_io_threads < 1)
    return "http.io-threads must be at least 1";
  if (http_tls_cert.empty() != http_tls_key.empty())
    return http_tls_cert.empty() ? "http.tls-key needs http.tls-cert (both or neither)"
                                 : "http.tls-cert needs http.tls-key (both or neither)";
  if (http_max_header_bytes < 1024)
    return "http.max-header-bytes must be at least 1024";
  if (http_request_timeout < std::chrono::milliseconds(100))
    return "http.request-timeout must be at least 100ms";
  for (const auto& s : ice_stun_servers)
    if (s.rfind("stun://", 0) != 0)
      return "ice.stun-servers entries look like stun://host:port, not '" + s + "'";
  for (const auto& s : ice_turn_servers)
    if (s.rfind("turn://", 0) != 0 && s.rfind("turns://", 0) != 0)
      return "ice.turn-servers entries look like turn://user:password@host:port, not '" + s + "'";
  if (!ice_turn_secret.empty() && ice_turn_servers.empty())
    return "ice.turn-secret needs ice.turn-servers (e.g. turn://127.0.0.1:3478)";
  if (vad_threshold_dbov < 1 || vad_threshold_dbov > 127)
    return "vad.threshold-dbov must be between 1 and 127";
  if (vad_speech_after < std::chrono::milliseconds(1) ||
      vad_speech_after > std::chrono::seconds(10))
    return "vad.speech-after must be between 1ms and 10s";
  if (vad_silence_after < std::chrono::milliseconds(1) ||
      vad_silence_after > std::chrono::seconds(10))
    return "vad.silence-after must be between 1ms and 10s";
  if (ice_turn_ttl < std::chrono::seconds(60))
    return "ice.turn-ttl must be at least 60 seconds";
  for (const auto& s : ice_turn_servers)
    if (ice_turn_secret.empty() && s.find('@') == std::string::npos)
      return "ice.turn-servers entry '" + s +
             "' has no user:password (or set ice.turn-secret for time-limited credentials)";
  return {};
}

}  // namespace vr
