// Private to signaling/: the open connections of one http_server, so that stop()
// can close them and max_connections can be enforced.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace vr::signaling {

class closable {
public:
  virtual ~closable() = default;
  // Ends the connection soon (thread-safe): WebSockets send close 1001 first.
  virtual void shutdown() = 0;
};

class session_registry {
public:
  // False when the server is stopping or full: the caller drops the connection.
  bool add(const std::shared_ptr<closable>& s, std::size_t max) {
    std::lock_guard lock{mutex_};
    if (stopped_ || live_.size() >= max)
      return false;
    live_.emplace(s.get(), s);
    return true;
  }
  void remove(closable* s) {
    std::lock_guard lock{mutex_};
    live_.erase(s);
  }
  void stop_all() {
    decltype(live_) live;
    {
      std::lock_guard lock{mutex_};
      stopped_ = true;
      live.swap(live_);
    }
    for (auto& [ptr, weak] : live)
      if (auto s = weak.lock())
        s->shutdown();
  }

private:
  std::mutex mutex_;
  bool stopped_ = false;
  std::unordered_map<closable*, std::weak_ptr<closable>> live_;
};

}  // namespace vr::signaling
