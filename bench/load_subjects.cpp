#include "bench/load_subjects.hpp"

#include "bench/janus_peer.hpp"
#include "bench/janus_process.hpp"
#include "media/srtp_library.hpp"
#include "test/protocol_peer/protocol_peer.hpp"
#include "test/sfu/server_process.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

namespace vr::bench {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

test::peer_options load_options(const std::shared_ptr<test::encoded_loop>& loop) {
  test::peer_options o;
  o.loop = loop;
  return o;
}

// ---- videoroom, through protocol.md ----

class videoroom_peer : public load_peer {
public:
  explicit videoroom_peer(std::unique_ptr<test::protocol_peer> p) : p_(std::move(p)) {}
  test::webrtc_peer& media() override { return p_->media(); }
  std::uint64_t video_from(const load_peer& pub) override {
    return p_->packets_from(static_cast<const videoroom_peer&>(pub).p_->peer_id(), "video");
  }

private:
  std::unique_ptr<test::protocol_peer> p_;
};

class videoroom_subject : public subject {
public:
  videoroom_subject(std::shared_ptr<test::encoded_loop> loop, const std::string& bin, int cpu)
      : loop_(std::move(loop)), srv_(bin, VR_ROOT, {}, cpu) {}
  pid_t pid() const override { return srv_.pid(); }
  std::unique_ptr<load_peer> publisher(const std::string& name, int room) override {
    return join(name, room, true);
  }
  std::unique_ptr<load_peer> receiver(const std::string& name, const std::vector<load_peer*>&,
                                      int room) override {
    return join(name, room, false);  // the server offers every publisher's tracks by itself
  }
  void cross_subscribe(const std::vector<load_peer*>&) override {}  // likewise

private:
  std::unique_ptr<load_peer> join(const std::string& name, int room, bool publish) {
    auto p = std::make_unique<test::protocol_peer>(name, load_options(loop_));
    test::join_options o;
    o.publish = publish;
    o.role = publish ? "publisher" : "viewer";
    auto r =
      p->connect_and_join(srv_.port(), room == 0 ? "bench" : "bench" + std::to_string(room), o);
    if (!r.ok)
      throw std::runtime_error("videoroom: " + name + " could not join: " + r.reason);
    // As Janus's publisher is (its API lists a feed only then): a subscriber's
    // join → video must not include the publisher's own connection setup.
    if (publish && !p->wait_for([&] { return p->media().publish_connected(); }, 15s))
      throw std::runtime_error("videoroom: publisher " + name + " did not connect");
    return std::make_unique<videoroom_peer>(std::move(p));
  }
  std::shared_ptr<test::encoded_loop> loop_;
  test::server_process srv_;
};

// ---- Janus VideoRoom ----

class janus_load_peer : public load_peer {
public:
  explicit janus_load_peer(std::unique_ptr<janus_peer> p) : p_(std::move(p)) {}
  test::webrtc_peer& media() override { return p_->media(); }
  std::uint64_t video_from(const load_peer& pub) override {
    return p_->media().packets(std::to_string(static_cast<const janus_load_peer&>(pub).p_->feed()) +
                               ":video");
  }
  janus_peer& peer() { return *p_; }

private:
  std::unique_ptr<janus_peer> p_;
};

class janus_subject : public subject {
public:
  janus_subject(std::shared_ptr<test::encoded_loop> loop, int cpu, const std::string& srtp_library)
      : loop_(std::move(loop)), proc_(VR_ROOT "/bench/janus", cpu, srtp_library) {}
  pid_t pid() const override { return proc_.pid(); }
  std::unique_ptr<load_peer> publisher(const std::string& name, int room) override {
    auto p = make(name, room);
    p->peer().publish();
    return p;
  }
  std::unique_ptr<load_peer> receiver(const std::string& name, const std::vector<load_peer*>& pubs,
                                      int room) override {
    auto p = make(name, room);
    p->peer().subscribe(feeds(pubs, nullptr));
    return p;
  }
  void cross_subscribe(const std::vector<load_peer*>& pubs) override {
    for (auto* p : pubs)
      static_cast<janus_load_peer*>(p)->peer().subscribe(feeds(pubs, p));
  }

private:
  // bench/janus/janus.plugin.videoroom.jcfg has room 1234; more are created when first used.
  static constexpr std::uint64_t first_room = 1234;

  std::unique_ptr<janus_load_peer> make(const std::string& name, int room) {
    auto id = first_room + static_cast<std::uint64_t>(room);
    auto p = std::make_unique<janus_load_peer>(
      std::make_unique<janus_peer>(name, load_options(loop_), janus_process::ws_port, id));
    if (room != 0 && created_.insert(id).second)
      p->peer().create_room();
    return p;
  }
  static std::vector<std::uint64_t> feeds(const std::vector<load_peer*>& pubs, load_peer* except) {
    std::vector<std::uint64_t> out;
    for (auto* p : pubs)
      if (p != except)
        out.push_back(static_cast<janus_load_peer*>(p)->peer().feed());
    return out;
  }
  std::shared_ptr<test::encoded_loop> loop_;
  janus_process proc_;
  std::set<std::uint64_t> created_;
};

}  // namespace

std::unique_ptr<subject> make_subject(const std::string& spec,
                                      const std::shared_ptr<test::encoded_loop>& loop, int cpu) {
  if (spec == "janus")
    return std::make_unique<janus_subject>(loop, cpu, "");
  if (spec == "janus-openssl-srtp") {
    auto lib = media::bundled_srtp_library();
    if (lib.empty())
      throw std::runtime_error(
        "janus-openssl-srtp: built with VR_SRTP_OPENSSL=OFF, there is no OpenSSL libsrtp2");
    return std::make_unique<janus_subject>(loop, cpu, lib);
  }
  if (spec == "videoroom")
    return std::make_unique<videoroom_subject>(loop, VR_SERVER_BIN, cpu);
  if (spec.starts_with("videoroom="))
    return std::make_unique<videoroom_subject>(loop, spec.substr(10), cpu);
  throw std::runtime_error("unknown server " + spec);
}

totals count(const std::vector<std::unique_ptr<load_peer>>& receivers) {
  totals t;
  for (auto& r : receivers)
    for (auto& [id, track] : r->media().received()) {
      t.packets += track.packets;
      t.expected += track.expected;
    }
  return t;
}

bool gets_video(load_peer& to, const std::vector<load_peer*>& from) {
  auto end = clock_type::now() + 15s;
  while (clock_type::now() < end) {
    if (std::all_of(from.begin(), from.end(), [&](load_peer* p) { return to.video_from(*p) > 0; }))
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace vr::bench
