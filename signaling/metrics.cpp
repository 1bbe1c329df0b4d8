#include "signaling/metrics.hpp"

#include <cmath>
#include <sstream>

namespace vr::signaling {

namespace {

// Label values escape backslash, quote and newline (exposition format 0.0.4).
std::string escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

void metrics::describe(std::string_view name, std::string_view type, std::string_view help) {
  std::lock_guard lock{mutex_};
  auto& f = families_[std::string{name}];
  f.type = type;
  f.help = help;
}

void metrics::add(std::string_view name, double delta, const labels& l) {
  std::lock_guard lock{mutex_};
  families_[std::string{name}].series[l] += delta;
}

void metrics::set(std::string_view name, double value, const labels& l) {
  std::lock_guard lock{mutex_};
  families_[std::string{name}].series[l] = value;
}

double metrics::get(std::string_view name, const labels& l) const {
  std::lock_guard lock{mutex_};
  auto f = families_.find(name);
  if (f == families_.end())
    return 0;
  auto s = f->second.series.find(l);
  return s == f->second.series.end() ? 0 : s->second;
}

std::string metrics::render() const {
  std::lock_guard lock{mutex_};
  std::ostringstream out;
  out.precision(17);
  for (const auto& [name, f] : families_) {
    if (!f.help.empty())
      out << "# HELP " << name << ' ' << f.help << '\n';
    out << "# TYPE " << name << ' ' << (f.type.empty() ? "untyped" : f.type) << '\n';
    if (f.series.empty())
      out << name << " 0\n";
    for (const auto& [l, v] : f.series) {
      out << name;
      if (!l.empty()) {
        out << '{';
        for (std::size_t i = 0; i < l.size(); ++i)
          out << (i ? "," : "") << l[i].first << "=\"" << escape(l[i].second) << '"';
        out << '}';
      }
      out << ' ' << v << '\n';
    }
  }
  return out.str();
}

}  // namespace vr::signaling
