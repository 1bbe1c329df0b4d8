// Room placement by rendezvous hashing: every node computes the same owner,
// rooms spread evenly, and membership changes move only the rooms they must.
#include "actors/rendezvous.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using vr::rendezvous_owner;

namespace {

std::string room(int i) { return "room-" + std::to_string(i); }

}  // namespace

TEST_CASE("the owner is one of the nodes, whatever their order", "[rendezvous]") {
  std::vector<std::string> nodes{"10.0.0.1:4370", "10.0.0.2:4370", "10.0.0.3:4370"};
  auto reversed = nodes;
  std::reverse(reversed.begin(), reversed.end());
  for (int i = 0; i < 200; ++i) {
    auto owner = rendezvous_owner(room(i), nodes);
    CHECK(std::find(nodes.begin(), nodes.end(), owner) != nodes.end());
    CHECK(rendezvous_owner(room(i), reversed) == owner);
  }
  CHECK(rendezvous_owner("r", {}).empty());
  CHECK(rendezvous_owner("r", {"only:1"}) == "only:1");
}

TEST_CASE("rooms spread evenly over the nodes", "[rendezvous]") {
  std::vector<std::string> nodes{"127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"};
  std::map<std::string, int> load;
  for (int i = 0; i < 3000; ++i)
    ++load[rendezvous_owner(room(i), nodes)];
  for (auto& n : nodes) {
    INFO(n);
    CHECK(load[n] > 850);
    CHECK(load[n] < 1150);
  }
}

TEST_CASE("a node that joins takes only rooms it wins - a node that leaves gives up only its own",
          "[rendezvous]") {
  std::vector<std::string> three{"127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"};
  auto four = three;
  four.push_back("127.0.0.1:5004");
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    auto before = rendezvous_owner(room(i), three);
    auto after = rendezvous_owner(room(i), four);
    if (after != before) {
      CHECK(after == four[3]);
      ++moved;
    }
  }
  CHECK(moved > 350);  // about a quarter
  CHECK(moved < 650);
  std::vector<std::string> two{three[0], three[2]};
  for (int i = 0; i < 2000; ++i) {
    auto before = rendezvous_owner(room(i), three);
    if (before != three[1])
      CHECK(rendezvous_owner(room(i), two) == before);
  }
}

TEST_CASE("weights are stable and keep node and room apart", "[rendezvous]") {
  CHECK(vr::rendezvous_weight("ab", "c") != vr::rendezvous_weight("a", "bc"));
  CHECK(vr::rendezvous_weight("n", "r") == vr::rendezvous_weight("n", "r"));
}
