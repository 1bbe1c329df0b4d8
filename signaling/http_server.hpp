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
class tls_config;

struct http_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 4000;  // 0 picks a free port (see http_server::port)
  std::string static_dir = "client/dist";
  std::size_t max_frame_bytes = 1 << 20;          // larger frames close with 1009
  std::chrono::milliseconds idle_timeout{60000};  // no frame for this long closes
  std::size_t max_connections = 10000;            // beyond: 503 / refused upgrade
  // Limits at the edge; each refusal is counted in vr_refused_total{reason}.
  std::size_t max_connections_per_ip = 256;  // beyond: 429 (reason connections_per_ip); 0 = none
  std::size_t max_header_bytes = 16 * 1024;  // larger request head: 431 (header_size)
  std::size_t max_body_bytes = 64 * 1024;    // larger request body: 413 (body_size)
  // Time to read one request (and, on a kept-alive connection, to wait for the
  // next one); a stalled partial request is dropped (request_timeout).
  std::chrono::milliseconds request_timeout{15000};
  // Frames per second a WebSocket may send, on average; bursts of up to five
  // seconds' worth pass. Over it: close 1008 (message_rate). 0 = no limit.
  std::size_t max_messages_per_second = 200;
  // Null: plain HTTP/WebSocket. Set: HTTPS/WSS only on the port, plain HTTP gets
  // a 400 (not_tls); reload() on it changes the certificate of new connections.
  std::shared_ptr<tls_config> tls;
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
