// Private to signaling/: what every connection of one http_server shares.
#pragma once

#include "signaling/http_server.hpp"
#include "signaling/metrics.hpp"
#include "signaling/session_registry.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>

namespace vr::signaling {

struct server_context {
  http_options options;
  ws_factory on_ws;
  std::shared_ptr<metrics> stats;
  session_registry sessions;
};

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// Serves one accepted connection (http_session.cpp).
void run_http(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_context> ctx);

// Takes over an upgraded HTTP connection as a WebSocket (websocket_session.cpp).
void run_websocket(boost::beast::tcp_stream stream, http_request req,
                   std::shared_ptr<server_context> ctx);

}  // namespace vr::signaling
