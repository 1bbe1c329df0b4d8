#include "actors/node.hpp"

#include "actors/config.hpp"
#include "actors/messages.hpp"
#include "actors/registry_actor.hpp"
#include "actors/socket_actor.hpp"
#include "signaling/http_server.hpp"
#include "signaling/metrics.hpp"

#include <boost/asio/signal_set.hpp>
#include <caf/all.hpp>

#include <csignal>
#include <iostream>
#include <thread>

namespace vr {

namespace {

// Hands one WebSocket's events to its socket_actor; called on Asio threads,
// so it only ever sends messages.
class ws_bridge : public signaling::ws_handler {
public:
  explicit ws_bridge(caf::actor socket) : socket_(std::move(socket)) {}
  void on_text(std::string text) override {
    caf::anon_send(socket_, ws_text_atom::value, std::move(text));
  }
  void on_binary(std::size_t bytes) override {
    caf::anon_send(socket_, ws_binary_atom::value, bytes);
  }
  void on_close() override { caf::anon_send(socket_, ws_closed_atom::value); }

private:
  caf::actor socket_;
};

std::shared_ptr<signaling::metrics> make_metrics() {
  auto m = std::make_shared<signaling::metrics>();
  m->describe("vr_rooms", "gauge", "Open rooms by type");
  m->describe("vr_peers", "gauge", "Peers in rooms by room type and role");
  m->describe("vr_channels", "gauge", "Open channels (joined topics)");
  m->describe("vr_bad_frames_total", "counter", "Frames refused as malformed");
  m->describe("vr_errors_total", "counter", "Channels that ended with an error");
  m->describe("vr_tracks", "gauge", "Published tracks being forwarded");
  m->describe("vr_media_elements", "gauge", "GStreamer elements in all room pipelines");
  m->describe("vr_forwarded_packets_total", "counter", "RTP packets forwarded to subscribers");
  m->describe("vr_forwarded_bytes_total", "counter", "RTP bytes forwarded to subscribers");
  m->describe("vr_dropped_packets_total", "counter", "RTP packets dropped on the forwarding path");
  return m;
}

signaling::http_options http_options(const config& cfg) {
  signaling::http_options o;
  o.host = cfg.http_host;
  o.port = cfg.http_port;
  o.static_dir = cfg.http_static_dir;
  o.max_frame_bytes = cfg.socket_max_frame_bytes;
  o.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.socket_idle_timeout);
  o.max_connections = cfg.socket_max_connections;
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
  caf::actor_system system{cfg};
  auto metrics = make_metrics();
  auto settings = make_settings(cfg, metrics);
  auto registry = system.spawn(registry_actor, settings);
  signaling::http_server server{
    io, http_options(cfg),
    [&system, registry, settings](std::shared_ptr<signaling::ws_connection> conn) {
      auto socket = system.spawn(socket_actor, std::move(conn), registry, settings);
      return std::make_shared<ws_bridge>(socket);
    },
    metrics};
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "videoroom: cannot listen on " << cfg.http_host << ':' << cfg.http_port
              << ": " << e.what() << '\n';
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    return 1;
  }
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&server](const boost::system::error_code& ec, int sig) {
    if (ec)
      return;
    std::cerr << "videoroom: signal " << sig << ", shutting down\n";
    server.stop();
  });
  std::cerr << "videoroom: listening on http://" << cfg.http_host << ':' << server.port()
            << "/" << std::endl;
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < cfg.http_io_threads; ++i)
    threads.emplace_back([&io] { io.run(); });
  io.run();
  threads.clear();  // joins
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  return 0;
}

}  // namespace vr
