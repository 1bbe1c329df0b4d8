// Node-wide counters and gauges, rendered in Prometheus text format for /metrics.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vr::signaling {

class metrics {
public:
  using labels = std::vector<std::pair<std::string, std::string>>;

  // Declares a family once (type is "counter" or "gauge"); undeclared names
  // render as untyped.
  void describe(std::string_view name, std::string_view type, std::string_view help);

  void add(std::string_view name, double delta, const labels& l = {});
  void set(std::string_view name, double value, const labels& l = {});
  double get(std::string_view name, const labels& l = {}) const;

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string render() const;

private:
  struct family {
    std::string type, help;
    std::map<labels, double> series;
  };
  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_;
};

}  // namespace vr::signaling
