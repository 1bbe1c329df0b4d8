#include "actors/socket_actor.hpp"

#include "actors/channel_actor.hpp"
#include "actors/messages.hpp"
#include "signaling/metrics.hpp"
#include "signaling/phoenix.hpp"
#include "signaling/websocket_session.hpp"

#include <caf/all.hpp>

namespace vr {

namespace phx = signaling::phoenix;

namespace {

using self_ptr = caf::stateful_actor<socket_state>*;

void write(self_ptr self, std::string text) {
  self->state.conn->send(std::move(text));
}

void count_bad_frame(self_ptr self) {
  self->state.settings->metrics->add("vr_bad_frames_total", 1);
}

// phx_join: a second join of a topic replaces the first channel, as Phoenix does.
void join(self_ptr self, phx::frame f) {
  auto& st = self->state;
  if (auto it = st.topics.find(f.topic); it != st.topics.end()) {
    self->demonitor(it->second.channel);
    self->send_exit(it->second.channel, caf::exit_reason::user_shutdown);
    write(self, phx::encode({it->second.join_ref, it->second.join_ref, f.topic,
                             "phx_close", "{}"}));
    st.topics.erase(it);
  }
  if (f.topic.rfind("room:", 0) != 0) {
    write(self, phx::reply(f.join_ref, f.ref, f.topic, "error",
                           phx::reason_json("unmatched topic")));
    return;
  }
  auto channel = self->spawn(channel_actor, caf::actor{self}, f.topic, f.join_ref, f.ref,
                             std::move(f.payload), st.registry, st.settings);
  self->monitor(channel);
  st.topics.emplace(f.topic, socket_state::joined{channel, f.join_ref});
}

void on_frame(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto decoded = phx::decode(text, {st.settings->max_json_depth});
  if (auto* err = std::get_if<phx::decode_error>(&decoded)) {
    count_bad_frame(self);
    if (err->ref && err->topic)
      write(self, phx::reply(err->join_ref, err->ref, *err->topic, "error",
                             phx::reason_json("bad_frame")));
    return;
  }
  auto& f = std::get<phx::frame>(decoded);
  if (f.topic == "phoenix" && f.event == "heartbeat") {
    write(self, phx::reply(f.join_ref, f.ref, f.topic, "ok"));
    return;
  }
  if (f.event == "phx_join") {
    join(self, std::move(f));
    return;
  }
  auto it = st.topics.find(f.topic);
  // A push must carry the join ref of the live channel, or it belongs to an
  // older incarnation of the topic (Phoenix drops those the same way).
  if (it == st.topics.end() || (f.join_ref && f.join_ref != it->second.join_ref)) {
    write(self, phx::reply(f.join_ref, f.ref, f.topic, "error",
                           phx::reason_json("unmatched topic")));
    return;
  }
  self->send(it->second.channel, client_atom::value, f.ref.value_or(""), f.ref.has_value(),
             std::move(f.event), std::move(f.payload));
}

}  // namespace

caf::behavior socket_actor(self_ptr self, std::shared_ptr<signaling::ws_connection> conn,
                           caf::actor registry, settings_ptr settings) {
  auto& st = self->state;
  st.conn = std::move(conn);
  st.registry = std::move(registry);
  st.settings = std::move(settings);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& topics = self->state.topics;
    for (auto it = topics.begin(); it != topics.end(); ++it) {
      if (it->second.channel.address() != dm.source)
        continue;
      // A channel that ended on its own (leave, kick, failed join) already said
      // so; one that crashed leaves its client a phx_error to rejoin on.
      if (dm.reason && dm.reason != caf::exit_reason::normal) {
        write(self, phx::encode({it->second.join_ref, it->second.join_ref, it->first,
                                 "phx_error", "{}"}));
        self->state.settings->metrics->add("vr_errors_total", 1);
      }
      topics.erase(it);
      return;
    }
  });
  return {
    [self](ws_text_atom, const std::string& text) { on_frame(self, text); },
    [self](ws_binary_atom, std::size_t) { count_bad_frame(self); },
    [self](ws_closed_atom) { self->quit(); },
    [self](out_atom, std::string& text) { write(self, std::move(text)); },
  };
}

}  // namespace vr
