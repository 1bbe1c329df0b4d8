// The server's configuration: CAF's actor_system_config with our keys. Each key is
// read from --config-file=FILE and may be overridden on the command line.
#pragma once

#include <caf/actor_system_config.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vr {

class config : public caf::actor_system_config {
public:
  config();

  // Parses argv and the config file; CAF alone ignores unknown or ill-typed keys
  // in the file, so they are checked here. Returns an error text naming the key,
  // or an empty string when all is well.
  std::string load(int argc, char** argv);

  // http
  std::string http_host = "0.0.0.0";
  std::uint16_t http_port = 4000;
  std::string http_static_dir = "client/dist";
  std::size_t http_io_threads = 2;
  std::string http_public_url;  // e.g. https://node1.example.com; "" = relative URLs
  std::string http_tls_cert;    // PEM certificate chain; with http_tls_key: HTTPS/WSS only
  std::string http_tls_key;     // PEM private key
  std::size_t http_max_header_bytes = 16 * 1024;
  std::size_t http_max_body_bytes = 64 * 1024;
  caf::timespan http_request_timeout = std::chrono::seconds(15);
  // rooms
  std::string rooms_default_type = "group";
  std::size_t rooms_max_publishers = 9;
  std::size_t rooms_max_viewers = 0;  // 0 = unlimited
  caf::timespan rooms_request_timeout = std::chrono::seconds(5);
  std::size_t rooms_max_rooms = 1000;                  // rooms on this node, 0 = unlimited
  std::size_t rooms_max_peers = 1000;                  // peers per room, 0 = unlimited
  bool rooms_simulcast = true;                         // group rooms answer simulcast offers
  std::size_t rooms_max_joins_per_second_per_ip = 20;  // 0 = unlimited
  // auth
  std::string auth_secret;  // HS256 key of join tokens; "" = open, no token needed
  // socket
  std::size_t socket_max_frame_bytes = 1 << 20;
  caf::timespan socket_idle_timeout = std::chrono::seconds(60);
  std::size_t socket_max_json_depth = 32;
  std::size_t socket_max_connections = 10000;
  std::size_t socket_max_connections_per_ip = 256;   // 0 = unlimited
  std::size_t socket_max_messages_per_second = 200;  // 0 = unlimited
  // hls
  std::string hls_stage = "dev";
  std::string hls_dir;  // empty: a fresh directory under the system's temp dir
  double hls_part_target = 0.3;
  double hls_segment_target = 2.0;
  std::size_t hls_window = 6;
  caf::timespan hls_linger = std::chrono::seconds(30);
  // recording (recordStart/recordStop in group and audio rooms)
  bool recording_enabled = true;
  std::string recording_dir = "recordings";  // relative: to the working directory
  // cluster
  std::uint16_t cluster_node_port = 0;  // 0 = a single node
  std::string cluster_host = "127.0.0.1";
  std::vector<std::string> cluster_seeds;  // host:port
  caf::timespan cluster_heartbeat_interval = std::chrono::seconds(1);
  caf::timespan cluster_connection_timeout = std::chrono::seconds(5);
  // Node-to-node media of cascaded rooms: RTP over UDP from/to this address
  // ("" = cluster.host), in this port range (0, 0 = any), SRTP unless off.
  std::string cluster_media_address;
  std::uint16_t cluster_media_min_port = 0;
  std::uint16_t cluster_media_max_port = 0;
  bool cluster_media_encryption = true;
  // vad: voice activity of published audio (vadNotification)
  std::size_t vad_threshold_dbov = 50;  // louder than -50 dBov is a voice
  caf::timespan vad_speech_after = std::chrono::milliseconds(200);
  caf::timespan vad_silence_after = std::chrono::milliseconds(500);
  // ice
  std::vector<std::string> ice_local_addresses;
  std::uint16_t ice_min_port = 0;
  std::uint16_t ice_max_port = 0;
  std::vector<std::string> ice_stun_servers;  // stun://host:port
  std::vector<std::string> ice_turn_servers;  // turn://user:password@host:port
  // coturn's static-auth-secret: browsers get time-limited credentials for the
  // entries of ice_turn_servers that have no user:password ("" = off).
  std::string ice_turn_secret;
  caf::timespan ice_turn_ttl = std::chrono::seconds(86400);

private:
  std::string check_file() const;
  std::string check_values() const;
};

}  // namespace vr
