#include "actors/socket_actor.hpp"

#include "actors/channel_actor.hpp"
#include "actors/messages.hpp"
#include "actors/rate_limiter.hpp"
#include "signaling/metrics.hpp"
#include "signaling/protocol/decode.hpp"
#include "signaling/protocol/encode.hpp"
#include "signaling/websocket_session.hpp"

#include <caf/all.hpp>

#include <map>

namespace vr {

namespace {

struct socket_state {
  // Not an aggregate: CAF would otherwise build it from the actor pointer.
  socket_state() = default;
  struct joined {
    channel_api channel;
    std::optional<std::string> join_ref;
  };
  std::shared_ptr<signaling::ws_connection> conn;
  std::string address;  // the client's IP address, the key of the join rate limit
  registry_api registry;
  settings_ptr settings;
  std::map<std::string, joined> topics;
  static inline const char* name = "socket_actor";
};

using self_ptr = socket_api::stateful_pointer<socket_state>;

void write(self_ptr self, std::string text) { self->state.conn->send(std::move(text)); }

void reply(self_ptr self, const proto::client_frame& f, proto::reply r) {
  write(self, proto::encode_reply(f.join_ref, f.ref, f.topic, r));
}

void count_bad_frame(self_ptr self) {
  self->state.settings->metrics->add("vr_bad_frames_total", 1);
}

// phx_join: a second join of a topic replaces the first channel, as Phoenix does.
// A join over rooms.max-joins-per-second-per-ip is refused (`rate_limited`)
// before it changes anything.
void join(self_ptr self, proto::client_frame& f, proto::phx_join& j) {
  auto& st = self->state;
  if (st.settings->join_limiter && !st.settings->join_limiter->allow(st.address)) {
    st.settings->metrics->add("vr_refused_total", 1, {{"reason", "join_rate"}});
    return reply(self, f, proto::reply_error{"rate_limited"});
  }
  if (auto it = st.topics.find(f.topic); it != st.topics.end()) {
    self->demonitor(it->second.channel.address());
    self->send_exit(it->second.channel, caf::exit_reason::user_shutdown);
    write(self, proto::encode_close(it->second.join_ref, f.topic));
    st.topics.erase(it);
  }
  if (f.topic.rfind("room:", 0) != 0)
    return reply(self, f, proto::reply_error{"unmatched topic"});
  auto channel = spawn_channel(self->system(), self, {f.topic, f.join_ref, f.ref, std::move(j)},
                               st.registry, st.settings);
  self->monitor(channel);
  st.topics.emplace(f.topic, socket_state::joined{channel, f.join_ref});
}

void on_frame(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto decoded = proto::decode_client(text, {st.settings->max_json_depth});
  if (auto* err = std::get_if<signaling::phoenix::decode_error>(&decoded)) {
    count_bad_frame(self);
    if (err->ref && err->topic)
      write(self, proto::encode_reply(err->join_ref, err->ref, *err->topic,
                                      proto::reply_error{"bad_frame"}));
    return;
  }
  auto& f = std::get<proto::client_frame>(decoded);
  if (std::holds_alternative<proto::heartbeat>(f.event))
    return reply(self, f, proto::reply_ok{});
  if (auto* j = std::get_if<proto::phx_join>(&f.event))
    return join(self, f, *j);
  auto it = st.topics.find(f.topic);
  // A push must carry the join ref of the live channel, or it belongs to an
  // older incarnation of the topic (Phoenix drops those the same way).
  if (it == st.topics.end() || (f.join_ref && f.join_ref != it->second.join_ref))
    return reply(self, f, proto::reply_error{"unmatched topic"});
  self->send(it->second.channel, client_push{std::move(f.ref), std::move(f.event)});
}

socket_api::behavior_type socket_actor(self_ptr self,
                                       std::shared_ptr<signaling::ws_connection> conn,
                                       registry_api registry, settings_ptr settings) {
  auto& st = self->state;
  st.conn = std::move(conn);
  st.address = address_of(st.conn->remote());
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
        write(self, proto::encode_channel_error(it->second.join_ref, it->first));
        self->state.settings->metrics->add("vr_errors_total", 1);
      }
      topics.erase(it);
      return;
    }
  });
  return {
    [self](ws_text& m) { on_frame(self, m.text); },
    [self](ws_binary&) { count_bad_frame(self); },
    [self](ws_closed&) { self->quit(); },
    [self](ws_out& m) { write(self, std::move(m.text)); },
  };
}

}  // namespace

socket_api spawn_socket(caf::actor_system& sys, std::shared_ptr<signaling::ws_connection> conn,
                        registry_api registry, settings_ptr settings) {
  return sys.spawn(socket_actor, std::move(conn), std::move(registry), std::move(settings));
}

}  // namespace vr
