#include "signaling/hls_board.hpp"

#include "signaling/metrics.hpp"

#include <system_error>

namespace vr::signaling {

namespace {

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64)
    return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace

bool hls_board::valid_stream(std::string_view stream) {
  auto slash = stream.find('/');
  return slash != std::string_view::npos && valid_name(stream.substr(0, slash)) &&
         valid_name(stream.substr(slash + 1));
}

hls_board::hls_board(boost::asio::io_context& io, hls_options options, std::shared_ptr<metrics> m)
    : io_(io), options_(std::move(options)), metrics_(std::move(m)) {
  metrics_->describe("vr_hls_streams", "gauge",
                     "LL-HLS streams served (live, waiting or lingering)");
  metrics_->describe("vr_hls_requests_total", "counter", "LL-HLS requests by kind");
  metrics_->describe("vr_hls_waiting", "gauge",
                     "LL-HLS requests held for a part that is not there yet");
}

hls_board::~hls_board() {
  // Media is over when the board goes (the actors went first): no stream
  // stays on disk.
  std::lock_guard lock(mutex_);
  for (auto& [name, e] : streams_) {
    if (e.reaper)
      e.reaper->cancel();
    remove_dir(name);
  }
}

void hls_board::expect(const std::string& stream) {
  if (!valid_stream(stream))
    return;
  std::lock_guard lock(mutex_);
  streams_.try_emplace(stream);
  count_streams();
}

void hls_board::update(const std::string& stream, snapshot_ptr snap) {
  if (!valid_stream(stream) || !snap)
    return;
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    auto& e = streams_[stream];
    if (e.snap && e.snap->list.ended())
      return;  // over: nothing comes after the end
    e.snap = std::move(snap);
    if (e.snap->list.ended())
      reap_later(stream, e);
    wake_all(e, wake);
    count_streams();
  }
  for (auto& w : wake)
    w();
}

void hls_board::forget(const std::string& stream) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(stream);
    if (it == streams_.end())
      return;
    wake_all(it->second, wake);
    if (it->second.reaper)
      it->second.reaper->cancel();
    // Files first, under the lock: once a request can get 404 for the stream,
    // its files are gone (they were removed after it, a race under load).
    remove_dir(stream);
    streams_.erase(it);
    count_streams();
  }
  for (auto& w : wake)
    w();
}

void hls_board::shutdown() {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [name, e] : streams_) {
      wake_all(e, wake);
      if (e.reaper)
        e.reaper->cancel();  // or io_context::run would wait for the linger
    }
  }
  for (auto& w : wake)
    w();
}

std::size_t hls_board::streams() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

hls_board::view hls_board::get(const std::string& stream) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(stream);
  if (it == streams_.end())
    return {false, closed_, nullptr};
  return {true, closed_, it->second.snap};
}

bool hls_board::watch(const std::string& stream, const snapshot_ptr& seen,
                      std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(stream);
  if (closed_ || it == streams_.end() || it->second.snap != seen)
    return false;
  it->second.waiters.push_back(std::move(wake));
  return true;
}

void hls_board::wake_all(entry& e, std::vector<std::function<void()>>& out) {
  for (auto& w : e.waiters)
    out.push_back(std::move(w));
  e.waiters.clear();
}

void hls_board::reap_later(const std::string& stream, entry& e) {
  if (closed_)
    return;
  e.reaper = std::make_unique<boost::asio::steady_timer>(io_, options_.linger);
  e.reaper->async_wait([weak = weak_from_this(), stream](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self)
      return;
    self->forget(stream);
  });
}

void hls_board::remove_dir(const std::string& stream) const {
  // valid_stream() names cannot leave the root.
  std::error_code ec;
  std::filesystem::remove_all(options_.root / stream, ec);
}

void hls_board::count_streams() {
  metrics_->set("vr_hls_streams", static_cast<double>(streams_.size()));
}

}  // namespace vr::signaling
