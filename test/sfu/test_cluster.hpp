// Several videoroom processes joined into one cluster on loopback, for the
// cluster tests and benchmark. Short heartbeats so lost nodes are seen fast.
#pragma once

#include "test/sfu/server_process.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace vr::test {

using namespace std::chrono_literals;

class test_cluster {
public:
  static constexpr auto heartbeat = 200ms;
  static constexpr auto connection_timeout = 1000ms;

  // Starts `n` nodes: the first alone, the others with it as their seed.
  explicit test_cluster(std::size_t n);
  // Starts one more node seeded by node `seed` on cluster port `port` (0: a
  // free one); returns its index.
  std::size_t add(std::size_t seed = 0, std::uint16_t port = 0);

  std::size_t size() const { return nodes_.size(); }
  server_process& proc(std::size_t i) { return *nodes_.at(i).proc; }
  std::uint16_t http_port(std::size_t i) const { return nodes_.at(i).proc->port(); }
  const std::string& name(std::size_t i) const { return nodes_.at(i).name; }
  // Nodes not killed (frozen ones count).
  std::vector<std::size_t> live() const;
  // Whether every node in `which` sees exactly the nodes in `which`, within `timeout`.
  bool converged(const std::vector<std::size_t>& which, std::chrono::milliseconds timeout = 10s);
  // How many nodes node `i`'s /healthz counts (itself included); 0 when it does not answer.
  std::size_t seen_by(std::size_t i) const;
  // The node the rendezvous hash names for `room` among `among`.
  std::size_t owner(const std::string& room, const std::vector<std::size_t>& among) const;
  // A room id that `among` place on node `on` (the first of room-0, room-1, ...).
  std::string room_on(std::size_t on, const std::vector<std::size_t>& among,
                      const std::string& prefix = "room") const;
  // Open group rooms on node i, from its /metrics.
  double rooms_on(std::size_t i) const {
    return nodes_.at(i).proc->metric(R"(vr_rooms{type="group"})");
  }
  // SIGKILL and reap: the node is gone, as after a crash.
  void kill(std::size_t i);

private:
  struct node {
    std::string name;
    std::unique_ptr<server_process> proc;
    bool killed = false;
  };
  std::size_t start(const std::vector<std::string>& seeds, std::uint16_t port = 0);
  std::vector<node> nodes_;
};

}  // namespace vr::test
