// The `videoroom token` subcommand: mints a join token (see token_command.cpp).
#pragma once

namespace vr {

int run_token_command(int argc, char** argv);

}  // namespace vr
