// Many join/leave cycles against one server: nothing may pile up.
#include "test/sfu/sfu_helpers.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <thread>

using namespace vr::test;

TEST_CASE("soak: 50 join/leave cycles leave threads, fds and gauges as they were", "[sfu][soak]") {
  test_server srv;
  auto& proc = srv.proc();
  auto a = join_publisher(srv, "soak", "a");
  auto b = join_publisher(srv, "soak", "b");
  REQUIRE(receives(*a, b->peer_id()));
  REQUIRE(receives(*b, a->peer_id()));
  // One cycle before the baseline, so what is created once and then kept
  // (GStreamer's and CAF's thread pools, the subscribers' reusable m-lines)
  // exists already: after it, every count must come back exactly, no slack.
  {
    auto warm = join_publisher(srv, "soak", "warm");
    REQUIRE(receives(*warm, a->peer_id()));
    REQUIRE(warm->leave());
  }
  std::this_thread::sleep_for(1500ms);  // engines report every second
  auto threads = proc.threads(), fds = proc.fds();
  const std::vector<std::string> gauges{R"(vr_peers{type="group",role="publisher"})",
                                        "vr_channels",
                                        "vr_sockets",
                                        "vr_tracks",
                                        R"(vr_rooms{type="group"})",
                                        "vr_media_elements"};
  std::map<std::string, double> start;
  for (auto& g : gauges)
    start[g] = srv.metric(g);
  CHECK(start[R"(vr_peers{type="group",role="publisher"})"] == 2);
  CHECK(start["vr_tracks"] == 4);
  CHECK(start["vr_media_elements"] > 0);

  for (int i = 0; i < 50; ++i) {
    INFO("cycle " << i);
    auto c = join_publisher(srv, "soak", "c" + std::to_string(i));
    REQUIRE(a->wait_event("tracksAdded", c->peer_id(), 10s));
    if (i % 10 == 0) {  // now and then prove media flows both ways (> 1 s of video)
      CHECK(receives(*c, a->peer_id(), 10s, 20));
      CHECK(receives(*a, c->peer_id(), 10s, 20));
    }
    if (i % 2 == 0)
      CHECK(c->leave());  // then the socket drops with the peer
    else
      c->close_abruptly();
  }
  REQUIRE(proc.get("/healthz") == "ok\n");

  // Teardown is asynchronous (detached engines, GStreamer threads, gauges
  // reported every second): wait, bounded, until everything is back.
  auto back = [&] {
    if (proc.threads() > threads || proc.fds() > fds)
      return false;
    for (auto& g : gauges)
      if (srv.metric(g) != start[g])
        return false;
    return true;
  };
  bool settled = a->wait_for(back, 20s);
  std::ostringstream report;
  report << "threads " << threads << " -> " << proc.threads() << ", fds " << fds << " -> "
         << proc.fds();
  for (auto& g : gauges)
    report << ", " << g << " " << start[g] << " -> " << srv.metric(g);
  INFO(report.str());
  CHECK(settled);
  CHECK(keeps_receiving(*a, b->peer_id()));  // the room still works
  CHECK(keeps_receiving(*b, a->peer_id()));
  CHECK(a->errors().empty());
  CHECK(b->errors().empty());
}
