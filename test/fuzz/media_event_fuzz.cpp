// libFuzzer target: the untyped media-event envelope (signaling/media_event.hpp),
// as a whole channel payload and as the inner JSON string. What decodes must
// survive encode_payload and decode again unchanged (numbers aside, see below).
#include "signaling/media_event.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace me = vr::signaling::media_event;

namespace {
// RapidJSON 1.1.0 reads decimals without full precision (one unit in the last
// place off at times), so data holding a fraction or an exponent may change its
// last digit on each pass; its full-precision reader is no fix (undefined
// behaviour under this fuzzer: clz(0) in diyfp.h). Such data need only decode again.
bool may_hold_fraction(const std::string& json) {
  return json.find_first_of(".eE") != std::string::npos;
}

void round_trip(const me::event& ev) {
  auto again = me::decode_payload(me::encode_payload(ev.type, ev.data));
  if (!again || again->type != ev.type)
    __builtin_trap();
  if (again->data != ev.data && !may_hold_fraction(ev.data))
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
