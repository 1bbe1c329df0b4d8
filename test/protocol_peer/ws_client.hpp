// A WebSocket client on its own thread (Boost.Beast), for test peers: text
// frames in through a callback, text frames out through a write queue.
//
// Threads: one io thread per client, alive from connect() to shutdown(). The
// callbacks run on it. send() and the close calls may come from any thread.
// Every blocking call is bounded by a timeout, so a test can never hang here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace vr::test {

class ws_client {
public:
  struct callbacks {
    std::function<void(std::string text)> on_text;
    std::function<void(std::string why)> on_closed;  // once, when the socket is gone
  };

  explicit ws_client(callbacks cb);
  ~ws_client();  // shutdown()
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // TCP connect and WebSocket handshake to ws://host:port/target, bounded by
  // `timeout`; starts reading. Returns an error text, or nullopt when open.
  // Only once per client. `subprotocol`: Sec-WebSocket-Protocol to ask for
  // ("" = none; Janus wants "janus-protocol").
  std::optional<std::string> connect(const std::string& host, std::uint16_t port,
                                     const std::string& target, std::chrono::milliseconds timeout,
                                     const std::string& subprotocol = "");
  // Calls `make_frame()` on the io thread and sends its text every `every`
  // while the socket is open (Phoenix heartbeats).
  void keep_alive(std::chrono::milliseconds every, std::function<std::string()> make_frame);
  // Queues a text frame; dropped when the socket is closed.
  void send(std::string text);
  // Drops the TCP connection without a WebSocket close frame (a closed tab, a
  // crashed browser); returns once the socket is closed (bounded).
  void close_abruptly();
  // Closes the socket if open and stops the io thread (idempotent). After it,
  // send() is a no-op.
  void shutdown();
  bool open() const;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace vr::test
