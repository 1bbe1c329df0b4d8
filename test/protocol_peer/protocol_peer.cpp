#include "test/protocol_peer/protocol_peer.hpp"

#include "test/protocol_peer/room_view.hpp"
#include "test/protocol_peer/ws_client.hpp"

#include "signaling/json.hpp"
#include "signaling/media_event.hpp"
#include "signaling/phoenix.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace vr::test {

namespace json = signaling::json;
namespace phx = signaling::phoenix;
namespace media_event = signaling::media_event;

namespace {

constexpr std::size_t max_depth = 64;  // parse whatever the server sends

std::string str(const rapidjson::Value& v, const char* key) {
  return std::string{json::get_string(v, key).value_or("")};
}

bool matches(const received_event& e, const std::string& type, const std::string& needle) {
  return e.type == type && e.data.find(needle) != std::string::npos;
}

}  // namespace

// The io thread (ws_client callbacks) writes the state below; test threads
// read it. All of it is guarded by `mutex`; the webrtc_peer is reached through
// a shared_ptr copy so a rejoin can replace it while the io thread uses it.
struct protocol_peer::impl {
  std::string name;
  peer_options opts;

  mutable std::mutex mutex;
  std::condition_variable changed;
  int last_ref = 0;
  std::string join_ref, topic, id, role;
  bool publish_on_accept = false, forget_removed = true;
  bool socket_closed = false, chan_closed = false;
  std::map<std::string, push_reply> replies;  // by ref
  std::vector<received_event> events;
  std::vector<media_error> errors;
  room_view room;
  std::shared_ptr<webrtc_peer> peer;

  // Last member: destroyed first, so its io thread is gone before the rest.
  std::unique_ptr<ws_client> ws;

  impl(std::string n, peer_options o) : name(std::move(n)), opts(std::move(o)) {
    ws =
      std::make_unique<ws_client>(ws_client::callbacks{[this](std::string text) { on_frame(text); },
                                                       [this](std::string) {
                                                         std::lock_guard lock{mutex};
                                                         socket_closed = true;
                                                         changed.notify_all();
                                                       }});
    peer = make_peer();
  }

  std::string next_ref() {
    std::lock_guard lock{mutex};
    return std::to_string(++last_ref);
  }

  std::shared_ptr<webrtc_peer> media() const {
    std::lock_guard lock{mutex};
    return peer;
  }

  std::shared_ptr<webrtc_peer> make_peer() {
    webrtc_peer::signaling sig;
    sig.publish_offer = [this](std::string sdp) {
      send_media("publishOffer", R"({"sdp":)" + json::quote(sdp) + R"(,"trackMetadata":{}})");
    };
    sig.subscribe_answer = [this](std::string sdp) {
      send_media("subscribeAnswer", R"({"sdp":)" + json::quote(sdp) + "}");
    };
    sig.candidate = [this](media::pc_kind pc, std::string cand, unsigned mline) {
      std::string kind = pc == media::pc_kind::publish ? "publish" : "subscribe";
      send_media("candidate", R"({"pc":")" + kind + R"(","candidate":)" + json::quote(cand) +
                                R"(,"sdpMLineIndex":)" + std::to_string(mline) +
                                R"(,"sdpMid":null})");
    };
    return std::make_shared<webrtc_peer>(name, opts, std::move(sig));
  }

  // A push on the current channel: [join_ref, ref, topic, event, payload].
  void send_push(const std::string& ref, const std::string& event, const std::string& payload) {
    std::string jr, t;
    {
      std::lock_guard lock{mutex};
      jr = join_ref;
      t = topic;
    }
    ws->send(phx::encode({jr, ref, t, event, payload}));
  }

  void send_media(const std::string& type, const std::string& data) {
    send_push(next_ref(), "mediaEvent", media_event::encode_payload(type, data));
  }

  // --- io thread -------------------------------------------------------------

  void on_frame(const std::string& text) {
    auto decoded = phx::decode(text, {max_depth});
    auto* f = std::get_if<phx::frame>(&decoded);
    if (f == nullptr)
      return record({"push", "undecodable", text});
    if (f->event == "phx_reply") {
      auto doc = json::parse(f->payload, max_depth);
      push_reply r{"invalid", f->payload};
      if (doc && doc->IsObject()) {
        r.status = str(*doc, "status");
        if (doc->HasMember("response"))
          r.response = json::to_string((*doc)["response"]);
      }
      std::lock_guard lock{mutex};
      replies[f->ref.value_or("")] = std::move(r);
      changed.notify_all();
      return;
    }
    if (f->topic == "phoenix")
      return;
    {
      // Pushes of an earlier join of the topic (Phoenix clients drop them too).
      std::lock_guard lock{mutex};
      if (f->topic != topic || f->join_ref.value_or("") != join_ref)
        return;
    }
    if (f->event == "mediaEvent") {
      if (auto ev = media_event::decode_payload(f->payload, max_depth))
        return on_media(*ev);
      return record({"push", "bad mediaEvent", f->payload});
    }
    on_push(*f);
  }

  void on_push(const phx::frame& f) {
    auto doc = json::parse(f.payload, max_depth);
    std::lock_guard lock{mutex};
    if (f.event == "phx_close" || f.event == "phx_error")
      chan_closed = true;
    if (f.event == "roleChanged" && doc && doc->IsObject() && str(*doc, "peerId") == id)
      role = str(*doc, "role");
    events.push_back({"push", f.event, f.payload});
    changed.notify_all();
  }

  void on_media(const media_event::event& ev) {
    auto doc = json::parse(ev.data, max_depth);
    if (!doc || !doc->IsObject())
      return record({"media", ev.type, ev.data});
    auto p = media();
    if (ev.type == "peerAccepted") {
      bool publish = false;
      {
        std::lock_guard lock{mutex};
        role = str(*doc, "role");
        publish = publish_on_accept && role == "publisher";
      }
      if (publish && p)
        p->publish();
    } else if (ev.type == "publishAnswer") {
      if (p)
        p->on_publish_answer(str(*doc, "sdp"));
    } else if (ev.type == "subscribeOffer") {
      std::map<std::string, std::string> mids;
      if (auto* m = json::get_object(*doc, "midToTrackId"))
        for (auto& kv : m->GetObject())
          if (kv.value.IsString())
            mids[kv.name.GetString()] = kv.value.GetString();
      if (p)
        p->on_subscribe_offer(str(*doc, "sdp"), std::move(mids));
    } else if (ev.type == "candidate") {
      auto pc = str(*doc, "pc") == "publish" ? media::pc_kind::publish : media::pc_kind::subscribe;
      auto mline = json::get_int(*doc, "sdpMLineIndex").value_or(0);
      if (p)
        p->on_candidate(pc, str(*doc, "candidate"), static_cast<unsigned>(mline));
    } else if (ev.type == "error") {
      std::lock_guard lock{mutex};
      errors.push_back({str(*doc, "reason"), str(*doc, "message")});
    }
    std::vector<std::string> removed;
    bool forget = false;
    {
      std::lock_guard lock{mutex};
      removed = room.apply(ev.type, ev.data);
      forget = forget_removed;
    }
    // rtpbin keeps per-SSRC state of a removed track until an RTCP timeout.
    if (forget && !removed.empty() && p)
      p->forget_tracks(std::move(removed));
    record({"media", ev.type, ev.data});
  }

  void record(received_event ev) {
    std::lock_guard lock{mutex};
    events.push_back(std::move(ev));
    changed.notify_all();
  }

  // --- test threads ----------------------------------------------------------

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock{mutex};
    return changed.wait_for(lock, timeout, pred);
  }

  std::optional<push_reply> take_reply(const std::string& ref, std::chrono::milliseconds timeout) {
    if (!wait([&] { return replies.count(ref) > 0 || socket_closed; }, timeout))
      return std::nullopt;
    std::lock_guard lock{mutex};
    auto it = replies.find(ref);
    if (it == replies.end())
      return std::nullopt;
    auto r = std::move(it->second);
    replies.erase(it);
    return r;
  }
};

protocol_peer::protocol_peer(std::string display_name, peer_options opts)
    : impl_(std::make_unique<impl>(std::move(display_name), std::move(opts))) {}

protocol_peer::~protocol_peer() {
  // The socket first: no frame reaches the webrtc_peer while it stops. Its
  // own teardown may still call send(), which is a no-op by then.
  impl_->ws->shutdown();
  std::shared_ptr<webrtc_peer> peer;
  {
    std::lock_guard lock{impl_->mutex};
    peer = std::move(impl_->peer);
  }
  peer.reset();  // blocks until its pipeline is down
}

join_reply protocol_peer::connect_and_join(std::uint16_t port, const std::string& room,
                                           join_options o) {
  auto& d = *impl_;
  join_reply r;
  bool first = false;
  {
    std::lock_guard lock{d.mutex};
    first = d.join_ref.empty();
  }
  if (!first) {
    // A fresh media side for a rejoin: the server's connections of the
    // earlier join are gone. The old one stops before the new one exists.
    std::shared_ptr<webrtc_peer> old;
    {
      std::lock_guard lock{d.mutex};
      old = std::move(d.peer);
    }
    old.reset();
    auto fresh = d.make_peer();
    std::lock_guard lock{d.mutex};
    d.peer = std::move(fresh);
  }
  if (first) {
    if (auto err = d.ws->connect("127.0.0.1", port, "/socket/websocket?vsn=2.0.0", o.timeout)) {
      r.reason = *err;
      return r;
    }
    d.ws->keep_alive(5s, [&d] {
      return phx::encode({std::nullopt, d.next_ref(), "phoenix", "heartbeat", "{}"});
    });
  }
  auto ref = d.next_ref();
  {
    std::lock_guard lock{d.mutex};
    d.join_ref = ref;
    d.topic = "room:" + room;
    d.id.clear();
    d.role.clear();
    d.publish_on_accept = o.publish;
    d.forget_removed = o.forget_removed_tracks;
    d.chan_closed = false;
    d.events.clear();
    d.errors.clear();
    d.room.clear();
  }
  std::string params = R"({"displayName":)" + json::quote(d.name);
  if (!o.room_type.empty())
    params += R"(,"roomType":)" + json::quote(o.room_type);
  if (!o.role.empty())
    params += R"(,"role":)" + json::quote(o.role);
  if (!o.extra_params.empty())
    params += "," + o.extra_params;
  d.send_push(ref, "phx_join", params + "}");

  auto reply = d.take_reply(ref, o.timeout);
  if (!reply) {
    r.reason = closed() ? "closed" : "timeout";
    return r;
  }
  auto doc = json::parse(reply->response, max_depth);
  auto field = [&](const char* k) { return doc && doc->IsObject() ? str(*doc, k) : std::string{}; };
  if (reply->status != "ok") {
    r.reason = field("reason");
    return r;
  }
  r.peer_id = field("peerId");
  r.role = field("role");
  r.room_type = field("roomType");
  r.owner_id = field("ownerId");
  {
    std::lock_guard lock{d.mutex};
    d.id = r.peer_id;
    d.role = r.role;
  }
  d.send_media("join", R"({"metadata":{"displayName":)" + json::quote(d.name) + "}}");
  r.ok = wait_event("peerAccepted", "", o.timeout);
  if (!r.ok)
    r.reason = "no peerAccepted";
  return r;
}

join_reply protocol_peer::join(std::uint16_t port, const std::string& room,
                               const std::string& extra_params, std::chrono::milliseconds timeout) {
  join_options o;
  o.extra_params = extra_params;
  o.timeout = timeout;
  return connect_and_join(port, room, std::move(o));
}

void protocol_peer::publish() {
  if (auto p = impl_->media())
    p->publish();
}

push_reply protocol_peer::push(const std::string& event, const std::string& payload_json,
                               std::chrono::milliseconds timeout) {
  auto ref = impl_->next_ref();
  impl_->send_push(ref, event, payload_json);
  return impl_->take_reply(ref, timeout).value_or(push_reply{"timeout", "{}"});
}

void protocol_peer::send_media_event(const std::string& type, const std::string& data_json) {
  impl_->send_media(type, data_json);
}

bool protocol_peer::leave(std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  auto reply = push("phx_leave", "{}", timeout);
  auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start);
  return reply.status == "ok" && impl_->wait([&] { return impl_->chan_closed; }, left);
}

void protocol_peer::close_abruptly() { impl_->ws->close_abruptly(); }

bool protocol_peer::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  // Packet counters change without a notification: poll.
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

bool protocol_peer::has_event(const std::string& type, const std::string& needle) const {
  return count_events(type, needle) > 0;
}

bool protocol_peer::wait_event(const std::string& type, const std::string& needle,
                               std::chrono::milliseconds timeout) {
  return impl_->wait(
    [&] {
      for (auto& e : impl_->events)
        if (matches(e, type, needle))
          return true;
      return false;
    },
    timeout);
}

std::size_t protocol_peer::count_events(const std::string& type, const std::string& needle) const {
  std::lock_guard lock{impl_->mutex};
  std::size_t n = 0;
  for (auto& e : impl_->events)
    n += matches(e, type, needle) ? 1 : 0;
  return n;
}

std::vector<received_event> protocol_peer::events() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->events;
}

std::vector<media_error> protocol_peer::errors() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->errors;
}

std::set<std::string> protocol_peer::peers() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->room.peers();
}

std::map<std::string, std::string> protocol_peer::tracks_of(const std::string& peer_id) const {
  std::lock_guard lock{impl_->mutex};
  return impl_->room.tracks_of(peer_id);
}

std::map<std::string, received_track> protocol_peer::received() const {
  auto p = impl_->media();
  return p ? p->received() : std::map<std::string, received_track>{};
}

std::uint64_t protocol_peer::packets_from(const std::string& peer_id,
                                          const std::string& kind) const {
  auto got = received();
  std::lock_guard lock{impl_->mutex};
  auto& owners = impl_->room.all_tracks();
  std::uint64_t n = 0;
  for (auto& [track, t] : got)
    if (auto it = owners.find(track);
        it != owners.end() && it->second.peer_id == peer_id && (kind.empty() || t.kind == kind))
      n += t.packets;
  return n;
}

std::uint64_t protocol_peer::keyframes_from(const std::string& peer_id) const {
  auto got = received();
  std::lock_guard lock{impl_->mutex};
  auto& owners = impl_->room.all_tracks();
  std::uint64_t n = 0;
  for (auto& [track, t] : got)
    if (auto it = owners.find(track); it != owners.end() && it->second.peer_id == peer_id)
      n += t.keyframes;
  return n;
}

std::string protocol_peer::peer_id() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->id;
}

std::string protocol_peer::role() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->role;
}

webrtc_peer& protocol_peer::media() { return *impl_->media(); }

bool protocol_peer::closed() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->socket_closed;
}

bool protocol_peer::channel_closed() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->chan_closed;
}

}  // namespace vr::test
