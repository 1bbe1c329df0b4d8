// Private to signaling/: what every connection of one http_server shares.
#pragma once

#include "signaling/http_server.hpp"
#include "signaling/metrics.hpp"
#include "signaling/session_registry.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string_view>

namespace vr::signaling {

struct server_context {
  http_options options;
  ws_factory on_ws;
  std::shared_ptr<metrics> stats;
  session_registry sessions;
};

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// Writes an HLS answer on its connection (on the connection's strand).
struct hls_reply {
  std::function<void(boost::beast::http::response<boost::beast::http::string_body>)> text;
  std::function<void(boost::beast::http::response<boost::beast::http::file_body>)> file;
};

// Answers a request for /<stage>/live/`rest`, now or once it can (hls_http.cpp);
// `ex` is the connection's strand.
void serve_hls(http_request req, std::string_view rest, std::shared_ptr<server_context> ctx,
               boost::asio::any_io_executor ex, hls_reply reply);

// Serves one accepted connection (http_session.cpp).
void run_http(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_context> ctx);

// Takes over an upgraded HTTP connection as a WebSocket (websocket_session.cpp).
void run_websocket(boost::beast::tcp_stream stream, http_request req,
                   std::shared_ptr<server_context> ctx);

}  // namespace vr::signaling
