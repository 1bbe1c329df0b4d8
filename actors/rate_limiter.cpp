#include "actors/rate_limiter.hpp"

#include <algorithm>

namespace vr {

bool rate_limiter::allow(const std::string& key, clock::time_point now) {
  if (rate_ <= 0)
    return true;
  std::lock_guard lock{mutex_};
  // Buckets that refilled are forgotten now and then, so that the map holds
  // only the keys active in the last second.
  if (buckets_.size() > 1024 && now - last_prune_ > std::chrono::seconds(1))
    prune(now);
  auto [it, fresh] = buckets_.try_emplace(key, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, dt.count()) * rate_);
    b.last = std::max(b.last, now);
  }
  if (b.tokens < 1.0)
    return false;
  b.tokens -= 1.0;
  return true;
}

void rate_limiter::prune(clock::time_point now) {
  last_prune_ = now;
  std::erase_if(buckets_, [&](const auto& kv) {
    std::chrono::duration<double> dt = now - kv.second.last;
    return kv.second.tokens + dt.count() * rate_ >= burst_;
  });
}

std::size_t rate_limiter::tracked() const {
  std::lock_guard lock{mutex_};
  return buckets_.size();
}

std::string address_of(const std::string& remote) {
  if (!remote.empty() && remote.front() == '[') {
    auto close = remote.find(']');
    return close == std::string::npos ? remote : remote.substr(1, close - 1);
  }
  auto colon = remote.rfind(':');
  if (colon == std::string::npos || colon + 1 == remote.size() ||
      remote.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return remote;
  // "a.b.c.d:port", or an IPv6 address with ":port" after it.
  return remote.substr(0, colon);
}

}  // namespace vr
