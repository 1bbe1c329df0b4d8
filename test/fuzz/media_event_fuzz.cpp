// libFuzzer target: the untyped media-event envelope (signaling/media_event.hpp),
// as a whole channel payload and as the inner JSON string. What decodes must
// survive encode_payload and decode again unchanged.
#include "signaling/media_event.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace me = vr::signaling::media_event;

namespace {
void round_trip(const me::event& ev) {
  auto again = me::decode_payload(me::encode_payload(ev.type, ev.data));
  if (!again || again->type != ev.type || again->data != ev.data)
    __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ev = me::decode_payload(text))
    round_trip(*ev);
  if (auto ev = me::decode(text))
    round_trip(*ev);
  (void)me::decode(text, 4);
  return 0;
}
