#include "test/protocol_peer/protocol_peer.hpp"

#include "signaling/json.hpp"
#include "signaling/media_event.hpp"
#include "signaling/phoenix.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace vr::test {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace json = signaling::json;
namespace phx = signaling::phoenix;
using tcp = net::ip::tcp;

struct protocol_peer::impl : std::enable_shared_from_this<impl> {
  std::string name;
  peer_options opts;
  net::io_context io;
  std::optional<beast::websocket::stream<beast::tcp_stream>> ws;
  net::steady_timer heartbeat{io};
  beast::flat_buffer buffer;
  std::deque<std::string> out;  // io thread only
  std::thread thread;
  std::unique_ptr<webrtc_peer> peer;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<received_event> events;
  std::map<std::string, std::pair<std::string, std::string>> replies;  // ref → status, response
  std::string topic, id;
  int next_ref = 1;
  bool closed = false;

  impl(std::string n, peer_options o) : name(std::move(n)), opts(std::move(o)) {
    webrtc_peer::signaling sig;
    sig.publish_offer = [this](std::string sdp) {
      send_media("publishOffer", R"({"sdp":)" + json::quote(sdp) + R"(,"trackMetadata":{}})");
    };
    sig.subscribe_answer = [this](std::string sdp) {
      send_media("subscribeAnswer", R"({"sdp":)" + json::quote(sdp) + "}");
    };
    sig.candidate = [this](media::pc_kind pc, std::string cand, unsigned mline) {
      send_media("candidate", R"({"pc":")" +
                                std::string{pc == media::pc_kind::publish ? "publish" : "subscribe"} +
                                R"(","candidate":)" + json::quote(cand) +
                                R"(,"sdpMLineIndex":)" + std::to_string(mline) + R"(,"sdpMid":null})");
    };
    peer = std::make_unique<webrtc_peer>(name, opts, std::move(sig));
  }

  std::string ref() {
    std::lock_guard lock{mutex};
    return std::to_string(++next_ref);
  }

  // Thread-safe: queued on the io thread.
  void send(std::string text) {
    net::post(io, [self = shared_from_this(), text = std::move(text)]() mutable {
      self->out.push_back(std::move(text));
      if (self->out.size() == 1)
        self->write();
    });
  }

  void write() {
    if (!ws || closed_now())
      return out.clear();
    ws->async_write(net::buffer(out.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec)
        return self->out.clear();
      self->out.pop_front();
      if (!self->out.empty())
        self->write();
    });
  }

  void send_media(const std::string& type, const std::string& data) {
    std::string t;
    {
      std::lock_guard lock{mutex};
      t = topic;
    }
    send(phx::encode({"1", std::to_string(next_ref_unlocked()), t, "mediaEvent",
                      signaling::media_event::encode_payload(type, data)}));
  }

  int next_ref_unlocked() {
    std::lock_guard lock{mutex};
    return ++next_ref;
  }

  bool closed_now() {
    std::lock_guard lock{mutex};
    return closed;
  }

  void read() {
    ws->async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        std::lock_guard lock{self->mutex};
        self->closed = true;
        self->changed.notify_all();
        self->heartbeat.cancel();
        return;
      }
      self->on_frame(beast::buffers_to_string(self->buffer.data()));
      self->buffer.consume(self->buffer.size());
      self->read();
    });
  }

  void beat() {
    heartbeat.expires_after(std::chrono::seconds(5));
    heartbeat.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return;
      self->send(R"([null,"hb","phoenix","heartbeat",{}])");
      self->beat();
    });
  }

  void on_frame(const std::string& text) {
    auto decoded = phx::decode(text, {64});
    auto* f = std::get_if<phx::frame>(&decoded);
    if (f == nullptr)
      return;
    if (f->event == "phx_reply") {
      auto doc = json::parse(f->payload, 64);
      if (!doc)
        return;
      std::lock_guard lock{mutex};
      replies[f->ref.value_or("")] = {std::string{json::get_string(*doc, "status").value_or("")},
                                      json::to_string((*doc)["response"])};
      changed.notify_all();
      return;
    }
    if (f->event == "mediaEvent") {
      if (auto ev = signaling::media_event::decode_payload(f->payload, 64))
        on_media(*ev);
      return;
    }
    record({"push", f->event, f->payload});
  }

  void on_media(const signaling::media_event::event& ev) {
    auto doc = json::parse(ev.data, 64);
    if (!doc)
      return;
    auto str = [&](const char* k) { return std::string{json::get_string(*doc, k).value_or("")}; };
    if (ev.type == "publishAnswer") {
      peer->on_publish_answer(str("sdp"));
    } else if (ev.type == "subscribeOffer") {
      std::map<std::string, std::string> mids;
      if (auto* m = json::get_object(*doc, "midToTrackId"))
        for (auto& kv : m->GetObject())
          if (kv.value.IsString())
            mids[kv.name.GetString()] = kv.value.GetString();
      peer->on_subscribe_offer(str("sdp"), std::move(mids));
    } else if (ev.type == "candidate") {
      auto pc = str("pc") == "publish" ? media::pc_kind::publish : media::pc_kind::subscribe;
      peer->on_candidate(pc, str("candidate"),
                         static_cast<unsigned>(json::get_int(*doc, "sdpMLineIndex").value_or(0)));
    } else if (ev.type == "tracksRemoved") {
      std::vector<std::string> ids;
      if (doc->HasMember("trackIds") && (*doc)["trackIds"].IsArray())
        for (auto& v : (*doc)["trackIds"].GetArray())
          if (v.IsString())
            ids.emplace_back(v.GetString());
      peer->forget_tracks(std::move(ids));
    }
    record({"media", ev.type, ev.data});
  }

  void record(received_event ev) {
    std::lock_guard lock{mutex};
    events.push_back(std::move(ev));
    changed.notify_all();
  }

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock{mutex};
    return changed.wait_for(lock, timeout, pred);
  }

  void shutdown() {
    net::post(io, [self = shared_from_this()] {
      self->heartbeat.cancel();
      if (self->ws) {
        beast::error_code ec;
        beast::get_lowest_layer(*self->ws).socket().close(ec);
      }
    });
    if (thread.joinable())
      thread.join();
  }
};

protocol_peer::protocol_peer(std::string name, peer_options opts)
    : impl_(std::make_shared<impl>(std::move(name), std::move(opts))) {}

protocol_peer::~protocol_peer() {
  impl_->shutdown();
  impl_->peer.reset();  // its teardown waits; no callback into impl_ after it
}

join_reply protocol_peer::join(std::uint16_t port, const std::string& room,
                               const std::string& extra_params, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  join_reply r;
  try {
    d.ws.emplace(d.io);
    beast::get_lowest_layer(*d.ws).connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    d.ws->handshake("127.0.0.1:" + std::to_string(port), "/socket/websocket?vsn=2.0.0");
  } catch (const std::exception& e) {
    r.reason = std::string{"connect: "} + e.what();
    return r;
  }
  d.ws->text(true);
  d.read();
  d.beat();
  d.thread = std::thread([self = impl_] { self->io.run(); });
  {
    std::lock_guard lock{d.mutex};
    d.topic = "room:" + room;
  }
  auto params = R"({"displayName":)" + json::quote(d.name) +
                (extra_params.empty() ? "" : "," + extra_params) + "}";
  d.send(phx::encode({"1", "1", "room:" + room, "phx_join", params}));
  if (!d.wait([&] { return d.replies.count("1") > 0 || d.closed; }, timeout)) {
    r.reason = "timeout";
    return r;
  }
  std::string status, response;
  {
    std::lock_guard lock{d.mutex};
    if (!d.replies.count("1")) {
      r.reason = "closed";
      return r;
    }
    std::tie(status, response) = d.replies["1"];
  }
  auto doc = json::parse(response, 64);
  auto str = [&](const char* k) { return doc ? std::string{json::get_string(*doc, k).value_or("")} : ""; };
  if (status != "ok") {
    r.reason = str("reason");
    return r;
  }
  r.peer_id = str("peerId");
  r.role = str("role");
  r.room_type = str("roomType");
  r.owner_id = str("ownerId");
  {
    std::lock_guard lock{d.mutex};
    d.id = r.peer_id;
  }
  d.send_media("join", R"({"metadata":{"displayName":)" + json::quote(d.name) + "}}");
  r.ok = wait_event("peerAccepted", "", timeout);
  if (!r.ok)
    r.reason = "no peerAccepted";
  return r;
}

void protocol_peer::publish() { impl_->peer->publish(); }

std::pair<std::string, std::string> protocol_peer::request(const std::string& event,
                                                           const std::string& payload,
                                                           std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto ref = std::to_string(d.next_ref_unlocked());
  std::string topic;
  {
    std::lock_guard lock{d.mutex};
    topic = d.topic;
  }
  d.send(phx::encode({"1", ref, topic, event, payload}));
  if (!d.wait([&] { return d.replies.count(ref) > 0; }, timeout))
    return {"timeout", "{}"};
  std::lock_guard lock{d.mutex};
  return d.replies[ref];
}

void protocol_peer::send_media_event(const std::string& type, const std::string& data_json) {
  impl_->send_media(type, data_json);
}

void protocol_peer::leave() {
  request("phx_leave", "{}");
}

void protocol_peer::close_abruptly() {
  impl_->shutdown();
}

bool protocol_peer::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  // Packet counters change without notifying: poll.
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred())
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

bool protocol_peer::has_event(const std::string& type, const std::string& needle) const {
  std::lock_guard lock{impl_->mutex};
  for (auto& e : impl_->events)
    if (e.type == type && e.data.find(needle) != std::string::npos)
      return true;
  return false;
}

bool protocol_peer::wait_event(const std::string& type, const std::string& needle,
                               std::chrono::milliseconds timeout) {
  return impl_->wait(
    [&] {
      for (auto& e : impl_->events)
        if (e.type == type && e.data.find(needle) != std::string::npos)
          return true;
      return false;
    },
    timeout);
}

std::vector<received_event> protocol_peer::events() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->events;
}

std::uint64_t protocol_peer::packets_from(const std::string& peer_id, const std::string& kind) const {
  std::uint64_t n = 0;
  for (auto& [id, t] : impl_->peer->received())
    if (id.rfind(peer_id + ":", 0) == 0 && (kind.empty() || t.kind == kind))  // ids are "<peer>:<mid>"
      n += t.packets;
  return n;
}

std::uint64_t protocol_peer::keyframes_from(const std::string& peer_id) const {
  std::uint64_t n = 0;
  for (auto& [id, t] : impl_->peer->received())
    if (id.rfind(peer_id + ":", 0) == 0)
      n += t.keyframes;
  return n;
}

std::string protocol_peer::peer_id() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->id;
}

webrtc_peer& protocol_peer::media() { return *impl_->peer; }

bool protocol_peer::closed() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->closed;
}

}  // namespace vr::test
