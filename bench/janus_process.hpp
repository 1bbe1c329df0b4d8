// The Debian `janus` binary as a child process for the side-by-side
// benchmark: run in a scratch directory that holds bench/janus/*.jcfg and
// links to just the VideoRoom plugin and the WebSocket transport; loopback only.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <filesystem>
#include <string>

namespace vr::bench {

class janus_process {
public:
  static constexpr std::uint16_t ws_port = 48188;  // bench/janus/janus.transport.websockets.jcfg

  // Starts janus pinned to `cpu` (-1: anywhere) and waits (bounded) until its
  // WebSocket port accepts connections; throws when it does not.
  // `srtp_library` non-empty: Janus runs on that libsrtp2 (preloaded) instead
  // of Debian's NSS build, e.g. the OpenSSL build the server uses.
  janus_process(const std::filesystem::path& config_dir, int cpu,
                const std::string& srtp_library = {});
  ~janus_process();  // SIGTERM, then SIGKILL; removes the scratch directory
  janus_process(const janus_process&) = delete;
  janus_process& operator=(const janus_process&) = delete;

  pid_t pid() const { return pid_; }

private:
  void terminate();  // stops janus (if running) and removes the scratch directory
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace vr::bench
