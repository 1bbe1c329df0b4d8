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
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vr::signaling {

// Open connections per client address (http.max-connections-per-ip).
class ip_counter : public std::enable_shared_from_this<ip_counter> {
public:
  // One counted connection; uncounts itself when destroyed. Empty (false) when
  // the address was already at the limit.
  class slot {
  public:
    slot() = default;
    slot(std::shared_ptr<ip_counter> owner, std::string ip)
        : owner_(std::move(owner)), ip_(std::move(ip)) {}
    slot(slot&&) = default;
    slot& operator=(slot&& other) {
      release();
      owner_ = std::move(other.owner_);
      ip_ = std::move(other.ip_);
      return *this;
    }
    ~slot() { release(); }
    explicit operator bool() const { return owner_ != nullptr; }

    // Uncounts the connection now: once a client sees it closed, its place is
    // free, whenever the session object itself goes away.
    void release() {
      if (owner_)
        owner_->release(ip_);
      owner_.reset();
    }

  private:
    std::shared_ptr<ip_counter> owner_;
    std::string ip_;
  };

  // A slot for `ip`, or an empty one when it has `max` connections already
  // (max 0: no limit).
  slot acquire(const std::string& ip, std::size_t max) {
    std::lock_guard lock{mutex_};
    auto& n = open_[ip];
    if (max != 0 && n >= max) {
      if (n == 0)
        open_.erase(ip);
      return {};
    }
    ++n;
    return {shared_from_this(), ip};
  }

  std::size_t open(const std::string& ip) const {
    std::lock_guard lock{mutex_};
    auto it = open_.find(ip);
    return it == open_.end() ? 0 : it->second;
  }

private:
  void release(const std::string& ip) {
    std::lock_guard lock{mutex_};
    auto it = open_.find(ip);
    if (it != open_.end() && --it->second == 0)
      open_.erase(it);
  }
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;
};

struct server_context {
  http_options options;
  ws_factory on_ws;
  std::shared_ptr<metrics> stats;
  session_registry sessions;
  std::shared_ptr<ip_counter> ips = std::make_shared<ip_counter>();

  // Counts one refusal by a limit in vr_refused_total{reason}.
  void refused(const char* reason) const {
    stats->add("vr_refused_total", 1, {{"reason", reason}});
  }
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

// Serves one accepted connection (http_session.cpp): plain HTTP, or with
// options.tls a TLS handshake first (plain HTTP then gets a 400).
void run_http(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_context> ctx);

// Takes over an upgraded HTTP connection as a WebSocket (websocket_session.cpp).
// Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>; `keep`
// holds what the stream needs alive (its TLS context), `slot` its count per IP.
template <class Stream>
void run_websocket(Stream stream, http_request req, std::shared_ptr<server_context> ctx,
                   ip_counter::slot slot, std::shared_ptr<void> keep);

}  // namespace vr::signaling
