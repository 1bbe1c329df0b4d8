// Start-up of one node: config, actor system, registry and the HTTP/WebSocket
// server, until SIGINT/SIGTERM.
#pragma once

namespace vr {

// Returns the process exit code: 0 after a clean shutdown, 2 for a bad config,
// 1 when the server cannot start.
int run_node(int argc, char** argv);

}  // namespace vr
