// One per node in a cluster: the membership view. It is the actor published on
// cluster.node-port. It dials the seeds and every node it hears of through
// CAF's middleman (BASP over TCP) and greets each with `hello`, so one seed is
// enough to meet the whole cluster (a full mesh). Each member is monitored: the
// middleman's heartbeats and connection timeout turn a dead or frozen node into
// a down message, and the registry hears node_up/node_down.
//
// A seed that cannot be reached is logged (once per change) and retried; the
// node keeps serving its own rooms meanwhile.
#pragma once

#include "actors/settings.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vr {

struct cluster_options {
  std::string name;                  // this node: "host:port"
  std::vector<std::string> seeds;    // "host:port" each
  caf::timespan timeout = std::chrono::seconds(5);  // for a dial and its hello
  caf::timespan retry = std::chrono::seconds(1);    // between dials of absent nodes
  // Gets the view as text lines for /healthz (called from the actor; thread-safe).
  std::function<void(std::string)> publish_view;
};

struct cluster_state {
  struct member {
    caf::actor cluster;
    caf::actor registry;
  };
  cluster_options opts;
  caf::actor registry;
  settings_ptr settings;
  std::map<std::string, member> members;       // live other nodes by name
  std::set<std::string> known;                 // every address heard of (seeds, gossip)
  std::set<std::string> dialing;               // addresses with a dial in flight
  std::map<std::string, std::string> failing;  // address → why the last dial failed
  std::map<std::string, std::string> aliases;  // dialed address → the name it answered with
  static inline const char* name = "cluster_actor";
};

caf::behavior cluster_actor(caf::stateful_actor<cluster_state>* self, cluster_options opts,
                            caf::actor registry, settings_ptr settings);

// "host:port" → (host, port); nullopt when it is not one.
std::optional<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& s);

}  // namespace vr
