// The LL-HLS streams this node serves. The media side posts a snapshot after
// every part it wrote (from any thread); HTTP requests read the latest one and
// wait here for the next (blocking playlist reload, preload hints). Streams
// that ended stay for `linger`, then their directory is deleted.
#pragma once

#include "media/hls/hls_playlist.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vr::signaling {

class metrics;

struct hls_options {
  std::filesystem::path root;               // stream "PUB/STREAM" lives in root/PUB/STREAM
  std::chrono::milliseconds linger{30000};  // an ended stream stays this long
  std::chrono::milliseconds first_part_timeout{10000};  // waiting for a stream's first part
  std::chrono::milliseconds block_timeout{6000};  // a blocking request (about 3 target durations)
};

class hls_board : public std::enable_shared_from_this<hls_board> {
public:
  using snapshot_ptr = std::shared_ptr<const media::hls::snapshot>;

  hls_board(boost::asio::io_context& io, hls_options options, std::shared_ptr<metrics> m);
  ~hls_board();
  hls_board(const hls_board&) = delete;
  hls_board& operator=(const hls_board&) = delete;

  const hls_options& options() const { return options_; }

  // All thread-safe. A stream that will come (its room exists): requests
  // wait for its first part instead of getting 404.
  void expect(const std::string& stream);
  void update(const std::string& stream, snapshot_ptr snap);
  // Gone at once (its room ended without media): waiters get 404.
  void forget(const std::string& stream);
  // Wakes every waiter to give up (503): the server is stopping.
  void shutdown();
  std::size_t streams() const;

  struct view {
    bool known = false, closed = false;
    snapshot_ptr snap;  // null before the first part
  };
  view get(const std::string& stream) const;

  // Calls `wake` once, from any thread, at the stream's next change (or at
  // shutdown). Returns false, without registering, if the stream changed
  // since `seen` was read or is unknown: look again at once.
  bool watch(const std::string& stream, const snapshot_ptr& seen, std::function<void()> wake);

  // "A/B", each part 1..64 of [A-Za-z0-9_-].
  static bool valid_stream(std::string_view stream);

private:
  struct entry {
    snapshot_ptr snap;
    std::vector<std::function<void()>> waiters;
    std::unique_ptr<boost::asio::steady_timer> reaper;  // after the end: linger, then delete
  };
  void wake_all(entry& e, std::vector<std::function<void()>>& out);
  void reap_later(const std::string& stream, entry& e);
  void remove_dir(const std::string& stream) const;
  void count_streams();

  boost::asio::io_context& io_;
  hls_options options_;
  std::shared_ptr<metrics> metrics_;
  mutable std::mutex mutex_;
  std::map<std::string, entry, std::less<>> streams_;
  bool closed_ = false;
};

}  // namespace vr::signaling
