#include "actors/node.hpp"

#include "actors/cluster_actor.hpp"
#include "actors/config.hpp"
#include "actors/messages.hpp"
#include "actors/registry_actor.hpp"
#include "actors/socket_actor.hpp"
#include "media/srtp_library.hpp"
#include "signaling/hls_board.hpp"
#include "signaling/http_server.hpp"
#include "signaling/metrics.hpp"
#include "signaling/tls.hpp"

#include <boost/asio/signal_set.hpp>
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

namespace vr {

namespace {

// Hands one WebSocket's events to its socket_actor; called on Asio threads,
// so it only ever sends messages.
class ws_bridge : public signaling::ws_handler {
public:
  explicit ws_bridge(socket_api socket) : socket_(std::move(socket)) {}
  void on_text(std::string text) override { caf::anon_send(socket_, ws_text{std::move(text)}); }
  void on_binary(std::size_t bytes) override { caf::anon_send(socket_, ws_binary{bytes}); }
  void on_close() override { caf::anon_send(socket_, ws_closed{}); }

private:
  socket_api socket_;
};

std::shared_ptr<signaling::metrics> make_metrics() {
  auto m = std::make_shared<signaling::metrics>();
  m->describe("vr_rooms", "gauge", "Open rooms by type");
  m->describe("vr_peers", "gauge", "Peers in rooms by room type and role");
  m->describe("vr_channels", "gauge", "Open channels (joined topics)");
  m->describe("vr_bad_frames_total", "counter", "Frames refused as malformed");
  m->describe("vr_errors_total", "counter", "Channels that ended with an error");
  m->describe("vr_refused_total", "counter",
              "Refusals by a limit or by auth, by reason (join_rate, max_rooms, "
              "max_peers, unauthorized)");
  m->describe("vr_tracks", "gauge", "Published tracks being forwarded");
  m->describe("vr_media_elements", "gauge", "GStreamer elements in all room pipelines");
  m->describe("vr_forwarded_packets_total", "counter", "RTP packets forwarded to subscribers");
  m->describe("vr_forwarded_bytes_total", "counter", "RTP bytes forwarded to subscribers");
  m->describe("vr_dropped_packets_total", "counter", "RTP packets dropped on the forwarding path");
  m->describe("vr_vad_notifications_total", "counter",
              "Voice activity changes (speech/silence) notified to rooms");
  m->describe("vr_cluster_nodes", "gauge", "Live nodes in this node's view, itself included");
  m->describe("vr_cluster_unreachable", "gauge", "Seeds this node cannot reach");
  m->describe("vr_cluster_lost_nodes_total", "counter", "Nodes lost (dead, frozen, cut off)");
  m->describe("vr_cluster_remote_rooms", "gauge", "Rooms known to live on other nodes");
  m->describe("vr_relayed_tracks_out", "gauge",
              "Tracks this node sends to other nodes (one per track and node)");
  m->describe("vr_relayed_tracks_in", "gauge", "Tracks this node receives from other nodes");
  m->describe("vr_relay_bytes_out_total", "counter", "RTP bytes sent to other nodes");
  m->describe("vr_relay_bytes_in_total", "counter", "RTP bytes received from other nodes");
  m->describe("vr_room_takeovers_total", "counter",
              "Members that rejoined their room after its node was lost");
  return m;
}

// The directory broadcast streams are written to: hls.dir, or a fresh one
// under the temp dir. Removed at exit when it was ours; with hls.dir only the
// streams are (they live under it and are deleted as they end).
class hls_directory {
public:
  explicit hls_directory(const config& cfg) {
    if (!cfg.hls_dir.empty()) {
      path_ = cfg.hls_dir;
      std::filesystem::create_directories(path_);
      return;
    }
    auto templ = (std::filesystem::temp_directory_path() / "videoroom-hls-XXXXXX").string();
    if (!mkdtemp(templ.data()))
      throw std::runtime_error("cannot create a directory for HLS under " + templ);
    path_ = templ;
    owned_ = true;
  }
  ~hls_directory() {
    std::error_code ec;
    if (owned_)
      std::filesystem::remove_all(path_, ec);
  }
  hls_directory(const hls_directory&) = delete;
  hls_directory& operator=(const hls_directory&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
  bool owned_ = false;
};

// The cluster view as /healthz shows it: written by the cluster actor, read on
// I/O threads.
class shared_text {
public:
  void set(std::string s) {
    std::lock_guard lock{mutex_};
    text_ = std::move(s);
  }
  std::string get() const {
    std::lock_guard lock{mutex_};
    return text_;
  }

private:
  mutable std::mutex mutex_;
  std::string text_;
};

// Publishes this node's cluster actor on cluster.node-port; null when the node
// runs alone. Throws when the port cannot be bound.
cluster_api start_cluster(caf::actor_system& system, const config& cfg,
                          const registry_api& registry, settings_ptr settings,
                          std::shared_ptr<shared_text> view) {
  if (cfg.cluster_node_port == 0)
    return {};
  cluster_options o;
  o.name = settings->cluster_name;
  o.seeds = cfg.cluster_seeds;
  o.timeout = cfg.cluster_connection_timeout;
  o.retry = std::max(cfg.cluster_heartbeat_interval, caf::timespan{std::chrono::milliseconds(500)});
  o.publish_view = [view](std::string text) { view->set(std::move(text)); };
  auto cluster = spawn_cluster(system, std::move(o), registry, std::move(settings));
  auto port =
    system.middleman().publish(cluster, cfg.cluster_node_port, cfg.cluster_host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    throw std::runtime_error(system.render(port.error()));
  }
  std::cerr << "videoroom: cluster node " << cfg.cluster_host << ':' << *port << ", seeds";
  for (auto& s : cfg.cluster_seeds)
    std::cerr << ' ' << s;
  std::cerr << std::endl;
  return cluster;
}

signaling::http_options http_options(const config& cfg) {
  signaling::http_options o;
  o.host = cfg.http_host;
  o.port = cfg.http_port;
  o.static_dir = cfg.http_static_dir;
  o.max_frame_bytes = cfg.socket_max_frame_bytes;
  o.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.socket_idle_timeout);
  o.max_connections = cfg.socket_max_connections;
  o.max_connections_per_ip = cfg.socket_max_connections_per_ip;
  o.max_messages_per_second = cfg.socket_max_messages_per_second;
  o.max_header_bytes = cfg.http_max_header_bytes;
  o.max_body_bytes = cfg.http_max_body_bytes;
  o.request_timeout =
    std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http_request_timeout);
  o.hls_stage = cfg.hls_stage;
  return o;
}

}  // namespace

int run_node(int argc, char** argv) {
  config cfg;
  if (auto err = cfg.load(argc, argv); !err.empty()) {
    std::cerr << "videoroom: " << err << '\n';
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  // Declared before the actor system so that it outlives every socket_actor,
  // whose connection objects hold Asio sockets.
  boost::asio::io_context io;
  std::optional<hls_directory> hls_dir;
  try {
    hls_dir.emplace(cfg);
  } catch (const std::exception& e) {
    std::cerr << "videoroom: hls.dir: " << e.what() << '\n';
    return 2;
  }
  // TLS before anything starts: a bad certificate or key stops start-up.
  std::shared_ptr<signaling::tls_config> tls;
  if (!cfg.http_tls_cert.empty()) {
    try {
      tls = std::make_shared<signaling::tls_config>(cfg.http_tls_cert, cfg.http_tls_key);
    } catch (const signaling::tls_error& e) {
      std::cerr << "videoroom: "
                << (e.file() == cfg.http_tls_cert ? "http.tls-cert" : "http.tls-key") << ' '
                << e.what() << '\n';
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "videoroom: TLS: " << e.what() << '\n';
      return 2;
    }
    std::cerr << "videoroom: TLS certificate " << tls->describe() << '\n';
  }
  auto metrics = make_metrics();
  signaling::hls_options hls_options;
  hls_options.root = hls_dir->path();
  hls_options.linger = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.hls_linger);
  auto hls = std::make_shared<signaling::hls_board>(io, hls_options, metrics);
  caf::actor_system system{cfg};
  auto settings = make_settings(cfg, metrics);
  settings->hls_dir = hls_dir->path();
  settings->hls_expect = [hls](const std::string& s) { hls->expect(s); };
  settings->hls_forget = [hls](const std::string& s) { hls->forget(s); };
  settings->hls_update = [hls](const std::string& s,
                               std::shared_ptr<const media::hls::snapshot> snap) {
    hls->update(s, std::move(snap));
  };
  if (cfg.cluster_node_port != 0)
    settings->cluster_name = cfg.cluster_host + ':' + std::to_string(cfg.cluster_node_port);
  auto registry = spawn_registry(system, settings);
  auto view = std::make_shared<shared_text>();
  cluster_api cluster;
  try {
    cluster = start_cluster(system, cfg, registry, settings, view);
  } catch (const std::exception& e) {
    std::cerr << "videoroom: cannot listen for cluster nodes on " << cfg.cluster_host << ':'
              << cfg.cluster_node_port << ": " << e.what() << '\n';
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    return 1;
  }
  auto options = http_options(cfg);
  options.hls = hls;
  options.tls = tls;
  if (cluster)
    options.health_detail = [view] { return view->get(); };
  signaling::http_server server{
    io, std::move(options),
    [&system, registry, settings](std::shared_ptr<signaling::ws_connection> conn) {
      auto socket = spawn_socket(system, std::move(conn), registry, settings);
      return std::make_shared<ws_bridge>(socket);
    },
    metrics};
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "videoroom: cannot listen on " << cfg.http_host << ':' << cfg.http_port << ": "
              << e.what() << '\n';
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    if (cluster)
      caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    return 1;
  }
  // SIGHUP reloads the certificate and key (renewed ones): new connections use
  // them, open ones keep theirs; a bad file is logged and the old ones stay.
  boost::asio::signal_set hangup{io};
  std::function<void()> on_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec)
        return;
      try {
        tls->reload();
        std::cerr << "videoroom: SIGHUP: TLS certificate reloaded: " << tls->describe()
                  << std::endl;
      } catch (const std::exception& e) {
        std::cerr << "videoroom: SIGHUP: TLS reload failed, keeping the old certificate: "
                  << e.what() << std::endl;
      }
      on_hangup();
    });
  };
  if (tls) {
    hangup.add(SIGHUP);
    on_hangup();
  }
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&server, &hangup](const boost::system::error_code& ec, int sig) {
    if (ec)
      return;
    std::cerr << "videoroom: signal " << sig << ", shutting down\n";
    boost::system::error_code ignored;
    hangup.cancel(ignored);
    server.stop();
  });
  // Which SRTP the connections run on: the OpenSSL build unless it was not built.
  std::cerr << "videoroom: SRTP by " << media::describe_srtp() << '\n';
  std::cerr << "videoroom: listening on " << (tls ? "https://" : "http://") << cfg.http_host << ':'
            << server.port() << "/" << std::endl;
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < cfg.http_io_threads; ++i)
    threads.emplace_back([&io] { io.run(); });
  io.run();
  threads.clear();  // joins
  if (cluster)
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  return 0;
}

}  // namespace vr
