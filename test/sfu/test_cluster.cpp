#include "test/sfu/test_cluster.hpp"

#include "actors/rendezvous.hpp"

#include <algorithm>
#include <csignal>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vr::test {

namespace {

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

}  // namespace

test_cluster::test_cluster(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    i == 0 ? start({}) : add(0);
}

std::size_t test_cluster::add(std::size_t seed, std::uint16_t port) {
  return start({nodes_.at(seed).name}, port);
}

std::size_t test_cluster::start(const std::vector<std::string>& seeds, std::uint16_t port) {
  if (port == 0)
    port = free_port();
  std::string list = "[";
  for (auto& s : seeds)
    list += (list.size() > 1 ? ",\"" : "\"") + s + "\"";
  list += "]";
  node n;
  n.name = "127.0.0.1:" + std::to_string(port);
  n.proc = std::make_unique<server_process>(
    VR_SERVER_BIN, VR_ROOT,
    std::vector<std::string>{"--cluster.node-port=" + std::to_string(port),
                             "--cluster.seeds=" + list,
                             "--cluster.heartbeat-interval=" + ms(heartbeat),
                             "--cluster.connection-timeout=" + ms(connection_timeout),
                             "--http.public-url=http://127.0.0.1:{http_port}"});
  nodes_.push_back(std::move(n));
  return nodes_.size() - 1;
}

std::vector<std::size_t> test_cluster::live() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (!nodes_[i].killed)
      out.push_back(i);
  return out;
}

namespace {

std::size_t count_in(const std::string& healthz) {
  std::istringstream in{healthz};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("cluster nodes ", 0) == 0)
      return std::stoul(line.substr(14));
  return 0;
}

}  // namespace

std::size_t test_cluster::seen_by(std::size_t i) const {
  return count_in(nodes_.at(i).proc->request("/healthz", false, 1s).body);
}

bool test_cluster::converged(const std::vector<std::size_t>& which,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    bool all = true;
    for (auto i : which) {
      auto body = nodes_.at(i).proc->request("/healthz", false, 1s).body;
      all = all && count_in(body) == which.size();
      for (auto j : which)
        all = all && (i == j || body.find("member " + nodes_[j].name + "\n") != std::string::npos);
    }
    if (all)
      return true;
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

std::size_t test_cluster::owner(const std::string& room,
                                const std::vector<std::size_t>& among) const {
  std::vector<std::string> names;
  for (auto i : among)
    names.push_back(nodes_.at(i).name);
  auto name = rendezvous_owner(room, names);
  for (auto i : among)
    if (nodes_[i].name == name)
      return i;
  throw std::logic_error("no owner");
}

std::string test_cluster::room_on(std::size_t on, const std::vector<std::size_t>& among,
                                  const std::string& prefix) const {
  if (std::find(among.begin(), among.end(), on) == among.end())
    throw std::logic_error("room_on: the node is not among the nodes");
  for (int k = 0;; ++k) {
    auto room = prefix + "-" + std::to_string(k);
    if (owner(room, among) == on)
      return room;
  }
}

void test_cluster::kill(std::size_t i) {
  auto& n = nodes_.at(i);
  n.proc->signal(SIGKILL);
  n.proc->stop();  // reaps it
  n.killed = true;
}

}  // namespace vr::test
