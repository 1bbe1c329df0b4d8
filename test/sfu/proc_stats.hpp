// What /proc says of a process: for benchmarks and leak checks.
#pragma once

#include <sys/types.h>
#include <cstddef>
#include <string>
#include <vector>

namespace vr::test {

std::size_t proc_threads(pid_t pid);
std::size_t proc_fds(pid_t pid);
double proc_cpu_seconds(pid_t pid);  // user + system
std::size_t proc_rss_kb(pid_t pid);
// Distinct files mapped into the process whose path holds `part`.
std::vector<std::string> proc_mapped_files(pid_t pid, const std::string& part);

}  // namespace vr::test
