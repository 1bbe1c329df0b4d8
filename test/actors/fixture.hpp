// A CAF actor system on the deterministic test coordinator, plus stand-ins for
// a WebSocket and for a socket_actor that record what they are sent.
#pragma once

#include "actors/channel_actor.hpp"
#include "actors/messages.hpp"
#include "actors/settings.hpp"
#include "signaling/metrics.hpp"
#include "signaling/protocol/decode.hpp"
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
inline socket_api::behavior_type socket_probe(socket_api::pointer, frames out) {
  return {
    [out](ws_out& m) { out->push_back(std::move(m.text)); },
    [](ws_text&) {},
    [](ws_binary&) {},
    [](ws_closed&) {},
  };
}

// A channel for `name` joining `topic` through `registry`, as a socket spawns it.
inline channel_api join_channel(caf::actor_system& sys, const registry_api& registry,
                                const frames& out, const std::string& name,
                                const std::string& topic, settings_ptr settings) {
  auto probe = sys.spawn(socket_probe, out);
  signaling::protocol::join_params params;
  params.display_name = name;
  return spawn_channel(sys, probe, {topic, "1", "1", {params}}, registry, std::move(settings));
}

// What a client's socket would hand its channel for this frame text.
inline client_push client_frame(std::string_view text) {
  auto decoded = signaling::protocol::decode_client(text);
  auto& f = std::get<signaling::protocol::client_frame>(decoded);
  return {f.ref, std::move(f.event)};
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
