#include "media/peer_connection.hpp"

#include "media/runtime.hpp"

#include <atomic>
#include <vector>

namespace vr::media {

struct peer_connection::shared {
  runtime* rt = nullptr;
  handlers h;
  std::atomic<bool> closed{false};
  std::vector<gulong> signal_ids;

  // Runs fn on the media thread unless the connection was destroyed by then.
  void deliver(const std::shared_ptr<shared>& self, std::function<void()> fn) {
    rt->post([self, fn = std::move(fn)] {
      if (!self->closed)
        fn();
    });
  }
};

namespace {

using shared_t = peer_connection::shared;

void on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer data) {
  auto& st = unbox<shared_t>(data);
  st->deliver(st, [st, mline, c = std::string(candidate ? candidate : "")] {
    if (st->h.candidate)
      st->h.candidate(mline, c);
  });
}

void on_connection_state(GObject* webrtc, GParamSpec*, gpointer data) {
  auto& st = unbox<shared_t>(data);
  GstWebRTCPeerConnectionState state{};
  g_object_get(webrtc, "connection-state", &state, nullptr);
  st->deliver(st, [st, state] {
    if (st->h.state)
      st->h.state(state);
  });
}

void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  auto& st = unbox<shared_t>(data);
  if (GST_PAD_IS_SRC(pad) && !st->closed && st->h.pad_added)
    st->h.pad_added(pad);
}

void on_new_transceiver(GstElement*, GstWebRTCRTPTransceiver* trans, gpointer data) {
  auto& st = unbox<shared_t>(data);
  if (st->h.new_transceiver)
    st->h.new_transceiver(trans);
}

// A promise whose reply is handed to `on_reply` on webrtcbin's thread.
struct promise_ctx {
  std::function<void(const GstStructure* reply, std::string error)> on_reply;
};

promise_ptr make_promise(std::function<void(const GstStructure*, std::string)> on_reply) {
  auto ctx = std::make_shared<promise_ctx>(promise_ctx{std::move(on_reply)});
  return promise_ptr(gst_promise_new_with_change_func(
    [](GstPromise* p, gpointer data) {
      auto& c = unbox<promise_ctx>(data);
      if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) {
        c->on_reply(nullptr, "webrtcbin dropped the request");
        return;
      }
      const GstStructure* reply = gst_promise_get_reply(p);
      if (reply && gst_structure_has_field(reply, "error")) {
        GError* raw = nullptr;
        gst_structure_get(reply, "error", G_TYPE_ERROR, &raw, nullptr);
        error_ptr err(raw);
        c->on_reply(nullptr, err ? err->message : "unknown webrtcbin error");
        return;
      }
      c->on_reply(reply, "");
    },
    box(ctx), &unbox_free<promise_ctx>));
}

void apply_ice_config(GstElement* webrtc, const ice_config& ice) {
  if (!ice.stun_servers.empty())
    g_object_set(webrtc, "stun-server", ice.stun_servers.front().c_str(), nullptr);
  for (const auto& turn : ice.turn_servers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtc, "add-turn-server", turn.c_str(), &ok);
  }

  GstWebRTCICE* raw = nullptr;
  g_object_get(webrtc, "ice-agent", &raw, nullptr);
  gst_object_ptr<GstWebRTCICE> agent(raw);
  if (!agent)
    return;

  // The libnice agent behind GstWebRTCNice: UPnP would only add delay and
  // multicast traffic on a server.
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent.get()), "agent")) {
    GObject* nice = nullptr;
    g_object_get(agent.get(), "agent", &nice, nullptr);
    gobject_ptr<GObject> nice_owner(nice);
    if (nice && g_object_class_find_property(G_OBJECT_GET_CLASS(nice), "upnp"))
      g_object_set(nice, "upnp", FALSE, nullptr);
  }
  // Pinning addresses turns off interface discovery (GstWebRTCICE docs).
  for (const auto& addr : ice.local_addresses) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(agent.get(), "add-local-ip-address", addr.c_str(), &ok);
  }
  if (ice.min_port != 0 || ice.max_port != 0) {
    guint min = ice.min_port, max = ice.max_port ? ice.max_port : 65535;
    g_object_set(agent.get(), "max-rtp-port", max, "min-rtp-port", min, nullptr);
  }
}

}  // namespace

peer_connection::peer_connection(runtime& rt, GstBin* pipeline, const std::string& name,
                                 const ice_config& ice, unsigned latency_ms, handlers h)
    : pipeline_(pipeline),
      webrtc_(make_element("webrtcbin", name.c_str())),
      shared_(std::make_shared<shared>()) {
  shared_->rt = &rt;
  shared_->h = std::move(h);
  GstElement* w = webrtc_.get();
  g_object_set(w, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", latency_ms,
               nullptr);
  apply_ice_config(w, ice);

  auto& ids = shared_->signal_ids;
  ids.push_back(connect(w, "on-ice-candidate", &on_ice_candidate, shared_));
  ids.push_back(connect(w, "notify::connection-state", &on_connection_state, shared_));
  ids.push_back(connect(w, "pad-added", &on_pad_added, shared_));
  ids.push_back(connect(w, "on-new-transceiver", &on_new_transceiver, shared_));

  gst_bin_add(pipeline_, w);
  gst_element_sync_state_with_parent(w);
}

peer_connection::~peer_connection() {
  shared_->closed = true;
  for (gulong id : shared_->signal_ids)
    g_signal_handler_disconnect(webrtc_.get(), id);
  gst_element_set_state(webrtc_.get(), GST_STATE_NULL);
  gst_bin_remove(pipeline_, webrtc_.get());
}

void peer_connection::create(const char* signal, const char* field, sdp_done cb) {
  auto st = shared_;
  std::string key = field;
  auto promise =
    make_promise([st, key, cb = std::move(cb)](const GstStructure* reply, std::string error) {
      sdp_ptr sdp;
      if (reply) {
        GstWebRTCSessionDescription* raw = nullptr;
        gst_structure_get(reply, key.c_str(), GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &raw, nullptr);
        description_ptr desc(raw);
        if (desc)
          sdp = copy_sdp(desc->sdp);
        else if (error.empty())
          error = "webrtcbin returned no " + key;
      }
      // sdp_ptr is move-only; std::function needs a copyable closure.
      auto holder = std::make_shared<sdp_ptr>(std::move(sdp));
      st->deliver(st, [cb, holder, error] { cb(std::move(*holder), error); });
    });
  g_signal_emit_by_name(webrtc_.get(), signal, nullptr, promise.get());
}

void peer_connection::create_offer(sdp_done cb) { create("create-offer", "offer", std::move(cb)); }
void peer_connection::create_answer(sdp_done cb) {
  create("create-answer", "answer", std::move(cb));
}

void peer_connection::set_description(const char* signal, GstWebRTCSDPType type,
                                      const GstSDPMessage& sdp, done cb) {
  auto st = shared_;
  auto promise = make_promise([st, cb = std::move(cb)](const GstStructure*, std::string error) {
    st->deliver(st, [cb, error] { cb(error); });
  });
  description_ptr desc(gst_webrtc_session_description_new(type, copy_sdp(&sdp).release()));
  g_signal_emit_by_name(webrtc_.get(), signal, desc.get(), promise.get());
}

void peer_connection::set_local(GstWebRTCSDPType type, const GstSDPMessage& sdp, done cb) {
  set_description("set-local-description", type, sdp, std::move(cb));
}
void peer_connection::set_remote(GstWebRTCSDPType type, const GstSDPMessage& sdp, done cb) {
  set_description("set-remote-description", type, sdp, std::move(cb));
}

void peer_connection::add_candidate(unsigned mline, const std::string& candidate) {
  g_signal_emit_by_name(webrtc_.get(), "add-ice-candidate", mline, candidate.c_str());
}

}  // namespace vr::media
