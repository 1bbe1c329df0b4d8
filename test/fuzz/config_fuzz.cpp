// libFuzzer target: the config checker, vr::config::load, as the server calls it
// from main. Input: the config file's text, then NUL-separated command-line
// arguments. The text goes to one temp file of this process (removed at exit);
// arguments that would read another file (--config-file) or print help are
// dropped. No network: load only sets options.
#include "actors/config.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string temp_path;

void remove_temp() {
  if (!temp_path.empty())
    std::remove(temp_path.c_str());
}

bool dropped(std::string_view arg) {
  return arg.find("config-file") != std::string_view::npos ||
         arg.find("dump-config") != std::string_view::npos ||
         arg.find("help") != std::string_view::npos ||
         (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-');  // short options: -h, -?
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/vr-config-fuzz-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    std::perror("mkstemp");
    std::abort();
  }
  close(fd);
  temp_path = tmpl;
  std::atexit(remove_temp);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nul = input.find('\0');
  std::string_view file = input.substr(0, nul);

  std::FILE* f = std::fopen(temp_path.c_str(), "wb");
  if (!f)
    std::abort();
  std::fwrite(file.data(), 1, file.size(), f);
  std::fclose(f);

  std::vector<std::string> args{"videoroom", "--config-file=" + temp_path};
  while (nul != std::string_view::npos) {
    input.remove_prefix(nul + 1);
    nul = input.find('\0');
    std::string_view arg = input.substr(0, nul);
    if (!dropped(arg))
      args.emplace_back(arg);
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  vr::config cfg;
  (void)cfg.load(static_cast<int>(args.size()), argv.data());
  return 0;
}
