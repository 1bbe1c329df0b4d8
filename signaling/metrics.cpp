#include "signaling/metrics.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <sstream>

namespace vr::signaling {

namespace {

// Exposition format 0.0.4: label values escape backslash, quote and newline;
// HELP text only backslash and newline.
std::string escape(std::string_view v, bool quote = true) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || (quote && c == '"'))
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Values as Prometheus parses them (Go's ParseFloat): the shortest text that
// reads back exactly, and +Inf, -Inf, NaN.
void put_value(std::ostream& out, double v) {
  if (std::isnan(v))
    out << "NaN";
  else if (std::isinf(v))
    out << (v > 0 ? "+Inf" : "-Inf");
  else {
    std::array<char, 32> buf;
    auto end = std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr;
    out.write(buf.data(), end - buf.data());
  }
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
  for (const auto& [name, f] : families_) {
    if (!f.help.empty())
      out << "# HELP " << name << ' ' << escape(f.help, false) << '\n';
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
      out << ' ';
      put_value(out, v);
      out << '\n';
    }
  }
  return out.str();
}

}  // namespace vr::signaling
