#include "bench/janus_process.hpp"

#include "test/sfu/server_process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace vr::bench {

namespace fs = std::filesystem;

namespace {

const fs::path janus_lib = "/usr/lib/x86_64-linux-gnu/janus";

bool port_open(std::uint16_t port) {
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::socket s{io};
  boost::system::error_code ec;
  s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

}  // namespace

janus_process::janus_process(const fs::path& config_dir, int cpu, const std::string& srtp_library) {
  if (port_open(ws_port))
    throw std::runtime_error("port " + std::to_string(ws_port) +
                             " is taken: is a janus still running?");
  auto templ = (fs::temp_directory_path() / "videoroom-janus-XXXXXX").string();
  if (!mkdtemp(templ.data()))
    throw std::runtime_error("cannot make a scratch directory for janus");
  dir_ = templ;
  for (auto sub : {"plugins", "transports", "events", "loggers"})
    fs::create_directories(dir_ / sub);
  fs::create_symlink(janus_lib / "plugins/libjanus_videoroom.so",
                     dir_ / "plugins/libjanus_videoroom.so");
  fs::create_symlink(janus_lib / "transports/libjanus_websockets.so",
                     dir_ / "transports/libjanus_websockets.so");
  for (auto& f : fs::directory_iterator{config_dir})
    if (f.path().extension() == ".jcfg")
      fs::copy_file(f.path(), dir_ / f.path().filename());
  std::vector<std::string> args{"/usr/bin/janus", "-F", dir_.string(), "-o", "-N"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto cwd = dir_.string();
  // The shim puts candidates on 127.0.0.1.
  std::string preload = VR_JANUS_SHIM + (srtp_library.empty() ? "" : ":" + srtp_library);
  pid_ = fork();
  if (pid_ == 0) {
    test::pin_to_cpu(cpu);
    if (chdir(cwd.c_str()) != 0)
      _exit(126);
    setenv("LD_PRELOAD", preload.c_str(), 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);  // its log is not the benchmark's output
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (port_open(ws_port))
      return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fs::remove_all(dir_);
      throw std::runtime_error("janus exited at start-up");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  terminate();  // the destructor does not run after a throwing constructor
  throw std::runtime_error("janus did not open its WebSocket port");
}

janus_process::~janus_process() { terminate(); }

void janus_process::terminate() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      gone = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!gone)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!gone) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace vr::bench
