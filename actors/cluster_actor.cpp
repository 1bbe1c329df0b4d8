#include "actors/cluster_actor.hpp"

#include "actors/messages.hpp"
#include "signaling/metrics.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <charconv>
#include <iostream>
#include <map>
#include <set>

namespace vr {

namespace {

struct cluster_state {
  // Not an aggregate: CAF would otherwise build it from the actor pointer.
  cluster_state() = default;
  struct member {
    cluster_api cluster;
    registry_api registry;
  };
  cluster_options opts;
  registry_api registry;
  settings_ptr settings;
  std::map<std::string, member> members;       // live other nodes by name
  std::set<std::string> known;                 // every address heard of (seeds, gossip)
  std::set<std::string> dialing;               // addresses with a dial in flight
  std::map<std::string, std::string> failing;  // address → why the last dial failed
  std::map<std::string, std::string> aliases;  // dialed address → the name it answered with
  static inline const char* name = "cluster_actor";
};

using self_ptr = cluster_api::stateful_pointer<cluster_state>;

// One line at a time: membership changes are rare and worth an operator's eye.
void log(const std::string& line) { std::cerr << "videoroom: cluster: " << line << std::endl; }

std::string node_count(const cluster_state& st) {
  return std::to_string(st.members.size() + 1) + " node(s)";
}

// Metrics and the /healthz lines: this node, its members, what it cannot reach.
void publish_view(self_ptr self) {
  auto& st = self->state;
  auto& m = *st.settings->metrics;
  m.set("vr_cluster_nodes", static_cast<double>(st.members.size() + 1));
  m.set("vr_cluster_unreachable", static_cast<double>(st.failing.size()));
  std::string text = "cluster node " + st.opts.name + "\ncluster nodes " +
                     std::to_string(st.members.size() + 1) + "\n";
  for (auto& [name, member] : st.members)
    text += "member " + name + "\n";
  for (auto& [addr, why] : st.failing)
    text += "unreachable " + addr + " (" + why + ")\n";
  if (st.opts.publish_view)
    st.opts.publish_view(std::move(text));
}

void lose(self_ptr self, const std::string& name, const std::string& why) {
  auto& st = self->state;
  auto it = st.members.find(name);
  if (it == st.members.end())
    return;
  self->demonitor(it->second.cluster.address());
  st.members.erase(it);
  self->send(st.registry, node_down{name});
  st.settings->metrics->add("vr_cluster_lost_nodes_total", 1);
  log("lost node " + name + " (" + why + "); " + node_count(st));
  publish_view(self);
}

void add_member(self_ptr self, const std::string& name, const cluster_api& cluster,
                const registry_api& registry) {
  auto& st = self->state;
  if (name == st.opts.name || !cluster)
    return;
  if (auto it = st.members.find(name); it != st.members.end()) {
    if (it->second.cluster == cluster)
      return;
    lose(self, name, "it restarted");
  }
  self->monitor(cluster);
  st.members.emplace(name, cluster_state::member{cluster, registry});
  st.known.insert(name);
  self->send(st.registry, node_up{name, registry});
  log("node " + name + " joined; " + node_count(st));
  publish_view(self);
}

bool is_seed(const cluster_state& st, const std::string& addr) {
  return std::find(st.opts.seeds.begin(), st.opts.seeds.end(), addr) != st.opts.seeds.end();
}

void dial_failed(self_ptr self, const std::string& addr, const std::string& why) {
  auto& st = self->state;
  st.dialing.erase(addr);
  if (!is_seed(st, addr)) {
    // Heard of through another node: it dials us if it comes back.
    st.known.erase(addr);
    return;
  }
  auto& last = st.failing[addr];
  if (last != why) {
    log("cannot reach seed " + addr + " (" + why + "); serving local rooms, retrying");
    last = why;
    publish_view(self);
  }
}

void dial_reached(self_ptr self, const std::string& addr) {
  auto& st = self->state;
  st.dialing.erase(addr);
  if (st.failing.erase(addr) != 0) {
    log("reached seed " + addr);
    publish_view(self);
  }
}

std::vector<std::string> member_names(const cluster_state& st) {
  std::vector<std::string> names;
  for (auto& [name, member] : st.members)
    names.push_back(name);
  return names;
}

// Connects through the middleman (its actor does the blocking connect, not
// us) and greets the actor published there; both steps are bounded.
void dial(self_ptr self, const std::string& addr) {
  auto& st = self->state;
  auto ep = parse_endpoint(addr);
  if (!ep) {
    dial_failed(self, addr, "not host:port");
    return;
  }
  st.dialing.insert(addr);
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, st.opts.timeout, caf::connect_atom::value, ep->first, ep->second)
    .then(
      [self, addr](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        auto remote = caf::actor_cast<cluster_api>(ptr);
        if (!remote) {
          dial_failed(self, addr, "nothing published there");
          return;
        }
        auto& st = self->state;
        self->request(remote, st.opts.timeout, hello{st.opts.name, st.registry})
          .then(
            [self, addr, remote](hello_reply& r) {
              dial_reached(self, addr);
              self->state.aliases[addr] = r.name;
              add_member(self, r.name, remote, r.registry);
              for (auto& other : r.members)  // dialed on the next tick
                self->state.known.insert(other);
            },
            [self, addr](caf::error& err) { dial_failed(self, addr, self->system().render(err)); });
      },
      [self, addr](caf::error& err) { dial_failed(self, addr, self->system().render(err)); });
}

cluster_api::behavior_type cluster_actor(self_ptr self, cluster_options opts, registry_api registry,
                                         settings_ptr settings) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.registry = std::move(registry);
  st.settings = std::move(settings);
  for (auto& seed : st.opts.seeds)
    if (seed != st.opts.name)
      st.known.insert(seed);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [name, member] : self->state.members)
      if (member.cluster.address() == dm.source) {
        auto gone = name;  // lose() erases the entry `name` refers to
        lose(self, gone, self->system().render(dm.reason));
        return;
      }
  });
  publish_view(self);
  self->send(self, cluster_tick{});
  return {
    [self](const hello& m) {
      auto& st = self->state;
      auto names = member_names(st);
      add_member(self, m.name, caf::actor_cast<cluster_api>(self->current_sender()), m.registry);
      return hello_reply{st.opts.name, st.registry, std::move(names)};
    },
    [self](cluster_tick&) {
      auto& st = self->state;
      auto present = [&st](const std::string& addr) {
        auto alias = st.aliases.find(addr);
        return addr == st.opts.name || st.members.count(addr) != 0 || st.dialing.count(addr) != 0 ||
               (alias != st.aliases.end() && st.members.count(alias->second) != 0);
      };
      for (auto& addr : std::vector<std::string>{st.known.begin(), st.known.end()})
        if (!present(addr))
          dial(self, addr);
      self->delayed_send(self, st.opts.retry, cluster_tick{});
    },
  };
}

}  // namespace

cluster_api spawn_cluster(caf::actor_system& sys, cluster_options opts, registry_api registry,
                          settings_ptr settings) {
  return sys.spawn(cluster_actor, std::move(opts), std::move(registry), std::move(settings));
}

std::optional<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return std::nullopt;
  unsigned port = 0;
  auto* first = s.data() + colon + 1;
  auto* last = s.data() + s.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port == 0 || port > 65535)
    return std::nullopt;
  return std::pair{s.substr(0, colon), static_cast<std::uint16_t>(port)};
}

}  // namespace vr
