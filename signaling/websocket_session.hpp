// One Beast WebSocket: hands frames to a handler, queues writes on its strand.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace vr::signaling {

// What the layer above sees of one WebSocket. Every member is thread-safe:
// calls are posted onto the session's strand.
class ws_connection {
public:
  virtual ~ws_connection() = default;
  // Queues a text frame; dropped silently once the socket is closing.
  virtual void send(std::string text) = 0;
  // Sends a close frame with `code` and then tears the connection down.
  virtual void close(unsigned short code, std::string reason) = 0;
  // "ip:port" of the peer, for logs.
  virtual std::string remote() const = 0;
};

// The layer above's callbacks for one connection, called on the session's strand
// (so never concurrently for one connection). on_close is called exactly once.
class ws_handler {
public:
  virtual ~ws_handler() = default;
  virtual void on_text(std::string text) = 0;
  virtual void on_binary(std::size_t bytes) = 0;
  virtual void on_close() = 0;
};

}  // namespace vr::signaling
