// A CAF actor system on the deterministic test coordinator, plus stand-ins for
// a WebSocket and for a socket_actor that record what they are sent.
#pragma once

#include "actors/messages.hpp"
#include "actors/settings.hpp"
#include "signaling/metrics.hpp"
#include "signaling/websocket_session.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <memory>
#include <string>
#include <vector>

namespace vr::test {

using frames = std::shared_ptr<std::vector<std::string>>;

inline caf::actor_system_config& test_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  register_message_types(cfg);
  return cfg;
}

// A socket_actor stand-in: records the frames channels ask it to write.
inline caf::behavior socket_probe(caf::event_based_actor*, frames out) {
  return {[out](out_atom, std::string& text) { out->push_back(std::move(text)); }};
}

// A WebSocket stand-in for socket_actor tests.
class fake_connection : public signaling::ws_connection {
public:
  frames sent = std::make_shared<std::vector<std::string>>();
  int close_code = 0;
  void send(std::string text) override { sent->push_back(std::move(text)); }
  void close(unsigned short code, std::string) override { close_code = code; }
  std::string remote() const override { return "test"; }
};

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{test_config(cfg)};
  caf::scheduler::test_coordinator& sched =
    dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  std::shared_ptr<signaling::metrics> metrics = std::make_shared<signaling::metrics>();
  settings_ptr settings = [this] {
    auto s = std::make_shared<node_settings>();
    s->metrics = metrics;
    s->detach_engines = false;
    return s;
  }();

  // Runs every actor until no message is left.
  void run() { sched.run(); }

  static frames new_frames() { return std::make_shared<std::vector<std::string>>(); }

  ~fixture() { run(); }
};

// Whether any recorded frame contains every one of `parts`.
inline bool has_frame(const frames& fs, std::initializer_list<std::string_view> parts) {
  for (auto& f : *fs) {
    bool all = true;
    for (auto p : parts)
      all = all && f.find(p) != std::string::npos;
    if (all)
      return true;
  }
  return false;
}

}  // namespace vr::test
