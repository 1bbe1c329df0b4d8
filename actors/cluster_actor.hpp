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

#include "actors/registry_actor.hpp"
#include "actors/settings.hpp"

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vr {

struct cluster_options {
  std::string name;                                 // this node: "host:port"
  std::vector<std::string> seeds;                   // "host:port" each
  caf::timespan timeout = std::chrono::seconds(5);  // for a dial and its hello
  caf::timespan retry = std::chrono::seconds(1);    // between dials of absent nodes
  // Gets the view as text lines for /healthz (called from the actor; thread-safe).
  std::function<void(std::string)> publish_view;
};

struct hello;
struct hello_reply;
struct cluster_tick;

using cluster_api = caf::typed_actor<
  // cluster of another node → cluster: (its name, its registry) → (ours, and
  // the members we know, so one seed is enough to meet the whole cluster).
  caf::replies_to<hello>::with<hello_reply>,
  // cluster → itself: dial the nodes that are known but absent.
  caf::reacts_to<cluster_tick>>;

cluster_api spawn_cluster(caf::actor_system& sys, cluster_options opts, registry_api registry,
                          settings_ptr settings);

// "host:port" → (host, port); nullopt when it is not one.
std::optional<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& s);

}  // namespace vr
