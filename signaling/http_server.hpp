// HTTP and WebSocket listener on Boost.Beast: static files, /room/ROOM, /healthz,
// /metrics, LL-HLS streams and the Phoenix socket at /socket/websocket.
#pragma once

#include "signaling/websocket_session.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vr::signaling {

class metrics;
class hls_board;

struct http_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 4000;  // 0 picks a free port (see http_server::port)
  std::string static_dir = "client/dist";
  std::size_t max_frame_bytes = 1 << 20;          // larger frames close with 1009
  std::chrono::milliseconds idle_timeout{60000};  // no frame for this long closes
  std::size_t max_connections = 10000;            // beyond: 503 / refused upgrade
  // LL-HLS streams, served under /<hls_stage>/live/ (none: those paths are static files).
  std::string hls_stage = "dev";
  std::shared_ptr<hls_board> hls;
  // More lines for /healthz after "ok" (the cluster view); called on I/O
  // threads, so it must be thread-safe. Unset: just "ok".
  std::function<std::string()> health_detail;
};

// Creates the handler of a new WebSocket (called on that session's strand).
using ws_factory = std::function<std::shared_ptr<ws_handler>(std::shared_ptr<ws_connection>)>;

class http_server {
public:
  // `m` counts sockets, frames in/out, bad frames and renders /metrics.
  http_server(boost::asio::io_context& io, http_options opts, ws_factory on_ws,
              std::shared_ptr<metrics> m);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and starts accepting; throws std::system_error when it cannot bind.
  void start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting, closes every open WebSocket (going away, 1001) and
  // answers held HLS requests.
  // Thread-safe; idempotent.
  void stop();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace vr::signaling
