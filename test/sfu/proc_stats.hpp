// What /proc says of a process: for benchmarks and leak checks.
#pragma once

#include <cstddef>
#include <sys/types.h>

namespace vr::test {

std::size_t proc_threads(pid_t pid);
std::size_t proc_fds(pid_t pid);
double proc_cpu_seconds(pid_t pid);  // user + system
std::size_t proc_rss_kb(pid_t pid);

}  // namespace vr::test
