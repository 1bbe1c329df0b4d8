#include "bench/janus_peer.hpp"

#include "signaling/json.hpp"
#include "test/protocol_peer/ws_client.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace vr::bench {

namespace json = signaling::json;
using namespace std::chrono_literals;

namespace {

std::optional<std::uint64_t> get_id(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject() || !obj.HasMember(key))
    return std::nullopt;
  auto& v = obj[key];
  if (v.IsUint64())
    return v.GetUint64();
  return std::nullopt;
}

}  // namespace

struct janus_peer::impl {
  std::string name;
  std::uint64_t room;
  std::uint64_t session = 0, feed_id = 0;
  std::atomic<std::uint64_t> pub_handle{0}, sub_handle{0};  // read on media threads
  std::unique_ptr<test::webrtc_peer> peer;
  std::unique_ptr<test::ws_client> ws;

  std::mutex mutex;
  std::condition_variable changed;
  // Replies and events by transaction (the last frame that is not an ack).
  std::map<std::string, std::string> answers;
  int next = 0;

  // VR_JANUS_TRACE=1 prints the API traffic (to debug an adapter change).
  static void trace(char direction, const std::string& text) {
    static const bool on = std::getenv("VR_JANUS_TRACE") != nullptr;
    if (on)
      std::fprintf(stderr, "janus%c %s\n", direction, text.c_str());
  }

  void on_text(std::string text) {
    trace('>', text);
    auto doc = json::parse(text, 64);
    if (!doc || !doc->IsObject())
      return;
    auto kind = json::get_string(*doc, "janus").value_or("");
    auto tx = json::get_string(*doc, "transaction");
    if (kind == "ack" || !tx)
      return;  // acks, webrtcup, media, hangup...: not waited for
    std::lock_guard lock{mutex};
    answers[std::string{*tx}] = std::move(text);
    changed.notify_all();
  }

  std::string transaction() {
    std::lock_guard lock{mutex};
    return name + "-" + std::to_string(++next);
  }

  // Sends `frame` (a JSON object without its closing brace and transaction)
  // and waits for the reply or event of its transaction.
  rapidjson::Document call(const std::string& frame, std::chrono::milliseconds timeout) {
    auto tx = transaction();
    trace('<', frame);
    ws->send(frame + R"(,"transaction":")" + tx + R"("})");
    std::unique_lock lock{mutex};
    if (!changed.wait_for(lock, timeout, [&] { return answers.count(tx) != 0; }))
      throw std::runtime_error("janus: no answer to " + frame.substr(0, 80));
    auto text = std::move(answers[tx]);
    answers.erase(tx);
    auto doc = json::parse(text, 64);
    if (!doc || json::get_string(*doc, "janus").value_or("") == "error")
      throw std::runtime_error("janus: error: " + text);
    return std::move(*doc);
  }

  void send(const std::string& frame) {
    trace('<', frame);
    ws->send(frame + R"(,"transaction":")" + transaction() + R"("})");
  }

  std::string session_part() const { return R"({"session_id":)" + std::to_string(session); }

  std::uint64_t attach(std::chrono::milliseconds timeout) {
    auto r =
      call(session_part() + R"(,"janus":"attach","plugin":"janus.plugin.videoroom")", timeout);
    auto* data = json::get_object(r, "data");
    auto id = data ? get_id(*data, "id") : std::nullopt;
    if (!id)
      throw std::runtime_error("janus: attach without a handle id");
    return *id;
  }

  std::string message(std::uint64_t handle, const std::string& body, const std::string& jsep = "") {
    return session_part() + R"(,"handle_id":)" + std::to_string(handle) +
           R"(,"janus":"message","body":)" + body + (jsep.empty() ? "" : R"(,"jsep":)" + jsep);
  }

  static const rapidjson::Value* plugin_data(const rapidjson::Document& d) {
    auto* pd = json::get_object(d, "plugindata");
    return pd ? json::get_object(*pd, "data") : nullptr;
  }

  void trickle(std::uint64_t handle, const std::string& candidate, unsigned mline) {
    send(session_part() + R"(,"handle_id":)" + std::to_string(handle) +
         R"(,"janus":"trickle","candidate":{"candidate":)" + json::quote(candidate) +
         R"(,"sdpMLineIndex":)" + std::to_string(mline) + "}");
  }
};

janus_peer::janus_peer(std::string name, test::peer_options opts, std::uint16_t port,
                       std::uint64_t room)
    : impl_(std::make_shared<impl>()) {
  auto& d = *impl_;
  d.name = std::move(name);
  d.room = room;
  std::weak_ptr<impl> weak = impl_;
  d.ws =
    std::make_unique<test::ws_client>(test::ws_client::callbacks{[weak](std::string text) {
                                                                   if (auto self = weak.lock())
                                                                     self->on_text(std::move(text));
                                                                 },
                                                                 nullptr});
  if (auto err = d.ws->connect("127.0.0.1", port, "/", 5s, "janus-protocol"))
    throw std::runtime_error("janus: " + *err);
  auto r = d.call(R"({"janus":"create")", 5s);
  auto* data = json::get_object(r, "data");
  auto id = data ? get_id(*data, "id") : std::nullopt;
  if (!id)
    throw std::runtime_error("janus: create without a session id");
  d.session = *id;
  d.ws->keep_alive(20s, [weak] {
    auto self = weak.lock();
    return self ? self->session_part() + R"(,"janus":"keepalive","transaction":"ka"})"
                : std::string{};
  });
  test::webrtc_peer::signaling sig;
  // Offers and answers travel in call()s below; only candidates go from here.
  sig.candidate = [weak](media::pc_kind kind, std::string cand, unsigned mline) {
    auto self = weak.lock();
    if (!self)
      return;
    std::uint64_t handle =
      kind == media::pc_kind::publish ? self->pub_handle.load() : self->sub_handle.load();
    if (handle != 0)
      self->trickle(handle, cand, mline);
  };
  sig.publish_offer = [weak](std::string sdp) {
    if (auto self = weak.lock()) {
      std::lock_guard lock{self->mutex};
      self->answers["local-offer"] = std::move(sdp);
      self->changed.notify_all();
    }
  };
  sig.subscribe_answer = [weak](std::string sdp) {
    if (auto self = weak.lock()) {
      std::lock_guard lock{self->mutex};
      self->answers["local-answer"] = std::move(sdp);
      self->changed.notify_all();
    }
  };
  d.peer = std::make_unique<test::webrtc_peer>(d.name, std::move(opts), std::move(sig));
}

janus_peer::~janus_peer() {
  auto& d = *impl_;
  if (d.session != 0)
    d.send(d.session_part() + R"(,"janus":"destroy")");
  d.peer.reset();
  d.ws->shutdown();
}

namespace {

std::string take(janus_peer::impl& d, const std::string& key, std::chrono::milliseconds timeout) {
  std::unique_lock lock{d.mutex};
  if (!d.changed.wait_for(lock, timeout, [&] { return d.answers.count(key) != 0; }))
    throw std::runtime_error("janus: no " + key + " from webrtcbin");
  auto v = std::move(d.answers[key]);
  d.answers.erase(key);
  return v;
}

bool no_such_feed(const rapidjson::Document& reply) {
  auto* data = janus_peer::impl::plugin_data(reply);
  return data && json::get_int(*data, "error_code") == 428;
}

}  // namespace

void janus_peer::create_room(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto handle = d.attach(timeout);
  auto r = d.call(d.message(handle, R"({"request":"create","room":)" + std::to_string(d.room) +
                                      R"(,"publishers":6,"bitrate":0,"fir_freq":10,)"
                                      R"("audiocodec":"opus","videocodec":"vp8",)"
                                      R"("notify_joining":false,"record":false})"),
                  timeout);
  auto* data = impl::plugin_data(r);
  if (!data || json::get_string(*data, "videoroom").value_or("") != "created")
    throw std::runtime_error("janus: room not created: " + json::to_string(r));
}

void janus_peer::publish(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  d.pub_handle = d.attach(timeout);
  auto joined = d.call(d.message(d.pub_handle, R"({"request":"join","ptype":"publisher","room":)" +
                                                 std::to_string(d.room) + R"(,"display":)" +
                                                 json::quote(d.name) + "}"),
                       timeout);
  auto* data = impl::plugin_data(joined);
  auto id = data ? get_id(*data, "id") : std::nullopt;
  if (!id)
    throw std::runtime_error("janus: publisher join without an id: " + json::to_string(joined));
  d.feed_id = *id;
  d.peer->publish();
  auto offer = take(d, "local-offer", timeout);
  auto r = d.call(d.message(d.pub_handle, R"({"request":"publish","audio":true,"video":true})",
                            R"({"type":"offer","sdp":)" + json::quote(offer) + "}"),
                  timeout);
  auto* jsep = json::get_object(r, "jsep");
  auto sdp = jsep ? json::get_string(*jsep, "sdp") : std::nullopt;
  if (!sdp)
    throw std::runtime_error("janus: publish without an answer: " + json::to_string(r));
  d.peer->on_publish_answer(std::string{*sdp});
  // Janus lists a feed for subscribers only once its PeerConnection is up.
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!d.peer->publish_connected()) {
    if (std::chrono::steady_clock::now() > end)
      throw std::runtime_error("janus: publisher " + d.name + " did not connect");
    std::this_thread::sleep_for(5ms);
  }
}

std::uint64_t janus_peer::feed() const { return impl_->feed_id; }

void janus_peer::subscribe(const std::vector<std::uint64_t>& feeds,
                           std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  d.sub_handle = d.attach(timeout);
  std::string streams = "[";
  for (auto f : feeds)
    streams +=
      (streams.size() > 1 ? "," : "") + std::string{R"({"feed":)"} + std::to_string(f) + "}";
  streams += "]";
  auto join = [&] {
    return d.call(
      d.message(d.sub_handle, R"({"request":"join","ptype":"subscriber","room":)" +
                                std::to_string(d.room) + R"(,"streams":)" + streams + "}"),
      timeout);
  };
  auto r = join();
  // 428 "No such feed": seen rarely for a publisher whose connection is up
  // already; Janus has not finished setting it up. Asked again, it is there.
  for (auto end = std::chrono::steady_clock::now() + timeout;
       no_such_feed(r) && std::chrono::steady_clock::now() < end;) {
    std::this_thread::sleep_for(50ms);
    r = join();
  }
  auto* jsep = json::get_object(r, "jsep");
  auto sdp = jsep ? json::get_string(*jsep, "sdp") : std::nullopt;
  auto* data = impl::plugin_data(r);
  if (!sdp || !data)
    throw std::runtime_error("janus: subscriber join without an offer: " + json::to_string(r));
  // Tracks are named FEED:KIND, as the benchmark counts them.
  std::map<std::string, std::string> mids;
  if (data->HasMember("streams") && (*data)["streams"].IsArray())
    for (auto& s : (*data)["streams"].GetArray()) {
      auto mid = json::get_string(s, "mid");
      auto type = json::get_string(s, "type");
      auto feed = get_id(s, "feed_id");
      if (mid && type && feed)
        mids[std::string{*mid}] = std::to_string(*feed) + ":" + std::string{*type};
    }
  d.peer->on_subscribe_offer(std::string{*sdp}, mids);
  auto answer = take(d, "local-answer", timeout);
  d.call(d.message(d.sub_handle, R"({"request":"start"})",
                   R"({"type":"answer","sdp":)" + json::quote(answer) + "}"),
         timeout);
}

test::webrtc_peer& janus_peer::media() { return *impl_->peer; }

}  // namespace vr::bench
