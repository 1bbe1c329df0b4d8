// `videoroom token ROOM NAME [--role viewer|publisher] [--ttl SECONDS] [--type TYPE]`:
// prints a join token signed with auth.secret, read from the same config file
// and command line as the server's (--config-file=FILE, --auth.secret=S).
#include "actors/token_command.hpp"

#include "actors/config.hpp"
#include "actors/join_token.hpp"

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace vr {

namespace {

int usage(const std::string& why) {
  std::cerr << "videoroom token: " << why << "\n"
            << "usage: videoroom token ROOM NAME [--role viewer|publisher] [--ttl SECONDS]"
               " [--type group|audio|broadcast|call] [--config-file=FILE] [--auth.secret=S]\n"
               "ROOM is a room id or '*' (any room).\n";
  return 2;
}

}  // namespace

int run_token_command(int argc, char** argv) {
  // argv[0] is the program, argv[1] "token".
  std::vector<std::string> positional;
  std::vector<std::string> rest{argv[0]};
  std::string role, type, ttl = "3600";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value_of = [&](const std::string& flag, std::string& out) {
      if (a == flag && i + 1 < argc) {
        out = argv[++i];
        return true;
      }
      if (a.rfind(flag + "=", 0) == 0) {
        out = a.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    if (value_of("--role", role) || value_of("--ttl", ttl) || value_of("--type", type))
      continue;
    if (a.rfind("--", 0) == 0)
      rest.push_back(a);
    else
      positional.push_back(a);
  }
  if (positional.size() != 2)
    return usage("needs ROOM and NAME");
  token_request req;
  req.room = positional[0];
  req.name = positional[1];
  if (req.room != "*" && !room_id_from_topic("room:" + req.room))
    return usage("'" + req.room + "' is no room id (1-64 of A-Z a-z 0-9 _ -) nor '*'");
  if (!valid_display_name(req.name))
    return usage("NAME must be 1-64 characters");
  if (!role.empty() && !(req.role = parse_peer_role(role)))
    return usage("--role is viewer or publisher");
  if (!type.empty() && !(req.type = parse_room_type(type)))
    return usage("--type is group, audio, broadcast or call");
  try {
    std::size_t used = 0;
    req.ttl_s = std::stoll(ttl, &used);
    if (used != ttl.size())
      throw std::invalid_argument{ttl};
  } catch (const std::exception&) {
    return usage("--ttl is a number of seconds");
  }
  // Like scripts/run: config/videoroom.conf unless a file is named (none: /dev/null,
  // CAF's default caf-application.ini is not ours).
  bool has_file = false;
  for (auto& s : rest)
    has_file = has_file || s.rfind("--config-file=", 0) == 0;
  if (!has_file) {
    std::error_code ec;
    rest.push_back(std::filesystem::exists("config/videoroom.conf", ec)
                     ? "--config-file=config/videoroom.conf"
                     : "--config-file=/dev/null");
  }
  std::vector<char*> cargv;
  for (auto& s : rest)
    cargv.push_back(s.data());
  config cfg;
  if (auto err = cfg.load(static_cast<int>(cargv.size()), cargv.data()); !err.empty()) {
    std::cerr << "videoroom token: " << err << '\n';
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (cfg.auth_secret.empty()) {
    std::cerr << "videoroom token: auth.secret is not set (config file or --auth.secret=...)\n";
    return 2;
  }
  auto token = mint_join_token(cfg.auth_secret, req, unix_now());
  if (token.empty()) {
    std::cerr << "videoroom token: libjwt could not sign the token\n";
    return 1;
  }
  std::cout << token << '\n';
  return 0;
}

}  // namespace vr
