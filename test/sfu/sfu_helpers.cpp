#include "test/sfu/sfu_helpers.hpp"

#include <catch2/catch.hpp>

#include <exception>
#include <thread>

namespace vr::test {

test_server::test_server(std::vector<std::string> extra)
    : proc_{VR_SERVER_BIN, VR_ROOT, std::move(extra)} {}

test_server::~test_server() {
  bool was_alive = proc_.alive();
  int status = proc_.stop();
  // During unwinding (a REQUIRE failed) the first failure says enough.
  if (std::uncaught_exceptions() > 0)
    return;
  CHECK(was_alive);
  CHECK(status == 0);
}

std::unique_ptr<protocol_peer> join_publisher(test_server& srv, const std::string& room,
                                              const std::string& name, join_options o) {
  o.publish = true;
  auto p = std::make_unique<protocol_peer>(name);
  auto r = p->connect_and_join(srv.port(), room, std::move(o));
  INFO(name << " joining " << room << ": " << r.reason);
  REQUIRE(r.ok);
  REQUIRE(r.role == "publisher");
  return p;
}

std::unique_ptr<protocol_peer> join_subscriber(test_server& srv, const std::string& room,
                                               const std::string& name, const std::string& role) {
  auto p = std::make_unique<protocol_peer>(name);
  join_options o;
  o.role = role;
  auto r = p->connect_and_join(srv.port(), room, std::move(o));
  INFO(name << " joining " << room << ": " << r.reason);
  REQUIRE(r.ok);
  return p;
}

bool receives(protocol_peer& to, const std::string& from, std::chrono::milliseconds timeout,
              std::uint64_t threshold) {
  bool ok = to.wait_for(
    [&] {
      return to.packets_from(from, "video") > threshold &&
             to.packets_from(from, "audio") > threshold;
    },
    timeout);
  UNSCOPED_INFO(to.peer_id() << " from " << from << ": video " << to.packets_from(from, "video")
                             << ", audio " << to.packets_from(from, "audio")
                             << "; sees it: " << to.peers().count(from)
                             << ", tracks announced: " << to.tracks_of(from).size()
                             << ", subscribe offers: " << to.media().offers_received()
                             << ", publish/subscribe connected: " << to.media().publish_connected()
                             << '/' << to.media().subscribe_connected());
  return ok;
}

bool receives_audio(protocol_peer& to, const std::string& from, std::chrono::milliseconds timeout) {
  return to.wait_for([&] { return to.packets_from(from, "audio") > 50; }, timeout);
}

bool keeps_receiving(protocol_peer& to, const std::string& from, std::uint64_t n) {
  auto base = to.packets_from(from);
  return to.wait_for([&] { return to.packets_from(from) > base + n; }, 10s);
}

bool stopped(const std::vector<flow>& flows, std::chrono::steady_clock::time_point since,
             std::chrono::milliseconds settle) {
  std::this_thread::sleep_until(since + settle);
  std::vector<std::uint64_t> before;
  for (auto& f : flows)
    before.push_back(f.to->packets_from(f.from));
  std::this_thread::sleep_for(1s);
  bool all = true;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    auto after = flows[i].to->packets_from(flows[i].from);
    if (after != before[i]) {
      UNSCOPED_INFO(flows[i].to->peer_id()
                    << " still receives from " << flows[i].from << ": " << before[i] << " -> "
                    << after << " packets in a second");
      all = false;
    }
  }
  return all;
}

bool only_from(const protocol_peer& to, const std::vector<const protocol_peer*>& from) {
  for (auto& [track, t] : to.received()) {
    bool known = false;
    for (auto* p : from)
      known = known || to.tracks_of(p->peer_id()).count(track) > 0;
    if (!known) {
      UNSCOPED_INFO(to.peer_id() << " receives track " << track << " (" << t.kind << ", "
                                 << t.packets << " packets) of no expected peer");
      return false;
    }
  }
  return true;
}

}  // namespace vr::test
