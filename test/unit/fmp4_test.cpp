// fMP4 boxes: parsed back box by box, so sizes, nesting and offsets are
// checked independently of the writer. (ffprobe decoding real media is in the
// media tests.)
#include "media/hls/fmp4.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace vr::media;

namespace {

std::uint32_t be32(const fmp4::bytes& b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
         std::uint32_t{b[at + 2]} << 8 | b[at + 3];
}
std::uint64_t be64(const fmp4::bytes& b, std::size_t at) {
  return std::uint64_t{be32(b, at)} << 32 | be32(b, at + 4);
}

struct box {
  std::string type;
  std::size_t start, size;  // of the whole box
  std::vector<box> children;
};

bool is_container(const std::string& t) {
  for (const char* c : {"moov", "trak", "mdia", "minf", "stbl", "mvex", "moof", "traf", "dinf"})
    if (t == c)
      return true;
  return false;
}

// Parses [from, to): every box must fit exactly.
std::vector<box> parse(const fmp4::bytes& b, std::size_t from, std::size_t to) {
  std::vector<box> out;
  while (from < to) {
    REQUIRE(from + 8 <= to);
    box x{std::string(b.begin() + from + 4, b.begin() + from + 8), from, be32(b, from), {}};
    REQUIRE(x.size >= 8);
    REQUIRE(from + x.size <= to);
    if (is_container(x.type))
      x.children = parse(b, from + 8, from + x.size);
    out.push_back(x);
    from += x.size;
  }
  return out;
}

const box* find(const std::vector<box>& boxes, const std::string& path) {
  auto slash = path.find('/');
  std::string head = path.substr(0, slash);
  for (const auto& x : boxes)
    if (x.type == head)
      return slash == std::string::npos ? &x : find(x.children, path.substr(slash + 1));
  return nullptr;
}

std::size_t count(const std::vector<box>& boxes, const std::string& type) {
  std::size_t n = 0;
  for (const auto& x : boxes)
    n += x.type == type;
  return n;
}

bool contains(const fmp4::bytes& hay, const fmp4::bytes& needle, std::size_t from, std::size_t to) {
  return std::search(hay.begin() + from, hay.begin() + to, needle.begin(), needle.end()) !=
         hay.begin() + to;
}

const fmp4::bytes avcc{0x01, 0x42, 0xc0, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67,
                       0x42, 0xc0, 0x1f, 0x01, 0x00, 0x02, 0x68, 0xce};
const fmp4::bytes asc{0x11, 0x90};

}  // namespace

TEST_CASE("init segment: ftyp, moov with an avc1 and an mp4a track, trex for both", "[fmp4]") {
  auto b =
    fmp4::init_segment(fmp4::video_config{avcc, 320, 240}, fmp4::audio_config{asc, 48000, 2});
  auto top = parse(b, 0, b.size());
  REQUIRE(top.size() == 2);
  CHECK(top[0].type == "ftyp");
  CHECK(top[1].type == "moov");
  const auto& moov = top[1].children;
  CHECK(count(moov, "trak") == 2);
  REQUIRE(find(moov, "mvex"));
  CHECK(count(find(moov, "mvex")->children, "trex") == 2);

  // Track 1 video at 90 kHz with our avcC; track 2 audio at its sample rate with our ASC.
  const auto& video = moov[1].children;
  const auto& audio = moov[2].children;
  CHECK(be32(b, find(video, "tkhd")->start + 20) == fmp4::video_track_id);
  CHECK(be32(b, find(audio, "tkhd")->start + 20) == fmp4::audio_track_id);
  CHECK(be32(b, find(video, "tkhd")->start + 84) == 320u << 16);
  CHECK(be32(b, find(video, "mdia/mdhd")->start + 20) == 90000);
  CHECK(be32(b, find(audio, "mdia/mdhd")->start + 20) == 48000);
  const box* stsd_v = find(video, "mdia/minf/stbl/stsd");
  const box* stsd_a = find(audio, "mdia/minf/stbl/stsd");
  REQUIRE(stsd_v);
  REQUIRE(stsd_a);
  CHECK(std::string(b.begin() + stsd_v->start + 20, b.begin() + stsd_v->start + 24) == "avc1");
  CHECK(std::string(b.begin() + stsd_a->start + 20, b.begin() + stsd_a->start + 24) == "mp4a");
  CHECK(contains(b, avcc, stsd_v->start, stsd_v->start + stsd_v->size));
  CHECK(contains(b, asc, stsd_a->start, stsd_a->start + stsd_a->size));
  CHECK(find(video, "mdia/minf/vmhd"));
  CHECK(find(audio, "mdia/minf/smhd"));
}

TEST_CASE("init segment with audio only has one track", "[fmp4]") {
  auto b = fmp4::init_segment(std::nullopt, fmp4::audio_config{asc, 44100, 1});
  auto top = parse(b, 0, b.size());
  CHECK(count(top[1].children, "trak") == 1);
  CHECK(count(find(top[1].children, "mvex")->children, "trex") == 1);
}

TEST_CASE("fragment: moof with tfdt and trun per track, data offsets into mdat", "[fmp4]") {
  fmp4::run v{
    fmp4::video_track_id, 123456789012ull, {{{1, 2, 3}, 3000, true}, {{4, 5}, 3003, false}}};
  fmp4::run a{fmp4::audio_track_id, 4800, {{{9, 9, 9, 9}, 1024, true}}};
  fmp4::run empty{fmp4::audio_track_id, 0, {}};
  auto b = fmp4::fragment(7, {v, a, empty});
  auto top = parse(b, 0, b.size());
  REQUIRE(top.size() == 2);
  CHECK(top[0].type == "moof");
  CHECK(top[1].type == "mdat");
  CHECK(top[1].size == 8 + 3 + 2 + 4);
  const auto& moof = top[0].children;
  CHECK(be32(b, find(moof, "mfhd")->start + 12) == 7);
  REQUIRE(count(moof, "traf") == 2);  // the empty run is left out

  for (std::size_t i = 0; i < 2; ++i) {
    const auto& traf = moof[1 + i].children;
    const auto& run = i == 0 ? v : a;
    CHECK(be32(b, find(traf, "tfhd")->start + 12) == run.track_id);
    CHECK(be32(b, find(traf, "tfhd")->start + 8) == 0x020000);  // default-base-is-moof
    CHECK(be64(b, find(traf, "tfdt")->start + 12) == run.base_decode_time);
    const box* trun = find(traf, "trun");
    CHECK(be32(b, trun->start + 12) == run.samples.size());
    // data_offset from the start of moof lands on the run's first sample.
    const std::size_t data = top[0].start + be32(b, trun->start + 16);
    CHECK(std::equal(run.samples[0].data.begin(), run.samples[0].data.end(), b.begin() + data));
    for (std::size_t s = 0; s < run.samples.size(); ++s) {
      const std::size_t entry = trun->start + 20 + 12 * s;
      CHECK(be32(b, entry) == run.samples[s].duration);
      CHECK(be32(b, entry + 4) == run.samples[s].data.size());
      CHECK(be32(b, entry + 8) == (run.samples[s].sync ? 0x02000000u : 0x01010000u));
    }
  }
}
