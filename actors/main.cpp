#include "actors/node.hpp"
#include "actors/token_command.hpp"

#include <string_view>

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view{argv[1]} == "token")
    return vr::run_token_command(argc, argv);
  return vr::run_node(argc, argv);
}
