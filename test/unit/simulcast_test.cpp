#include "media/simulcast/keyframe.hpp"
#include "media/simulcast/rewriter.hpp"
#include "media/simulcast/rtp_packet.hpp"
#include "media/simulcast/variant.hpp"
#include "media/simulcast/vp8_descriptor.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace vr::media::simulcast;

namespace {

using bytes = std::vector<std::uint8_t>;

// A VP8 payload: descriptor with picture id, then the frame tag's P bit.
bytes vp8(bool start, bool key) {
  return {static_cast<std::uint8_t>(0x80 | (start ? 0x10 : 0)), 0x80, 0x12,
          static_cast<std::uint8_t>(key ? 0x10 : 0x11),         0x02, 0x00};
}

// An RTP packet with a one-byte header extension block holding `exts` (id, text).
bytes rtp(std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc,
          std::vector<std::pair<int, std::string>> exts, const bytes& payload) {
  bytes ext;
  for (auto& [id, text] : exts) {
    ext.push_back(static_cast<std::uint8_t>(id << 4 | (text.size() - 1)));
    ext.insert(ext.end(), text.begin(), text.end());
  }
  while (ext.size() % 4)
    ext.push_back(0);
  bytes p{static_cast<std::uint8_t>(0x80 | (exts.empty() ? 0 : 0x10)),
          96,
          static_cast<std::uint8_t>(seq >> 8),
          static_cast<std::uint8_t>(seq),
          static_cast<std::uint8_t>(ts >> 24),
          static_cast<std::uint8_t>(ts >> 16),
          static_cast<std::uint8_t>(ts >> 8),
          static_cast<std::uint8_t>(ts),
          static_cast<std::uint8_t>(ssrc >> 24),
          static_cast<std::uint8_t>(ssrc >> 16),
          static_cast<std::uint8_t>(ssrc >> 8),
          static_cast<std::uint8_t>(ssrc)};
  if (!exts.empty()) {
    p.insert(p.end(), {0xBE, 0xDE, 0, static_cast<std::uint8_t>(ext.size() / 4)});
    p.insert(p.end(), ext.begin(), ext.end());
  }
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// One layer's packets: 3 per frame at 30 fps, a keyframe every `gop` frames.
struct layer {
  variant v;
  std::uint16_t seq;
  std::uint32_t ts;
  int gop;
  int frame = 0, in_frame = 0;
  packet_in next(std::int64_t now_us) {
    packet_in p{v, seq++, ts, in_frame == 0 && frame % gop == 0, now_us};
    if (++in_frame == 3) {
      in_frame = 0;
      ++frame;
      ts += 3000;
    }
    return p;
  }
};

}  // namespace

TEST_CASE("simulcast: RTP header and rid/mid header extensions are read", "[simulcast]") {
  auto p = rtp(0xfffe, 0x12345678, 0xdeadbeef, {{1, "0"}, {10, "h"}}, vp8(true, true));
  auto v = parse_rtp(p);
  REQUIRE(v);
  CHECK(v->seq == 0xfffe);
  CHECK(v->timestamp == 0x12345678);
  CHECK(v->ssrc == 0xdeadbeef);
  CHECK(v->payload_size == 6);
  CHECK(header_extension(p, *v, 1) == std::optional<std::string>("0"));
  CHECK(header_extension(p, *v, 10) == std::optional<std::string>("h"));
  CHECK_FALSE(header_extension(p, *v, 3));
  CHECK(vp8_keyframe_start(std::span(p).subspan(v->payload_offset, v->payload_size)));

  rewrite_header(p, 7, 9000, 42);
  auto w = parse_rtp(p);
  REQUIRE(w);
  CHECK(w->seq == 7);
  CHECK(w->timestamp == 9000);
  CHECK(w->ssrc == 42);
  CHECK(header_extension(p, *w, 10) == std::optional<std::string>("h"));

  CHECK_FALSE(parse_rtp(bytes{0x80, 96, 0}));
  auto truncated = p;
  truncated.resize(15);  // extension block cut off
  CHECK_FALSE(parse_rtp(truncated));
}

TEST_CASE("simulcast: two-byte header extensions are read", "[simulcast]") {
  bytes p = rtp(1, 2, 3, {}, {});
  p[0] |= 0x10;
  p.insert(p.end(), {0x10, 0x00, 0, 2, 5, 1, 'm', 0, 0, 0, 0, 0});
  auto v = parse_rtp(p);
  REQUIRE(v);
  CHECK(header_extension(p, *v, 5) == std::optional<std::string>("m"));
}

TEST_CASE("simulcast: VP8 and H264 keyframe starts are recognised", "[simulcast]") {
  CHECK(vp8_keyframe_start(vp8(true, true)));
  CHECK_FALSE(vp8_keyframe_start(vp8(true, false)));
  CHECK_FALSE(vp8_keyframe_start(vp8(false, true)));   // not the first packet of the frame
  CHECK(vp8_keyframe_start(bytes{0x10, 0x10}));        // no extension byte
  CHECK_FALSE(vp8_keyframe_start(bytes{0x11, 0x10}));  // partition 1

  CHECK(h264_keyframe_start(bytes{0x65, 0x88}));                                // IDR
  CHECK(h264_keyframe_start(bytes{0x67, 0x42}));                                // SPS
  CHECK_FALSE(h264_keyframe_start(bytes{0x41, 0x9a}));                          // non-IDR slice
  CHECK(h264_keyframe_start(bytes{0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce}));  // STAP-A SPS+PPS
  CHECK_FALSE(h264_keyframe_start(bytes{0x78, 0, 2, 0x41, 0x9a}));
  CHECK(h264_keyframe_start(bytes{0x7c, 0x85, 0x88}));        // FU-A start of an IDR
  CHECK_FALSE(h264_keyframe_start(bytes{0x7c, 0x05, 0x88}));  // FU-A continuation
  CHECK_FALSE(keyframe_start(codec::other, bytes{0x65}));
}

TEST_CASE("simulcast: sequence numbers and timestamps stay continuous across switches",
          "[simulcast]") {
  layer l{variant::l, 100, 1'000'000, 10}, m{variant::m, 50'000, 7, 10},
    h{variant::h, 65'500, 0xffff'f000u, 10};
  rewriter rw(0xabcdef, 90000, variant::h);
  std::vector<packet_out> out;
  std::vector<variant> from;
  std::int64_t now = 0;
  auto tick = [&] {
    now += 11'111;  // a third of a 30 fps frame
    for (layer* x : {&l, &m, &h})
      if (auto o = rw.on_packet(x->next(now))) {
        out.push_back(*o);
        from.push_back(x->v);
      }
  };
  for (int i = 0; i < 60; ++i)  // 20 frames of h
    tick();
  CHECK(rw.set_target(variant::l));
  for (int i = 0; i < 60; ++i)
    tick();
  CHECK(rw.set_target(variant::m));
  for (int i = 0; i < 60; ++i)
    tick();
  CHECK_FALSE(rw.set_target(variant::m));

  // One layer's worth, nothing doubled or lost; plus l's packet of the tick
  // where m's keyframe comes (l is fed first, so it still went out).
  REQUIRE(out.size() == 181);
  int switches = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].ssrc == 0xabcdefu);
    if (i == 0)
      continue;
    CHECK(out[i].seq == static_cast<std::uint16_t>(out[i - 1].seq + 1));
    const auto dts = static_cast<std::int32_t>(out[i].timestamp - out[i - 1].timestamp);
    CHECK(dts >= 0);
    CHECK(dts <= 3000 + 1000);  // about one frame, never a jump to another layer's clock
    if (from[i] != from[i - 1]) {
      ++switches;
      CHECK(out[i].switched);
      CHECK(dts > 0);
    }
  }
  CHECK(switches == 2);
  CHECK(rw.current() == variant::m);
}

TEST_CASE("simulcast: a switch happens only at a keyframe of the target", "[simulcast]") {
  rewriter rw(1, 90000, variant::l);
  std::int64_t now = 0;
  // The first packet of l is not a keyframe: nothing is forwarded yet.
  CHECK_FALSE(rw.on_packet({variant::l, 10, 0, false, now}));
  REQUIRE(rw.on_packet({variant::l, 11, 3000, true, now += 33'000}));
  CHECK(rw.current() == variant::l);

  CHECK(rw.set_target(variant::h));
  // h's delta frames are dropped, l keeps flowing.
  CHECK_FALSE(rw.on_packet({variant::h, 500, 90, false, now += 1000}));
  auto still_l = rw.on_packet({variant::l, 12, 6000, false, now += 32'000});
  REQUIRE(still_l);
  CHECK(rw.current() == variant::l);
  // h's keyframe: the switch.
  auto first_h = rw.on_packet({variant::h, 501, 3090, true, now += 1000});
  REQUIRE(first_h);
  CHECK(first_h->switched);
  CHECK(first_h->seq == static_cast<std::uint16_t>(still_l->seq + 1));
  CHECK(rw.current() == variant::h);
  // l is now dropped, and so is a late h packet from before the keyframe.
  CHECK_FALSE(rw.on_packet({variant::l, 13, 9000, true, now += 1000}));
  CHECK_FALSE(rw.on_packet({variant::h, 500, 90, false, now}));
  auto next_h = rw.on_packet({variant::h, 502, 3090, false, now});
  REQUIRE(next_h);
  CHECK(next_h->seq == static_cast<std::uint16_t>(first_h->seq + 1));
  CHECK(next_h->timestamp == first_h->timestamp);
  CHECK_FALSE(next_h->switched);
}

TEST_CASE("simulcast: VP8 picture ids and TL0PICIDX are read and written in place", "[simulcast]") {
  // X, I and L; a 15-bit picture id (M bit) 0x1234; TL0PICIDX 0x56; a key frame tag.
  bytes p{0x90, 0xc0, 0x92, 0x34, 0x56, 0x10};
  auto ids = read_vp8_ids(p);
  REQUIRE(ids);
  CHECK(ids->long_picture_id);
  CHECK(ids->picture_id == 0x1234);
  CHECK(ids->tl0picidx == 0x56);
  write_vp8_ids(p, {0x7ffe, true, 0xff});
  CHECK(p == bytes{0x90, 0xc0, 0xff, 0xfe, 0xff, 0x10});  // M bit kept, tag untouched
  // A 7-bit id keeps its width.
  bytes short_id{0x90, 0x80, 0x12, 0x10};
  write_vp8_ids(short_id, {0x1ff, false, std::nullopt});
  CHECK(short_id == bytes{0x90, 0x80, 0x7f, 0x10});
  CHECK(read_vp8_ids(bytes{0x10, 0x10})->picture_id == std::nullopt);  // no X: no ids
  CHECK_FALSE(read_vp8_ids(bytes{0x90, 0xc0, 0x92}));                  // cut short
}

TEST_CASE("simulcast: VP8 picture ids and TL0PICIDX continue across a switch", "[simulcast]") {
  rewriter rw(1, 90000, variant::h);
  std::int64_t now = 0;
  // h numbers its pictures from 30000 (TL0 200), m from 5 (TL0 7).
  auto vp8 = [](int pid, int tl0) {
    return vp8_ids{static_cast<std::uint16_t>(pid), true, static_cast<std::uint8_t>(tl0)};
  };
  std::optional<packet_out> last;
  for (int i = 0; i < 5; ++i) {
    last = rw.on_packet({variant::h, static_cast<std::uint16_t>(100 + i),
                         static_cast<std::uint32_t>(3000 * i), i == 0, now += 33'000},
                        vp8(32766 + i, 254 + i));
    REQUIRE(last);
    // The first layer goes out as it came; both wrap (15 and 8 bits).
    CHECK(last->vp8->picture_id == (32766 + i) % 32768);
    CHECK(last->vp8->tl0picidx == (254 + i) % 256);
  }
  rw.set_target(variant::m);
  for (int i = 0; i < 5; ++i) {
    auto o = rw.on_packet({variant::m, static_cast<std::uint16_t>(9 + i),
                           static_cast<std::uint32_t>(777 + 3000 * i), i == 0, now += 33'000},
                          vp8(5 + i, 7 + i));
    REQUIRE(o);
    CHECK(o->switched == (i == 0));
    CHECK(o->vp8->picture_id == (*last->vp8->picture_id + 1 + i) % 32768);
    CHECK(o->vp8->tl0picidx == (*last->vp8->tl0picidx + 1 + i) % 256);
  }
}

TEST_CASE("simulcast: the variant chosen is capped and skips stopped layers", "[simulcast]") {
  const variant_set all = bit(variant::l) | bit(variant::m) | bit(variant::h);
  CHECK(choose_variant(variant::h, variant::h, all) == variant::h);
  CHECK(choose_variant(variant::h, variant::m, all) == variant::m);
  CHECK(choose_variant(variant::l, variant::h, all) == variant::l);
  CHECK(choose_variant(variant::h, variant::h, bit(variant::l) | bit(variant::m)) == variant::m);
  CHECK(choose_variant(variant::l, variant::h, bit(variant::m) | bit(variant::h)) == variant::m);
  CHECK_FALSE(choose_variant(variant::h, variant::h, 0));

  const std::array<std::uint64_t, 3> rates{150'000, 500'000, 1'500'000};
  CHECK(cap_for_estimate(2'000'000, rates) == variant::h);
  CHECK(cap_for_estimate(1'000'000, rates) == variant::m);
  CHECK(cap_for_estimate(100'000, rates) == variant::l);
  CHECK(cap_for_estimate(100'000, {0, 0, 0}) == variant::h);  // nothing measured yet

  variant_activity act(500'000);
  CHECK(act.seen(variant::h, 0));
  CHECK_FALSE(act.seen(variant::h, 100'000));
  CHECK(act.seen(variant::l, 100'000));
  CHECK(act.expire(400'000).empty());
  act.seen(variant::l, 700'000);
  CHECK(act.expire(700'000) == std::vector<variant>{variant::h});
  CHECK(act.enabled() == bit(variant::l));
  CHECK(act.seen(variant::h, 800'000));  // enabled again

  CHECK(parse_variant("m") == variant::m);
  CHECK_FALSE(parse_variant("x"));
  CHECK(to_string(variant::h) == "h");
}
