#include "media/hls/fmp4.hpp"

#include <array>
#include <cstring>
#include <string_view>

namespace vr::media::fmp4 {
namespace {

// Big-endian writer with size patching for nested boxes.
class writer {
public:
  void u8(std::uint32_t v) { out_.push_back(static_cast<std::uint8_t>(v)); }
  void u16(std::uint32_t v) { u8(v >> 8), u8(v); }
  void u24(std::uint32_t v) { u8(v >> 16), u16(v); }
  void u32(std::uint32_t v) { u16(v >> 16), u16(v); }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32)), u32(static_cast<std::uint32_t>(v));
  }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }
  void fourcc(std::string_view s) { out_.insert(out_.end(), s.begin(), s.begin() + 4); }
  void append(const bytes& b) { out_.insert(out_.end(), b.begin(), b.end()); }

  // Opens a box; returns where its size goes, for end().
  std::size_t box(std::string_view type) {
    std::size_t at = out_.size();
    u32(0);
    fourcc(type);
    return at;
  }
  std::size_t full_box(std::string_view type, std::uint8_t version, std::uint32_t flags) {
    std::size_t at = box(type);
    u8(version);
    u24(flags);
    return at;
  }
  void end(std::size_t at) { patch32(at, static_cast<std::uint32_t>(out_.size() - at)); }
  void patch32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out_[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  }

  std::size_t size() const { return out_.size(); }
  bytes take() { return std::move(out_); }

private:
  bytes out_;
};

void matrix(writer& w) {
  for (std::uint32_t v : {0x00010000u, 0u, 0u, 0u, 0x00010000u, 0u, 0u, 0u, 0x40000000u})
    w.u32(v);
}

// MPEG-4 descriptor header (ISO 14496-1): tag, then the size in 7-bit groups.
void descriptor(writer& w, std::uint8_t tag, std::size_t size) {
  w.u8(tag);
  w.u8(0x80 | ((size >> 21) & 0x7f));
  w.u8(0x80 | ((size >> 14) & 0x7f));
  w.u8(0x80 | ((size >> 7) & 0x7f));
  w.u8(size & 0x7f);
}

void avc1_entry(writer& w, const video_config& v) {
  auto entry = w.box("avc1");
  w.zeros(6);
  w.u16(1);  // data_reference_index
  w.zeros(16);
  w.u16(v.width);
  w.u16(v.height);
  w.u32(0x00480000);  // 72 dpi
  w.u32(0x00480000);
  w.u32(0);
  w.u16(1);     // frame_count
  w.zeros(32);  // compressorname
  w.u16(0x0018);
  w.u16(0xffff);
  auto avcc = w.box("avcC");
  w.append(v.avcc);
  w.end(avcc);
  w.end(entry);
}

void mp4a_entry(writer& w, const audio_config& a) {
  auto entry = w.box("mp4a");
  w.zeros(6);
  w.u16(1);
  w.zeros(8);
  w.u16(a.channels);
  w.u16(16);
  w.u32(0);
  w.u32(a.sample_rate << 16);
  auto esds = w.full_box("esds", 0, 0);
  const std::size_t dsi = 5 + a.asc.size();
  const std::size_t dcd = 13 + dsi;
  descriptor(w, 0x03, 3 + (5 + dcd) + (5 + 1));  // ES_Descriptor
  w.u16(0);                                      // ES_ID
  w.u8(0);                                       // no stream dependence, URL or OCR
  descriptor(w, 0x04, dcd);                      // DecoderConfigDescriptor
  w.u8(0x40);                                    // Audio ISO/IEC 14496-3 (AAC)
  w.u8(0x15);                                    // audio stream, upStream 0, reserved 1
  w.u24(0);                                      // bufferSizeDB
  w.u32(0);                                      // maxBitrate: unknown
  w.u32(0);                                      // avgBitrate: variable
  descriptor(w, 0x05, a.asc.size());             // DecoderSpecificInfo
  w.append(a.asc);
  descriptor(w, 0x06, 1);  // SLConfigDescriptor
  w.u8(0x02);
  w.end(esds);
  w.end(entry);
}

void trak(writer& w, std::uint32_t id, const video_config* v, const audio_config* a) {
  auto trak = w.box("trak");
  auto tkhd = w.full_box("tkhd", 0, 0x000003);  // enabled, in movie
  w.u32(0), w.u32(0), w.u32(id), w.u32(0), w.u32(0);
  w.zeros(8);
  w.u16(0), w.u16(0);               // layer, alternate_group
  w.u16(a ? 0x0100 : 0), w.u16(0);  // volume
  matrix(w);
  w.u32(v ? std::uint32_t{v->width} << 16 : 0);
  w.u32(v ? std::uint32_t{v->height} << 16 : 0);
  w.end(tkhd);

  auto mdia = w.box("mdia");
  auto mdhd = w.full_box("mdhd", 0, 0);
  w.u32(0), w.u32(0);
  w.u32(v ? video_timescale : a->sample_rate);
  w.u32(0);
  w.u16(0x55c4);  // "und"
  w.u16(0);
  w.end(mdhd);
  auto hdlr = w.full_box("hdlr", 0, 0);
  w.u32(0);
  w.fourcc(v ? "vide" : "soun");
  w.zeros(12);
  const std::string_view name =
    v ? std::string_view{"VideoHandler"} : std::string_view{"SoundHandler"};
  for (char c : name)
    w.u8(static_cast<std::uint8_t>(c));
  w.u8(0);
  w.end(hdlr);

  auto minf = w.box("minf");
  if (v) {
    auto vmhd = w.full_box("vmhd", 0, 1);
    w.zeros(8);
    w.end(vmhd);
  } else {
    auto smhd = w.full_box("smhd", 0, 0);
    w.zeros(4);
    w.end(smhd);
  }
  auto dinf = w.box("dinf");
  auto dref = w.full_box("dref", 0, 0);
  w.u32(1);
  w.end(w.full_box("url ", 0, 1));  // media in this file
  w.end(dref);
  w.end(dinf);

  auto stbl = w.box("stbl");
  auto stsd = w.full_box("stsd", 0, 0);
  w.u32(1);
  if (v)
    avc1_entry(w, *v);
  else
    mp4a_entry(w, *a);
  w.end(stsd);
  // Samples live in the fragments: the sample tables are empty.
  for (const char* t : {"stts", "stsc", "stco"}) {
    auto b = w.full_box(t, 0, 0);
    w.u32(0);
    w.end(b);
  }
  auto stsz = w.full_box("stsz", 0, 0);
  w.u32(0), w.u32(0);
  w.end(stsz);
  w.end(stbl);
  w.end(minf);
  w.end(mdia);
  w.end(trak);
}

constexpr std::uint32_t flags_sync = 0x02000000;      // depends on no other sample
constexpr std::uint32_t flags_non_sync = 0x01010000;  // depends on others, not a sync sample

}  // namespace

bytes init_segment(const std::optional<video_config>& video,
                   const std::optional<audio_config>& audio) {
  writer w;
  auto ftyp = w.box("ftyp");
  w.fourcc("iso6");
  w.u32(0);
  for (const char* brand : {"iso6", "cmfc", "mp41", "dash"})
    w.fourcc(brand);
  w.end(ftyp);

  auto moov = w.box("moov");
  auto mvhd = w.full_box("mvhd", 0, 0);
  w.u32(0), w.u32(0), w.u32(1000), w.u32(0);
  w.u32(0x00010000);  // rate 1.0
  w.u16(0x0100);      // volume 1.0
  w.zeros(10);
  matrix(w);
  w.zeros(24);
  w.u32(audio_track_id + 1);  // next_track_ID
  w.end(mvhd);
  if (video)
    trak(w, video_track_id, &*video, nullptr);
  if (audio)
    trak(w, audio_track_id, nullptr, &*audio);
  auto mvex = w.box("mvex");
  for (std::uint32_t id : {video_track_id, audio_track_id}) {
    if ((id == video_track_id && !video) || (id == audio_track_id && !audio))
      continue;
    auto trex = w.full_box("trex", 0, 0);
    w.u32(id), w.u32(1), w.u32(0), w.u32(0), w.u32(0);
    w.end(trex);
  }
  w.end(mvex);
  w.end(moov);
  return w.take();
}

bytes fragment(std::uint32_t sequence, const std::vector<run>& runs) {
  writer w;
  auto moof = w.box("moof");
  auto mfhd = w.full_box("mfhd", 0, 0);
  w.u32(sequence);
  w.end(mfhd);
  std::vector<std::size_t> offsets;  // where each trun's data_offset goes
  for (const auto& r : runs) {
    if (r.samples.empty())
      continue;
    auto traf = w.box("traf");
    auto tfhd = w.full_box("tfhd", 0, 0x020000);  // default-base-is-moof
    w.u32(r.track_id);
    w.end(tfhd);
    auto tfdt = w.full_box("tfdt", 1, 0);
    w.u64(r.base_decode_time);
    w.end(tfdt);
    // data offset, then per sample: duration, size, flags
    auto trun = w.full_box("trun", 0, 0x000001 | 0x000100 | 0x000200 | 0x000400);
    w.u32(static_cast<std::uint32_t>(r.samples.size()));
    offsets.push_back(w.size());
    w.u32(0);
    for (const auto& s : r.samples) {
      w.u32(s.duration);
      w.u32(static_cast<std::uint32_t>(s.data.size()));
      w.u32(s.sync ? flags_sync : flags_non_sync);
    }
    w.end(trun);
    w.end(traf);
  }
  w.end(moof);

  // data_offset counts from the start of moof (default-base-is-moof).
  std::size_t data = w.size() + 8;
  std::size_t payload = 0;
  std::size_t i = 0;
  for (const auto& r : runs) {
    if (r.samples.empty())
      continue;
    w.patch32(offsets[i++], static_cast<std::uint32_t>(data + payload));
    for (const auto& s : r.samples)
      payload += s.data.size();
  }
  w.u32(static_cast<std::uint32_t>(8 + payload));
  w.fourcc("mdat");
  for (const auto& r : runs)
    for (const auto& s : r.samples)
      w.append(s.data);
  return w.take();
}

}  // namespace vr::media::fmp4
