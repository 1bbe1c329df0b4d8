// One media::session and N test peers wired to it by direct calls: the
// session's events call the peers and the peers' signaling calls the session,
// the way engine_actor and the browsers will.
#pragma once

#include "media/session.hpp"
#include "test/peer/webrtc_peer.hpp"

#include <dirent.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vr::test {

using namespace std::chrono_literals;

// Polls `pred` until it holds or `timeout` passes; every wait in the tests is
// bounded so a broken path fails fast instead of hanging.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

inline std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.')
        n++;
    closedir(d);
  }
  return n;
}

// name → count of this process's threads, for leak reports.
inline std::map<std::string, int> thread_names() {
  std::map<std::string, int> names;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.')
        continue;
      std::string path = std::string("/proc/self/task/") + e->d_name + "/comm";
      if (FILE* f = std::fopen(path.c_str(), "r")) {
        char buf[64] = {};
        if (std::fgets(buf, sizeof buf, f)) {
          std::string n(buf);
          while (!n.empty() && n.back() == '\n')
            n.pop_back();
          names[n]++;
        }
        std::fclose(f);
      }
    }
    closedir(d);
  }
  return names;
}

inline std::string thread_diff(const std::map<std::string, int>& before,
                               const std::map<std::string, int>& after) {
  std::string out;
  for (auto& [n, c] : after) {
    auto it = before.find(n);
    int b = it == before.end() ? 0 : it->second;
    if (c != b)
      out += " " + n + ":" + std::to_string(b) + "->" + std::to_string(c);
  }
  for (auto& [n, c] : before)
    if (!after.count(n))
      out += " " + n + ":" + std::to_string(c) + "->0";
  return out;
}

inline media::session_config loopback_config() {
  media::session_config cfg;
  cfg.ice.local_addresses = {"127.0.0.1"};
  return cfg;
}

class room {
public:
  explicit room(media::session_config cfg = loopback_config())
      : session_(std::make_unique<media::session>(std::move(cfg), events())) {}

  ~room() {
    // Peers first: after their teardown they call nothing; then the session,
    // after whose destructor no event runs.
    std::map<std::string, std::shared_ptr<webrtc_peer>> peers;
    {
      std::lock_guard lock(mutex_);
      peers.swap(peers_);
    }
    peers.clear();  // outside the lock: teardown waits for the media thread
    auto start = std::chrono::steady_clock::now();
    auto count = session_->get_stats().peers;
    session_.reset();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
    std::fprintf(stderr, "[media test] ~session with %zu peers took %lld ms\n", count,
                 static_cast<long long>(ms.count()));
  }

  media::session& session() { return *session_; }

  // Adds a peer to the session and, if `publish`, starts its publish connection.
  std::shared_ptr<webrtc_peer> join(const std::string& id, bool publish, peer_options opts = {}) {
    webrtc_peer::signaling sig;
    sig.publish_offer = [this, id](std::string sdp) {
      dump("publish offer from " + id, sdp);
      session_->publish_offer(id, std::move(sdp));
    };
    sig.subscribe_answer = [this, id](std::string sdp) {
      dump("subscribe answer from " + id, sdp);
      session_->subscribe_answer(id, std::move(sdp));
    };
    sig.candidate = [this, id](media::pc_kind k, std::string c, unsigned m) {
      session_->add_candidate(id, k, std::move(c), m);
    };
    sig.error = [this](std::string what) { record_error("peer", what); };
    auto p = std::make_shared<webrtc_peer>(id, std::move(opts), std::move(sig));
    {
      std::lock_guard lock(mutex_);
      peers_[id] = p;
    }
    session_->add_peer(id);
    if (publish)
      p->publish();
    return p;
  }

  void leave(const std::string& id) {
    {
      std::lock_guard lock(mutex_);
      left_.insert(id);
    }
    session_->remove_peer(id);
    std::shared_ptr<webrtc_peer> p;
    {
      std::lock_guard lock(mutex_);
      p = std::move(peers_[id]);
      peers_.erase(id);
    }
    p.reset();  // tears the peer's pipeline down
  }

  // Track ids announced for a publisher (tracks_added minus tracks_removed).
  std::vector<media::track> tracks_of(const std::string& publisher) {
    std::lock_guard lock(mutex_);
    return tracks_[publisher];
  }
  std::string track_of(const std::string& publisher, const std::string& kind) {
    for (auto& t : tracks_of(publisher))
      if (t.kind == kind)
        return t.id;
    return "";
  }
  std::vector<std::string> removed_of(const std::string& publisher) {
    std::lock_guard lock(mutex_);
    return removed_[publisher];
  }
  std::vector<std::string> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  std::string last_publish_answer(const std::string& id) {
    std::lock_guard lock(mutex_);
    return publish_answers_[id];
  }
  // ICE candidates the session sent to a peer.
  std::vector<std::string> server_candidates(const std::string& id) {
    std::lock_guard lock(mutex_);
    return server_candidates_[id];
  }
  // The latest LL-HLS snapshot of a recorded publisher (null before the first part).
  std::shared_ptr<const media::hls::snapshot> hls(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = hls_.find(id);
    return it == hls_.end() ? nullptr : it->second;
  }
  struct voice_event {
    std::string peer, track_id;
    bool speech = false;
  };
  // voice_activity events, in order.
  std::vector<voice_event> voice_events() {
    std::lock_guard lock(mutex_);
    return voice_;
  }
  // Where the session's relay_streams events go (the remote node's session).
  using relay_handler = std::function<void(std::string node, std::vector<media::relay_stream>)>;
  void on_relay_streams(relay_handler h) {
    std::lock_guard lock(mutex_);
    relay_handler_ = std::move(h);
  }
  std::string last_subscribe_offer(const std::string& id) {
    std::lock_guard lock(mutex_);
    return subscribe_offers_[id];
  }

private:
  std::shared_ptr<webrtc_peer> peer(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(id);
    return it == peers_.end() ? nullptr : it->second;
  }

  // VR_MEDIA_TEST_SDP=1 prints every SDP exchanged.
  static void dump(const std::string& what, const std::string& sdp) {
    static const bool on = std::getenv("VR_MEDIA_TEST_SDP") != nullptr;
    if (on)
      std::fprintf(stderr, "----- %s\n%s\n", what.c_str(), sdp.c_str());
  }

  void record_error(const std::string& who, const std::string& what) {
    std::fprintf(stderr, "[media test] error from %s: %s\n", who.c_str(), what.c_str());
    std::lock_guard lock(mutex_);
    errors_.push_back(who + ": " + what);
  }

  media::session_events events() {
    media::session_events ev;
    ev.publish_answer = [this](std::string id, std::string sdp,
                               std::map<std::string, std::string>) {
      dump("publish answer to " + id, sdp);
      {
        std::lock_guard lock(mutex_);
        publish_answers_[id] = sdp;
      }
      if (auto p = peer(id))
        p->on_publish_answer(std::move(sdp));
    };
    ev.subscribe_offer = [this](std::string id, std::string sdp,
                                std::map<std::string, std::string> mids) {
      dump("subscribe offer to " + id, sdp);
      {
        std::lock_guard lock(mutex_);
        subscribe_offers_[id] = sdp;
      }
      if (auto p = peer(id))
        p->on_subscribe_offer(std::move(sdp), std::move(mids));
    };
    ev.candidate = [this](std::string id, media::pc_kind k, std::string c, unsigned m) {
      {
        std::lock_guard lock(mutex_);
        server_candidates_[id].push_back(c);
      }
      if (auto p = peer(id))
        p->on_candidate(k, std::move(c), m);
    };
    ev.tracks_added = [this](std::string id, std::vector<media::track> tracks) {
      std::lock_guard lock(mutex_);
      for (auto& t : tracks)
        tracks_[id].push_back(t);
    };
    ev.tracks_removed = [this](std::string id, std::vector<std::string> ids) {
      std::vector<std::shared_ptr<webrtc_peer>> others;
      {
        std::lock_guard lock(mutex_);
        for (auto& tid : ids) {
          removed_[id].push_back(tid);
          std::erase_if(tracks_[id], [&](auto& t) { return t.id == tid; });
        }
        // Only for a publisher that left: a track that may come back on the
        // same SSRC must stay known to the test peer's rtpbin (it cannot
        // re-create the stream's pad).
        if (left_.count(id))
          for (auto& [pid, p] : peers_)
            if (pid != id)
              others.push_back(p);
      }
      for (auto& p : others)
        p->forget_tracks(ids);
    };
    ev.voice_activity = [this](std::string id, std::string track_id, bool speech) {
      std::lock_guard lock(mutex_);
      voice_.push_back({std::move(id), std::move(track_id), speech});
    };
    ev.relay_streams = [this](std::string node, std::vector<media::relay_stream> streams) {
      relay_handler h;
      {
        std::lock_guard lock(mutex_);
        h = relay_handler_;
      }
      if (h)
        h(std::move(node), std::move(streams));
    };
    ev.error = [this](std::string id, std::string reason, std::string message) {
      record_error("session/" + id, reason + ": " + message);
    };
    ev.hls_update = [this](std::string id, std::shared_ptr<const media::hls::snapshot> snap) {
      std::lock_guard lock(mutex_);
      hls_[id] = std::move(snap);
      hls_updates_[id]++;
    };
    return ev;
  }

  std::unique_ptr<media::session> session_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<webrtc_peer>> peers_;
  std::map<std::string, std::vector<media::track>> tracks_;
  std::map<std::string, std::vector<std::string>> removed_;
  std::map<std::string, std::string> publish_answers_, subscribe_offers_;
  std::map<std::string, std::vector<std::string>> server_candidates_;
  std::vector<std::string> errors_;
  std::vector<voice_event> voice_;
  std::set<std::string> left_;
  std::map<std::string, std::shared_ptr<const media::hls::snapshot>> hls_;
  std::map<std::string, std::size_t> hls_updates_;
  relay_handler relay_handler_;
};

}  // namespace vr::test
