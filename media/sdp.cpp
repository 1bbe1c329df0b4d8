#include "media/sdp.hpp"

#include "media/voice_activity.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

namespace vr::media::sdp {
namespace {

void free_media(GstSDPMedia* m) { gst_sdp_media_free(m); }
using media_ptr = std::unique_ptr<GstSDPMedia, detail::call_deleter<free_media>>;

// gst_sdp_message_get_media only hands out const pointers although the message
// owns the media; the copy we edit is ours, so casting is safe.
GstSDPMedia* media_at(GstSDPMessage* msg, unsigned i) {
  return const_cast<GstSDPMedia*>(gst_sdp_message_get_media(msg, i));
}

std::string attr(const GstSDPMedia* m, const char* key) {
  const char* v = gst_sdp_media_get_attribute_val(m, key);
  return v ? v : "";
}

bool has_attr(const GstSDPMedia* m, const char* key) {
  return gst_sdp_media_get_attribute_val(m, key) != nullptr;
}

const char* direction_of(const GstSDPMedia* m) {
  for (const char* d : {"sendrecv", "sendonly", "recvonly", "inactive"})
    if (has_attr(m, d))
      return d;
  return "sendrecv";  // RFC 4566 default
}

void set_direction(GstSDPMedia* m, const char* dir) {
  for (guint i = gst_sdp_media_attributes_len(m); i-- > 0;) {
    const char* k = gst_sdp_media_get_attribute(m, i)->key;
    if (!std::strcmp(k, "sendrecv") || !std::strcmp(k, "sendonly") || !std::strcmp(k, "recvonly") ||
        !std::strcmp(k, "inactive"))
      gst_sdp_media_remove_attribute(m, i);
  }
  gst_sdp_media_add_attribute(m, dir, "");
}

// "96 VP8/90000" → (96, "vp8", 90000)
struct rtpmap {
  int pt = -1;
  std::string name;  // lower case
  int clock = 0;
};
std::map<int, rtpmap> rtpmaps(const GstSDPMedia* m) {
  std::map<int, rtpmap> out;
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (std::strcmp(a->key, "rtpmap") || !a->value)
      continue;
    rtpmap r;
    char* end = nullptr;
    r.pt = static_cast<int>(std::strtol(a->value, &end, 10));
    while (end && *end == ' ')
      end++;
    std::string rest = end ? end : "";
    auto slash = rest.find('/');
    r.name = rest.substr(0, slash);
    std::transform(r.name.begin(), r.name.end(), r.name.begin(), ::tolower);
    if (slash != std::string::npos)
      r.clock = std::atoi(rest.c_str() + slash + 1);
    out[r.pt] = r;
  }
  return out;
}

std::string fmtp_of(const GstSDPMedia* m, int pt) {
  std::string prefix = std::to_string(pt) + " ";
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (!std::strcmp(a->key, "fmtp") && a->value &&
        !std::strncmp(a->value, prefix.c_str(), prefix.size()))
      return a->value + prefix.size();
  }
  return "";
}

std::string fmtp_param(const std::string& fmtp, const std::string& key) {
  std::size_t pos = 0;
  while (pos < fmtp.size()) {
    auto end = fmtp.find(';', pos);
    if (end == std::string::npos)
      end = fmtp.size();
    std::string kv = fmtp.substr(pos, end - pos);
    kv.erase(0, kv.find_first_not_of(' '));
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key)
      return kv.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

// Constrained baseline is profile_idc 0x42 with constraint_set1, or main /
// extended with the flags that make them a subset of it (RFC 6184 table 5).
bool constrained_baseline(const std::string& profile_level_id) {
  if (profile_level_id.size() != 6)
    return false;
  unsigned long v = std::strtoul(profile_level_id.c_str(), nullptr, 16);
  unsigned idc = (v >> 16) & 0xff, iop = (v >> 8) & 0xff;
  return (idc == 0x42 && (iop & 0x40)) || (idc == 0x4d && (iop & 0x80)) ||
         (idc == 0x58 && (iop & 0xc0) == 0xc0);
}

// Preference rank of a primary format, or -1 if we do not forward it.
int rank(const GstSDPMedia* m, const rtpmap& r, const codec_policy& policy) {
  if (r.name == "opus" && r.clock == 48000)
    return 0;
  if (r.name == "vp8" && r.clock == 90000)
    return policy.prefer_h264 ? 1 : 0;
  if (r.name == "h264" && r.clock == 90000) {
    std::string fmtp = fmtp_of(m, r.pt);
    if (fmtp_param(fmtp, "packetization-mode") != "1")
      return -1;
    if (!constrained_baseline(fmtp_param(fmtp, "profile-level-id")))
      return -1;
    return policy.prefer_h264 ? 0 : 1;
  }
  return -1;
}

// Keeps only forwarded codecs (and the RTX formats protecting them), ordered
// by preference: the browser sends with the first format of our answer.
// Returns the number of primary formats kept.
int filter_codecs(GstSDPMedia* m, const codec_policy& policy) {
  auto maps = rtpmaps(m);
  std::vector<std::pair<int, int>> primaries;  // (rank, pt) in offer order
  for (guint i = 0; i < gst_sdp_media_formats_len(m); i++) {
    int pt = std::atoi(gst_sdp_media_get_format(m, i));
    auto it = maps.find(pt);
    if (it == maps.end())
      continue;
    int r = rank(m, it->second, policy);
    if (r >= 0)
      primaries.emplace_back(r, pt);
  }
  if (primaries.empty())
    return 0;
  std::stable_sort(primaries.begin(), primaries.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });

  std::vector<int> order;
  std::set<int> keep;
  for (auto& [r, pt] : primaries) {
    order.push_back(pt);
    keep.insert(pt);
  }
  for (auto& [pt, r] : maps) {
    if (r.name != "rtx")
      continue;
    int apt = std::atoi(fmtp_param(fmtp_of(m, pt), "apt").c_str());
    if (keep.count(apt)) {
      order.push_back(pt);
      keep.insert(pt);
    }
  }

  while (gst_sdp_media_formats_len(m) > 0)
    gst_sdp_media_remove_format(m, 0);
  for (int pt : order)
    gst_sdp_media_add_format(m, std::to_string(pt).c_str());

  for (guint i = gst_sdp_media_attributes_len(m); i-- > 0;) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (std::strcmp(a->key, "rtpmap") && std::strcmp(a->key, "fmtp") &&
        std::strcmp(a->key, "rtcp-fb"))
      continue;
    if (!a->value || a->value[0] == '*')
      continue;  // wildcard rtcp-fb applies to all
    if (!keep.count(std::atoi(a->value)))
      gst_sdp_media_remove_attribute(m, i);
  }
  return static_cast<int>(primaries.size());
}

// webrtcbin turns H264 fmtp with level-asymmetry-allowed=1 into caps with
// `profile` instead of `profile-level-id` (gst_sdp_media_caps_adjust_h264) and
// writes its answer back without profile-level-id, which a browser reads as
// Baseline level 1.0. Put the offered value back.
void restore_h264_profile(GstSDPMedia* answer, const GstSDPMedia* offer) {
  auto maps = rtpmaps(answer);
  for (guint i = 0; i < gst_sdp_media_attributes_len(answer); i++) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(answer, i);
    if (std::strcmp(a->key, "fmtp") || !a->value)
      continue;
    int pt = std::atoi(a->value);
    auto it = maps.find(pt);
    if (it == maps.end() || it->second.name != "h264")
      continue;
    std::string params = fmtp_of(answer, pt);
    if (!fmtp_param(params, "profile-level-id").empty())
      continue;
    std::string offered = fmtp_param(fmtp_of(offer, pt), "profile-level-id");
    if (offered.empty())
      continue;
    std::string value = std::to_string(pt) + " " + params + ";profile-level-id=" + offered;
    GstSDPAttribute replacement;
    gst_sdp_attribute_set(&replacement, "fmtp", value.c_str());
    gst_sdp_media_replace_attribute(answer, i, &replacement);
  }
}

// `a=rid:<id> send` of an m-line with `a=simulcast:send <id>;<id>...`, in the
// simulcast order (alternatives "a,b" and paused "~a" are taken as listed).
std::vector<std::string> offered_rids(const GstSDPMedia* m) {
  std::set<std::string> sent;
  std::string simulcast;
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (!a->value)
      continue;
    std::string v = a->value;
    if (!std::strcmp(a->key, "rid")) {
      auto sp = v.find(' ');
      if (sp != std::string::npos && v.compare(sp + 1, 4, "send") == 0)
        sent.insert(v.substr(0, sp));
    } else if (!std::strcmp(a->key, "simulcast") && v.rfind("send ", 0) == 0) {
      simulcast = v.substr(5);
    }
  }
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= simulcast.size() && !simulcast.empty()) {
    auto end = simulcast.find_first_of(";, ", pos);
    std::string id = simulcast.substr(pos, end == std::string::npos ? end : end - pos);
    if (!id.empty() && id[0] == '~')
      id.erase(0, 1);
    if (sent.count(id) && std::find(out.begin(), out.end(), id) == out.end())
      out.push_back(id);
    if (end == std::string::npos || simulcast[end] == ' ')
      break;
    pos = end + 1;
  }
  return out;
}

constexpr const char* twcc_uri =
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

bool has_extmap(const GstSDPMedia* m, const char* uri) {
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (!std::strcmp(a->key, "extmap") && a->value && std::strstr(a->value, uri))
      return true;
  }
  return false;
}

// An offered `extmap` as the answer states it: a direction (RFC 8285
// `id/direction`) is the answerer's own, so an offer's `sendonly` (Firefox
// offers its rid extensions so) is answered `recvonly`. Echoed unchanged, it
// tells Firefox the server would send them, and Firefox then sends its layers
// without rids.
std::string answered_extmap(const std::string& offered) {
  auto slash = offered.find('/');
  auto space = offered.find(' ');
  if (slash == std::string::npos || (space != std::string::npos && slash > space))
    return offered;
  auto end = space == std::string::npos ? offered.size() : space;
  std::string dir = offered.substr(slash + 1, end - slash - 1);
  if (dir == "sendonly")
    dir = "recvonly";
  else if (dir == "recvonly")
    dir = "sendonly";
  return offered.substr(0, slash + 1) + dir + offered.substr(end);
}

// Chrome starts its bandwidth estimate at 300 kbps and splits it over the
// layers lowest first: the full layer gets its minimum (30 kbps, 2-4 fps at
// 640x480) for the 10-15 s the estimate takes to grow here, and that layer is
// what subscribers get by default (the Firefox "2 fps", media/README.md). A
// start of 1 Mbps has every layer at full rate from the first second; the
// estimate still falls where the path cannot carry it. Firefox ignores it.
constexpr const char* simulcast_start_bitrate = "x-google-start-bitrate=1000";

void set_start_bitrate(GstSDPMedia* answer) {
  for (const auto& [pt, r] : rtpmaps(answer)) {
    if (r.name != "vp8" && r.name != "vp9" && r.name != "h264" && r.name != "av1")
      continue;
    std::string prefix = std::to_string(pt) + " ";
    bool found = false;
    for (guint i = 0; i < gst_sdp_media_attributes_len(answer) && !found; i++) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(answer, i);
      if (std::strcmp(a->key, "fmtp") || !a->value ||
          std::strncmp(a->value, prefix.c_str(), prefix.size()))
        continue;
      found = true;
      std::string value = std::string(a->value) + ";" + simulcast_start_bitrate;
      GstSDPAttribute replacement;
      gst_sdp_attribute_set(&replacement, "fmtp", value.c_str());
      gst_sdp_media_replace_attribute(answer, i, &replacement);
    }
    if (!found)
      gst_sdp_media_add_attribute(answer, "fmtp", (prefix + simulcast_start_bitrate).c_str());
  }
}

// The answer's side of simulcast: webrtcbin 1.22 writes none of it.
void accept_simulcast(GstSDPMedia* answer, const GstSDPMedia* offer,
                      const std::vector<std::string>& rids) {
  set_start_bitrate(answer);
  // The layers are told apart by these extensions: answer them as offered.
  for (const char* uri :
       {"urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"}) {
    if (has_extmap(answer, uri))
      continue;
    for (guint i = 0; i < gst_sdp_media_attributes_len(offer); i++) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(offer, i);
      if (!std::strcmp(a->key, "extmap") && a->value && std::strstr(a->value, uri))
        gst_sdp_media_add_attribute(answer, "extmap", answered_extmap(a->value).c_str());
    }
  }
  std::string list;
  for (auto& rid : rids) {
    gst_sdp_media_add_attribute(answer, "rid", (rid + " recv").c_str());
    list += (list.empty() ? "" : ";") + rid;
  }
  gst_sdp_media_add_attribute(answer, "simulcast", ("recv " + list).c_str());
}

}  // namespace

unsigned extmap_id(const GstSDPMedia& m, const std::string& uri) {
  for (guint i = 0; i < gst_sdp_media_attributes_len(&m); i++) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(&m, i);
    if (std::strcmp(a->key, "extmap") || !a->value)
      continue;
    std::string v = a->value;
    auto space = v.find(' ');
    if (space == std::string::npos)
      continue;
    auto rest = v.substr(space + 1);
    if (rest.substr(0, rest.find(' ')) != uri)
      continue;
    // One-byte ids are 1..14, two-byte ones 1..255 (RFC 8285).
    long id = std::strtol(v.c_str(), nullptr, 10);
    if (id >= 1 && id <= 255)
      return static_cast<unsigned>(id);
  }
  return 0;
}

std::optional<publish_plan> plan_publish_offer(const GstSDPMessage& offer, codec_policy policy) {
  publish_plan plan;
  plan.for_webrtcbin = copy_sdp(&offer);
  GstSDPMessage* msg = plan.for_webrtcbin.get();

  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    GstSDPMedia* m = media_at(msg, i);
    publish_mline ml;
    ml.mid = attr(m, "mid");
    if (ml.mid.empty())
      return std::nullopt;
    ml.kind = gst_sdp_media_get_media(m) ? gst_sdp_media_get_media(m) : "";
    // Port 0 with a=bundle-only is a bundled m-line (RFC 8843), not a stopped one.
    ml.port_zero = gst_sdp_media_get_port(m) == 0 && !has_attr(m, "bundle-only");
    std::string dir = direction_of(m);
    ml.sending = !ml.port_zero && (dir == "sendonly" || dir == "sendrecv");

    if (ml.port_zero) {
      plan.mlines.push_back(std::move(ml));
      continue;
    }
    if (ml.kind != "audio" && ml.kind != "video") {
      if (ml.sending)
        ml.refusal = "unsupported_media";
      plan.mlines.push_back(std::move(ml));
      continue;
    }

    // Trial run on a copy: if no codec survives, webrtcbin keeps the original
    // formats (so its answer stays well-formed) and the browser gets `inactive`.
    GstSDPMedia* trial = nullptr;
    gst_sdp_media_copy(m, &trial);
    media_ptr trial_owner(trial);
    bool codec_ok = filter_codecs(trial, policy) > 0;
    if (codec_ok)
      filter_codecs(m, policy);

    if (!codec_ok)
      ml.refusal = "unsupported_codec";
    else if (policy.audio_only && ml.kind == "video")
      ml.refusal = "audio_only";
    ml.accepted = ml.sending && ml.refusal.empty();
    if (!ml.sending)
      ml.refusal.clear();
    if (ml.kind == "audio")
      ml.audio_level_id = extmap_id(*m, audio_level_uri);
    if (policy.simulcast && ml.accepted && ml.kind == "video")
      ml.rids = offered_rids(m);
    if (!ml.rids.empty())
      ml.rid_ext_id = extmap_id(*m, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");

    // Pin what webrtcbin sees: it always receives on this m-line, whatever the
    // browser does with it now or later (see the header).
    if (dir != "sendonly" && dir != "sendrecv")
      set_direction(m, "sendonly");
    plan.mlines.push_back(std::move(ml));
  }
  return plan;
}

void accept_transport_cc(GstSDPMessage& answer, const publish_plan& plan) {
  const GstSDPMessage* offer = plan.for_webrtcbin.get();
  for (guint i = 0; i < gst_sdp_message_medias_len(&answer) && i < plan.mlines.size() &&
                    i < gst_sdp_message_medias_len(offer);
       i++) {
    if (!plan.mlines[i].accepted)
      continue;
    auto* m = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(&answer, i));
    const GstSDPMedia* o = gst_sdp_message_get_media(offer, i);
    if (has_extmap(m, twcc_uri))
      continue;
    for (guint k = 0; k < gst_sdp_media_attributes_len(o); k++) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(o, k);
      if (!std::strcmp(a->key, "extmap") && a->value && std::strstr(a->value, twcc_uri))
        gst_sdp_media_add_attribute(m, "extmap", a->value);
    }
  }
}

sdp_ptr answer_for_browser(const GstSDPMessage& answer, publish_plan& plan) {
  sdp_ptr out = copy_sdp(&answer);
  GstSDPMessage* msg = out.get();
  std::set<std::string> unbundled;
  for (guint i = 0; i < gst_sdp_message_medias_len(msg) && i < plan.mlines.size(); i++) {
    GstSDPMedia* m = media_at(msg, i);
    publish_mline& ml = plan.mlines[i];
    if (i < gst_sdp_message_medias_len(plan.for_webrtcbin.get()))
      restore_h264_profile(m, gst_sdp_message_get_media(plan.for_webrtcbin.get(), i));
    if (gst_sdp_media_get_port(m) == 0 && ml.accepted) {
      ml.accepted = false;  // webrtcbin found nothing it could receive
      ml.refusal = "unsupported_codec";
    }
    if (ml.accepted && !ml.rids.empty() && i < gst_sdp_message_medias_len(plan.for_webrtcbin.get()))
      accept_simulcast(m, gst_sdp_message_get_media(plan.for_webrtcbin.get(), i), ml.rids);
    if (ml.port_zero) {
      gst_sdp_media_set_port_info(m, 0, 0);
      unbundled.insert(ml.mid);
    } else if (!ml.accepted && gst_sdp_media_get_port(m) != 0) {
      set_direction(m, "inactive");
    } else if (ml.accepted && ml.audio_level_id && !extmap_id(*m, audio_level_uri)) {
      // The server reads each packet's level (voice activity); the browser
      // only sends it when the answer accepts the extension.
      std::string v = std::to_string(ml.audio_level_id) + " " + audio_level_uri;
      gst_sdp_media_add_attribute(m, "extmap", v.c_str());
    }
  }
  if (unbundled.empty())
    return out;

  // A stopped m-line must leave the BUNDLE group (RFC 8843 7.3.3).
  for (guint i = 0; i < gst_sdp_message_attributes_len(msg); i++) {
    const GstSDPAttribute* a = gst_sdp_message_get_attribute(msg, i);
    if (std::strcmp(a->key, "group") || !a->value || std::strncmp(a->value, "BUNDLE", 6))
      continue;
    std::string group = "BUNDLE";
    std::string rest = a->value + 6;
    std::size_t pos = 0;
    while (pos < rest.size()) {
      auto start = rest.find_first_not_of(' ', pos);
      if (start == std::string::npos)
        break;
      auto end = rest.find(' ', start);
      std::string mid =
        rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!unbundled.count(mid))
        group += " " + mid;
      pos = end == std::string::npos ? rest.size() : end;
    }
    GstSDPAttribute replacement;
    gst_sdp_attribute_set(&replacement, "group", group.c_str());
    gst_sdp_message_replace_attribute(msg, i, &replacement);
    break;
  }
  return out;
}

std::vector<mline_ssrcs> ssrcs_by_mline(const GstSDPMessage& msg) {
  std::vector<mline_ssrcs> out;
  for (guint i = 0; i < gst_sdp_message_medias_len(&msg); i++) {
    const GstSDPMedia* m = gst_sdp_message_get_media(&msg, i);
    mline_ssrcs entry;
    entry.mid = attr(m, "mid");
    for (guint j = 0; j < gst_sdp_media_attributes_len(m); j++) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, j);
      if (std::strcmp(a->key, "ssrc") || !a->value)
        continue;
      auto ssrc = static_cast<std::uint32_t>(std::strtoul(a->value, nullptr, 10));
      if (std::find(entry.ssrcs.begin(), entry.ssrcs.end(), ssrc) == entry.ssrcs.end())
        entry.ssrcs.push_back(ssrc);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

void pin_rtx_ssrcs(GstSDPMessage& offer, std::map<std::uint32_t, std::uint32_t>& pinned) {
  for (guint i = 0; i < gst_sdp_message_medias_len(&offer); i++) {
    GstSDPMedia* m = media_at(&offer, i);
    std::map<std::uint32_t, std::uint32_t> renames;  // offered RTX SSRC → pinned one
    for (guint j = 0; j < gst_sdp_media_attributes_len(m); j++) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, j);
      unsigned long media_ssrc = 0, rtx_ssrc = 0;
      if (std::strcmp(a->key, "ssrc-group") || !a->value ||
          std::sscanf(a->value, "FID %lu %lu", &media_ssrc, &rtx_ssrc) != 2)
        continue;
      auto [it, fresh] = pinned.emplace(static_cast<std::uint32_t>(media_ssrc),
                                        static_cast<std::uint32_t>(rtx_ssrc));
      if (!fresh && it->second != rtx_ssrc)
        renames[static_cast<std::uint32_t>(rtx_ssrc)] = it->second;
    }
    if (renames.empty())
      continue;
    for (guint j = 0; j < gst_sdp_media_attributes_len(m); j++) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, j);
      if (!a->value)
        continue;
      std::string key = a->key, value = a->value;
      std::string renamed;
      if (key == "ssrc-group" && value.rfind("FID ", 0) == 0) {
        std::size_t last = value.rfind(' ');
        auto rtx = static_cast<std::uint32_t>(std::strtoul(value.c_str() + last + 1, nullptr, 10));
        if (auto r = renames.find(rtx); r != renames.end())
          renamed = value.substr(0, last + 1) + std::to_string(r->second);
      } else if (key == "ssrc") {
        std::size_t space = value.find(' ');
        auto ssrc = static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
        if (auto r = renames.find(ssrc); r != renames.end() && space != std::string::npos)
          renamed = std::to_string(r->second) + value.substr(space);
      }
      if (renamed.empty())
        continue;
      GstSDPAttribute replacement;
      gst_sdp_attribute_set(&replacement, key.c_str(), renamed.c_str());
      gst_sdp_media_replace_attribute(m, j, &replacement);
    }
  }
}

bool mline_accepted(const GstSDPMessage& msg, unsigned index) {
  if (index >= gst_sdp_message_medias_len(&msg))
    return false;
  const GstSDPMedia* m = gst_sdp_message_get_media(&msg, index);
  return gst_sdp_media_get_port(m) != 0 || has_attr(m, "bundle-only");
}

}  // namespace vr::media::sdp
