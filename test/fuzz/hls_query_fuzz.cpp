// libFuzzer target: an LL-HLS request target as the server splits and parses it
// (signaling/hls_query.hpp): the path's stream and file name, and the
// _HLS_msn/_HLS_part query of a playlist request.
#include "signaling/hls_query.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hq = vr::signaling::hls_query;
  std::string_view target(reinterpret_cast<const char*>(data), size);
  auto q = hq::parse_query(target);
  // A query that is not bad has a part only with an msn, and parts stay small.
  if (!q.bad && q.part && (!q.msn || *q.part > 100000))
    __builtin_trap();
  auto path = hq::split_path(target.substr(0, target.find('?')));
  if (path.stream.size() + path.name.size() > size)
    __builtin_trap();
  if (auto f = hq::parse_file(path.name)) {
    if (f->kind == hq::file_name::part && (!f->part_index || *f->part_index > 100000))
      __builtin_trap();
    if (f->kind != hq::file_name::part && f->part_index)
      __builtin_trap();
  }
  return 0;
}
