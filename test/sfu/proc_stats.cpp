#include "test/sfu/proc_stats.hpp"

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

namespace vr::test {

std::size_t proc_threads(pid_t pid) {
  auto dir = "/proc/" + std::to_string(pid) + "/task";
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator{dir}, {}));
}

std::size_t proc_fds(pid_t pid) {
  auto dir = "/proc/" + std::to_string(pid) + "/fd";
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator{dir}, {}));
}

double proc_cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  // Fields after the parenthesized command name; utime and stime are 14th and 15th.
  std::istringstream rest{stat.substr(stat.rfind(')') + 2)};
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14)
      ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::size_t proc_rss_kb(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoul(line.substr(6));
  return 0;
}

std::vector<std::string> proc_mapped_files(pid_t pid, const std::string& part) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/maps"};
  std::set<std::string> files;
  // Each line: address perms offset dev inode [path]; the path is last.
  for (std::string line; std::getline(in, line);)
    if (auto slash = line.find('/');
        slash != std::string::npos && line.find(part, slash) != std::string::npos)
      files.insert(line.substr(slash));
  return {files.begin(), files.end()};
}

}  // namespace vr::test
