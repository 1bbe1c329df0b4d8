#include "actors/rendezvous.hpp"

namespace vr {

namespace {

constexpr std::uint64_t fnv_offset = 14695981039346656037ull;
constexpr std::uint64_t fnv_prime = 1099511628211ull;

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

// splitmix64's finalizer.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t rendezvous_weight(std::string_view node, std::string_view room) {
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  auto h = fnv1a(fnv_offset, node);
  h = fnv1a(h, std::string_view{"\0", 1});
  return mix(fnv1a(h, room));
}

std::string rendezvous_owner(std::string_view room, const std::vector<std::string>& nodes) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const auto& n : nodes) {
    auto w = rendezvous_weight(n, room);
    if (best == nullptr || w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return best ? *best : std::string{};
}

}  // namespace vr
