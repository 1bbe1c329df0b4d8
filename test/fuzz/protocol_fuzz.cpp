// libFuzzer target: a WebSocket text frame from a browser, through the Phoenix
// frame decoder and the typed client decoder (join params, room requests and the
// media event JSON inside a mediaEvent payload). Both must return, never throw
// or crash, at the server's default depth and at the smallest one allowed.
#include "signaling/phoenix.hpp"
#include "signaling/protocol/decode.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace phoenix = vr::signaling::phoenix;
  namespace protocol = vr::signaling::protocol;
  for (std::size_t depth : {std::size_t{32}, std::size_t{4}}) {
    phoenix::limits lim{depth};
    auto frame = phoenix::decode(text, lim);
    auto typed = protocol::decode_client(text, lim);
    // The typed decoder refuses at least every frame the frame decoder refuses.
    if (std::holds_alternative<phoenix::decode_error>(frame) &&
        std::holds_alternative<protocol::client_frame>(typed))
      __builtin_trap();
  }
  return 0;
}
