#include "test/peer/webrtc_peer.hpp"

#include "media/gst_ptr.hpp"
#include "media/peer_connection.hpp"
#include "media/runtime.hpp"
#include "media/voice_activity.hpp"
#include "media/webrtcbin/ssrc_clearing.hpp"
#include "media/webrtcbin/webrtcbin_tuning.hpp"
#include "test/peer/encoded_loop.hpp"
#include "test/peer/stamp.hpp"

#include <gst/rtp/rtp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace vr::test {
using namespace vr::media;

namespace {

// When each RTP packet (ssrc, seq) left a publishing webrtc_peer of this
// process, so a receiving one can compute the one-way delay through the SFU.
class sent_registry {
public:
  static sent_registry& instance() {
    static sent_registry r;
    return r;
  }
  void record(std::uint32_t ssrc, std::uint16_t seq, gint64 now_us) {
    std::lock_guard lock(mutex_);
    if (sent_.size() > 200000) {  // bound memory: forget packets older than 10 s
      std::erase_if(sent_, [&](auto& kv) { return now_us - kv.second > 10'000'000; });
    }
    sent_[key(ssrc, seq)] = now_us;
  }
  bool lookup(std::uint32_t ssrc, std::uint16_t seq, gint64& sent_us) {
    std::lock_guard lock(mutex_);
    auto it = sent_.find(key(ssrc, seq));
    if (it == sent_.end())
      return false;
    sent_us = it->second;
    return true;
  }

private:
  static std::uint64_t key(std::uint32_t ssrc, std::uint16_t seq) {
    return (std::uint64_t(ssrc) << 16) | seq;
  }
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, gint64> sent_;
};

bool rtp_header(GstBuffer* buf, std::uint32_t& ssrc, std::uint16_t& seq) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return false;
  ssrc = gst_rtp_buffer_get_ssrc(&rtp);
  seq = gst_rtp_buffer_get_seq(&rtp);
  gst_rtp_buffer_unmap(&rtp);
  return true;
}

// RFC 7741: the first packet of a VP8 keyframe has S=1, PID=0 and, in the
// VP8 payload header after the descriptor, the inverse key frame bit P=0.
bool vp8_keyframe_start(GstBuffer* buf) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return false;
  const auto* p = static_cast<const std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp));
  guint len = gst_rtp_buffer_get_payload_len(&rtp);
  bool key = false;
  if (len >= 1) {
    guint i = 1;
    bool start = p[0] & 0x10, pid0 = (p[0] & 0x07) == 0;
    if (p[0] & 0x80) {  // X: extension byte follows
      if (len < 2)
        goto out;
      std::uint8_t x = p[1];
      i = 2;
      if (x & 0x80) {  // I: picture id, 7 or 15 bits
        if (i >= len)
          goto out;
        i += (p[i] & 0x80) ? 2 : 1;
      }
      if (x & 0x40)
        i += 1;  // L: TL0PICIDX
      if (x & 0x30)
        i += 1;  // T or K: TID/KEYIDX
    }
    key = start && pid0 && i < len && (p[i] & 0x01) == 0;
  }
out:
  gst_rtp_buffer_unmap(&rtp);
  return key;
}

// RFC 6184: an IDR slice (NAL type 5) starts in this packet, alone, inside a
// STAP-A, or as the first fragment of an FU-A.
bool h264_keyframe_start(GstBuffer* buf) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return false;
  const auto* p = static_cast<const std::uint8_t*>(gst_rtp_buffer_get_payload(&rtp));
  guint len = gst_rtp_buffer_get_payload_len(&rtp);
  bool key = false;
  if (len >= 1) {
    unsigned type = p[0] & 0x1f;
    if (type == 5) {
      key = true;
    } else if (type == 24) {  // STAP-A: 16-bit size, NAL unit, ...
      for (guint i = 1; i + 2 < len;) {
        guint size = (p[i] << 8) | p[i + 1];
        if ((p[i + 2] & 0x1f) == 5)
          key = true;
        i += 2 + size;
      }
    } else if (type == 28 && len >= 2) {  // FU-A: start bit and original type
      key = (p[1] & 0x80) && (p[1] & 0x1f) == 5;
    }
  }
  gst_rtp_buffer_unmap(&rtp);
  return key;
}

void make_clocksync_passthrough(GstBin*, GstBin*, GstElement* element, gpointer) {
  // Send packets as they are produced: the latency measured is the SFU's.
  GstElementFactory* factory = gst_element_get_factory(element);
  if (factory && !std::strcmp(GST_OBJECT_NAME(factory), "clocksync"))
    g_object_set(element, "sync", FALSE, nullptr);
}

// The lossy wire (peer_options::drop_every), just before SRTP: RTX has kept
// the packet by then. Only video payload types (VP8 96, H264 102) are dropped,
// never their RTX (webrtcbin picks other types) nor RTCP.
struct wire_loss {
  std::atomic<unsigned> every{0};  // 0: nothing dropped (any more)
  std::atomic<std::uint64_t> seen{0}, dropped{0};
};

GstPadProbeReturn lose_on_wire(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& w = unbox<wire_loss>(data);
  guint8 head[2];
  if (gst_buffer_extract(GST_PAD_PROBE_INFO_BUFFER(info), 0, head, sizeof head) != sizeof head)
    return GST_PAD_PROBE_OK;
  int pt = head[1] & 0x7f;
  unsigned every = w->every.load(std::memory_order_relaxed);
  if (every == 0 || (pt != 96 && pt != 102) || ++w->seen % every != 0)
    return GST_PAD_PROBE_OK;
  w->dropped++;
  return GST_PAD_PROBE_DROP;
}

gboolean lose_on_pad(GstElement*, GstPad* pad, gpointer data) {
  if (g_str_has_prefix(GST_PAD_NAME(pad), "rtp_sink_"))
    add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &lose_on_wire, unbox<wire_loss>(data));
  return TRUE;
}

void add_wire_loss(GstBin*, GstBin*, GstElement* element, gpointer data) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (!factory || std::strcmp(GST_OBJECT_NAME(factory), "dtlssrtpenc"))
    return;
  // Its RTP sink pad is usually requested before the element reaches our bin.
  gst_element_foreach_sink_pad(element, &lose_on_pad, data);
  connect(
    element, "pad-added", +[](GstElement* e, GstPad* pad, gpointer d) { lose_on_pad(e, pad, d); },
    unbox<wire_loss>(data));
}

// State the streaming threads update (held by pad probes, not by the pipeline,
// so there is no reference cycle).
struct receive_state {
  mutable std::mutex mutex;
  std::map<std::string, std::string> mid_to_track;
  std::map<std::string, received_track> by_key;
  std::map<std::string, std::uint32_t> ssrc_of;  // by key
  std::map<std::string, pad_ptr> pad_of;         // webrtcbin src pad by mid
  struct seq_span {
    std::uint64_t first = 0, highest = 0;  // extended (with wrap-arounds)
  };
  std::map<std::string, seq_span> seq_of;  // by key
  std::vector<double> latencies_ms;

  std::string key_for(const std::string& mid) const {
    auto it = mid_to_track.find(mid);
    return it != mid_to_track.end() ? it->second : "mid:" + mid;
  }
};

struct pad_ctx {
  std::shared_ptr<receive_state> state;
  std::string mid, kind;
  bool vp8 = false, h264 = false;
};

GstPadProbeReturn count_packet(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& ctx = unbox<pad_ctx>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  gint64 now = g_get_monotonic_time();
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  gint64 sent = 0;
  bool parsed = rtp_header(buf, ssrc, seq);
  bool timed =
    read_stamp(buf, sent) || (parsed && sent_registry::instance().lookup(ssrc, seq, sent));
  bool key = (ctx->vp8 && vp8_keyframe_start(buf)) || (ctx->h264 && h264_keyframe_start(buf));

  std::lock_guard lock(ctx->state->mutex);
  std::string k = ctx->state->key_for(ctx->mid);
  auto& t = ctx->state->by_key[k];
  t.track_id = k;
  t.mid = ctx->mid;
  t.kind = ctx->kind;
  t.packets++;
  t.bytes += gst_buffer_get_size(buf);
  if (key)
    t.keyframes++;
  if (parsed) {
    ctx->state->ssrc_of[k] = ssrc;
    auto [span, fresh] = ctx->state->seq_of.try_emplace(k);
    auto& sp = span->second;
    if (fresh) {
      sp.first = sp.highest = (1u << 16) + seq;  // room below for a late packet
    } else {
      // The extended number nearest the highest seen.
      std::int64_t delta =
        static_cast<std::int16_t>(static_cast<std::uint16_t>(seq - (sp.highest & 0xffff)));
      auto ext = static_cast<std::uint64_t>(static_cast<std::int64_t>(sp.highest) + delta);
      sp.highest = std::max(sp.highest, ext);
      sp.first = std::min(sp.first, ext);
    }
    t.expected = sp.highest - sp.first + 1;
  }
  if (timed && ctx->state->latencies_ms.size() < 1'000'000)
    ctx->state->latencies_ms.push_back(double(now - sent) / 1000.0);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn stamp_sent(GstPad*, GstPadProbeInfo* info, gpointer) {
  auto** buf = reinterpret_cast<GstBuffer**>(&GST_PAD_PROBE_INFO_DATA(info));
  stamp_rtp(buf);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn record_sent(GstPad*, GstPadProbeInfo* info, gpointer) {
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  if (rtp_header(GST_PAD_PROBE_INFO_BUFFER(info), ssrc, seq))
    sent_registry::instance().record(ssrc, seq, g_get_monotonic_time());
  return GST_PAD_PROBE_OK;
}

// The audio-level extension written into each audio packet (one-byte form).
struct audio_level_writer {
  unsigned id = 0;
  std::atomic<std::uint8_t> level{127};
};

GstPadProbeReturn write_audio_level(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& w = *static_cast<audio_level_writer*>(data);
  GstBuffer* buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buf;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map(buf, GST_MAP_READWRITE, &rtp)) {
    guint8 byte = w.level.load(std::memory_order_relaxed) & 0x7f;
    gst_rtp_buffer_add_extension_onebyte_header(&rtp, static_cast<guint8>(w.id), &byte, 1);
    gst_rtp_buffer_unmap(&rtp);
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

struct webrtc_peer::impl : std::enable_shared_from_this<webrtc_peer::impl> {
  std::string name;
  peer_options opts;
  signaling sig;
  std::shared_ptr<runtime> rt;
  element_ptr pipeline;
  std::unique_ptr<peer_connection> pub, sub;
  std::vector<element_ptr> sources;
  struct candidate_msg {
    std::string candidate;
    unsigned mline;
  };
  std::vector<candidate_msg> early_sub_candidates;  // before the first offer
  bool closed = false;
  std::string first_offer;  // as sent, for renegotiate_publish
  int offer_version = 0;
  int answers_to_ignore = 0;  // renegotiations this side cannot apply
  mutable std::mutex answer_mutex;
  std::string last_answer;

  std::atomic<bool> pub_connected{false}, sub_connected{false};
  std::atomic<std::size_t> offers{0};
  std::shared_ptr<receive_state> recv = std::make_shared<receive_state>();
  std::shared_ptr<wire_loss> loss = std::make_shared<wire_loss>();
  audio_level_writer audio_level;  // outlives the pipeline's probes (teardown first)

  GstBin* bin() const { return GST_BIN(pipeline.get()); }

  void report(const std::string& what) {
    if (sig.error)
      sig.error(name + ": " + what);
  }

  media::ice_config ice() const {
    media::ice_config c;
    if (!opts.address.empty())
      c.local_addresses = {opts.address};
    return c;
  }

  std::unique_ptr<peer_connection> make_pc(media::pc_kind kind) {
    std::weak_ptr<impl> weak = weak_from_this();
    peer_connection::handlers h;
    h.candidate = [weak, kind](unsigned mline, std::string c) {
      auto self = weak.lock();
      if (self && !self->closed && !c.empty() && self->sig.candidate)
        self->sig.candidate(kind, std::move(c), mline);
    };
    h.state = [weak, kind](GstWebRTCPeerConnectionState s) {
      if (auto self = weak.lock()) {
        bool up = s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
        (kind == media::pc_kind::publish ? self->pub_connected : self->sub_connected) = up;
      }
    };
    if (kind == media::pc_kind::subscribe) {
      auto state = recv;
      GstBin* pipeline_bin = bin();
      h.pad_added = [state, pipeline_bin](GstPad* pad) {
        on_receive_pad(state, pipeline_bin, pad);
      };
    }
    std::string label = name + (kind == media::pc_kind::publish ? "-pub" : "-sub");
    return std::make_unique<peer_connection>(*rt, bin(), label, ice(), opts.receive_latency_ms,
                                             std::move(h));
  }

  // Streaming thread: count what arrives, then throw it away.
  static void on_receive_pad(const std::shared_ptr<receive_state>& state, GstBin* pipeline,
                             GstPad* pad) {
    auto ctx = std::make_shared<pad_ctx>();
    ctx->state = state;
    GstWebRTCRTPTransceiver* raw = nullptr;
    g_object_get(pad, "transceiver", &raw, nullptr);
    gst_object_ptr<GstWebRTCRTPTransceiver> trans(raw);
    gchar* mid = nullptr;
    if (trans)
      g_object_get(trans.get(), "mid", &mid, nullptr);
    ctx->mid = to_string(gchar_ptr(mid));
    if (caps_ptr caps{gst_pad_get_current_caps(pad)}) {
      const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
      const char* media = gst_structure_get_string(s, "media");
      const char* enc = gst_structure_get_string(s, "encoding-name");
      ctx->kind = media ? media : "";
      ctx->vp8 = enc && !g_ascii_strcasecmp(enc, "VP8");
      ctx->h264 = enc && !g_ascii_strcasecmp(enc, "H264");
    }
    add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &count_packet, ctx);
    {
      std::lock_guard lock(state->mutex);
      state->pad_of[ctx->mid] = retain(pad);
    }

    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(pipeline, sink);
    gst_element_sync_state_with_parent(sink);
    pad_ptr sinkpad{gst_element_get_static_pad(sink, "sink")};
    gst_pad_link(pad, sinkpad.get());
  }

  std::unique_ptr<encoded_loop::feed> feed;

  // `description` ends in a capsfilter named "rtpcaps", which gets `caps`.
  // Returns the source bin (null on failure).
  GstElement* add_source(const std::string& description, caps_ptr caps) {
    GError* raw_err = nullptr;
    GstElement* raw = gst_parse_bin_from_description(description.c_str(), TRUE, &raw_err);
    error_ptr err(raw_err);
    if (!raw) {
      report("cannot build source: " + std::string(err ? err->message : "?"));
      return nullptr;
    }
    gst_object_ref_sink(raw);
    element_ptr source(raw);
    element_ptr filter{gst_bin_get_by_name(GST_BIN(source.get()), "rtpcaps")};
    if (filter)
      g_object_set(filter.get(), "caps", caps.get(), nullptr);
    gst_bin_add(bin(), source.get());

    pad_ptr src{gst_element_get_static_pad(source.get(), "src")};
    gst_pad_add_probe(src.get(), GST_PAD_PROBE_TYPE_BUFFER, opts.loop ? &stamp_sent : &record_sent,
                      nullptr, nullptr);
    GstElement* webrtc = pub->element();
    GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc), "sink_%u");
    pad_ptr sink{gst_element_request_pad(webrtc, templ, nullptr, caps.get())};
    gst_pad_link(src.get(), sink.get());
    GstWebRTCRTPTransceiver* trans = nullptr;
    g_object_get(sink.get(), "transceiver", &trans, nullptr);
    gst_object_ptr<GstWebRTCRTPTransceiver> owned(trans);
    g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
    if (opts.drop_every > 0 && caps_kind(caps.get()) == "video")
      g_object_set(trans, "do-nack", TRUE, nullptr);
    gst_element_sync_state_with_parent(source.get());
    sources.push_back(std::move(source));
    return sources.back().get();
  }

  // The load generator's sources: the shared encoded loop through appsrcs.
  void add_loop_sources() {
    auto& loop = *opts.loop;
    element_ptr v, a;
    auto appsrc = [](const caps_ptr& caps) {
      gchar_ptr text{gst_caps_to_string(caps.get())};
      return "appsrc name=in is-live=true do-timestamp=true format=time max-buffers=30 "
             "leaky-type=downstream caps=\"" +
             std::string{text.get()} + "\"";
    };
    if (opts.video) {
      guint ssrc = g_random_int();
      auto* bin =
        add_source(appsrc(loop.video_caps()) + " ! rtpvp8pay pt=96 picture-id-mode=15-bit ssrc=" +
                     std::to_string(ssrc) + " ! capsfilter name=rtpcaps",
                   caps_ptr(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING,
                                                "video", "encoding-name", G_TYPE_STRING, "VP8",
                                                "payload", G_TYPE_INT, 96, "clock-rate", G_TYPE_INT,
                                                90000, "ssrc", G_TYPE_UINT, ssrc, nullptr)));
      if (bin)
        v.reset(gst_bin_get_by_name(GST_BIN(bin), "in"));
    }
    if (opts.audio) {
      guint ssrc = g_random_int();
      auto* bin =
        add_source(appsrc(loop.audio_caps()) + " ! rtpopuspay pt=111 ssrc=" + std::to_string(ssrc) +
                     " ! capsfilter name=rtpcaps",
                   caps_ptr(gst_caps_new_simple(
                     "application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
                     G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, 111, "clock-rate", G_TYPE_INT,
                     48000, "ssrc", G_TYPE_UINT, ssrc, nullptr)));
      if (bin)
        a.reset(gst_bin_get_by_name(GST_BIN(bin), "in"));
    }
    feed = loop.attach(v.get(), a.get());
  }

  void publish() {
    if (!pub)
      pub = make_pc(media::pc_kind::publish);
    // Explicit SSRCs in the caps: webrtcbin then writes a=ssrc lines, which is
    // how the server's webrtcbin maps our packets to m-lines.
    if (opts.loop) {
      add_loop_sources();
    } else if (opts.video) {
      guint ssrc = g_random_int();
      std::string raw =
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=" + std::to_string(opts.width) +
        ",height=" + std::to_string(opts.height) + ",framerate=" + std::to_string(opts.fps) + "/1";
      std::string distance = std::to_string(opts.keyframe_distance);
      if (opts.video_codec == "H264") {
        add_source(
          raw + " ! openh264enc complexity=low bitrate=300000 gop-size=" + distance +
            " ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1"
            " aggregate-mode=zero-latency ssrc=" +
            std::to_string(ssrc) + " ! capsfilter name=rtpcaps",
          caps_ptr(gst_caps_new_simple(
            "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
            "H264", "payload", G_TYPE_INT, 102, "clock-rate", G_TYPE_INT, 90000,
            "packetization-mode", G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING, "42e01f",
            "ssrc", G_TYPE_UINT, ssrc, nullptr)));
      } else {
        add_source(
          raw +
            " ! vp8enc deadline=1 cpu-used=8 target-bitrate=300000 keyframe-max-dist=" + distance +
            " ! rtpvp8pay pt=96 ssrc=" + std::to_string(ssrc) + " ! capsfilter name=rtpcaps",
          caps_ptr(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video",
                                       "encoding-name", G_TYPE_STRING, "VP8", "payload", G_TYPE_INT,
                                       96, "clock-rate", G_TYPE_INT, 90000, "ssrc", G_TYPE_UINT,
                                       ssrc, nullptr)));
      }
    }
    if (opts.audio && !opts.loop) {
      guint ssrc = g_random_int();
      caps_ptr caps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                        "encoding-name", G_TYPE_STRING, "OPUS", "payload",
                                        G_TYPE_INT, 111, "clock-rate", G_TYPE_INT, 48000, "ssrc",
                                        G_TYPE_UINT, ssrc, nullptr));
      // webrtcbin offers each extmap-N caps field as a=extmap:N.
      std::string extmap = "extmap-" + std::to_string(opts.audio_level_id);
      if (opts.audio_level_id)
        gst_caps_set_simple(caps.get(), extmap.c_str(), G_TYPE_STRING, media::audio_level_uri,
                            nullptr);
      GstElement* source = add_source(
        // No header extension of the payloader's own: with extmap-N in the
        // downstream caps rtpopuspay would add one (it writes no level without
        // level meta); the probe below writes ours.
        "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc ! rtpopuspay "
        "pt=111 auto-header-extension=false "
        "ssrc=" +
          std::to_string(ssrc) + " ! capsfilter name=rtpcaps",
        std::move(caps));
      if (source && opts.audio_level_id) {
        audio_level.id = opts.audio_level_id;
        pad_ptr src{gst_element_get_static_pad(source, "src")};
        gst_pad_add_probe(src.get(), GST_PAD_PROBE_TYPE_BUFFER, &write_audio_level, &audio_level,
                          nullptr);
      }
    }
    auto self = shared_from_this();
    pub->create_offer([self](sdp_ptr offer, std::string err) {
      if (!offer)
        return self->report("create publish offer: " + err);
      auto holder = std::make_shared<sdp_ptr>(std::move(offer));
      self->pub->set_local(GST_WEBRTC_SDP_TYPE_OFFER, **holder, [self, holder](std::string err) {
        if (!err.empty())
          return self->report("set publish offer: " + err);
        self->first_offer = sdp_text(holder->get());
        if (!self->closed && self->sig.publish_offer)
          self->sig.publish_offer(self->first_offer);
      });
    });
  }

  void on_publish_answer(const std::string& text) {
    {
      std::lock_guard lock(answer_mutex);
      last_answer = text;
    }
    if (answers_to_ignore) {
      answers_to_ignore--;
      return;
    }
    sdp_ptr answer = parse_sdp(text);
    if (!pub || !answer)
      return report("unexpected publish answer");
    auto self = shared_from_this();
    pub->set_remote(GST_WEBRTC_SDP_TYPE_ANSWER, *answer, [self](std::string err) {
      if (!err.empty())
        self->report("set publish answer: " + err);
    });
  }

  void on_subscribe_offer(const std::string& text, const std::map<std::string, std::string>& mids) {
    if (!opts.subscribe)
      return;
    sdp_ptr offer = parse_sdp(text);
    if (!offer)
      return report("subscribe offer is not SDP");
    offers++;
    {
      std::lock_guard lock(recv->mutex);
      for (auto& [mid, track] : mids)
        recv->mid_to_track[mid] = track;
    }
    if (!sub) {
      sub = make_pc(media::pc_kind::subscribe);
      for (auto& c : early_sub_candidates)
        sub->add_candidate(c.mline, c.candidate);
      early_sub_candidates.clear();
    }
    auto self = shared_from_this();
    sub->set_remote(GST_WEBRTC_SDP_TYPE_OFFER, *offer, [self](std::string err) {
      if (!err.empty())
        return self->report("set subscribe offer: " + err);
      self->sub->create_answer([self](sdp_ptr answer, std::string err) {
        if (!answer)
          return self->report("create subscribe answer: " + err);
        auto holder = std::make_shared<sdp_ptr>(std::move(answer));
        self->sub->set_local(GST_WEBRTC_SDP_TYPE_ANSWER, **holder, [self, holder](std::string err) {
          if (!err.empty())
            return self->report("set subscribe answer: " + err);
          if (!self->closed && self->sig.subscribe_answer)
            self->sig.subscribe_answer(sdp_text(holder->get()));
        });
      });
    });
  }

  void renegotiate_publish(const std::vector<std::string>& inactive_kinds) {
    sdp_ptr offer = parse_sdp(first_offer);
    if (!offer)
      return report("renegotiate_publish before the first offer");
    // Copies: set_origin frees the old strings before duplicating the new ones.
    const GstSDPOrigin* o = gst_sdp_message_get_origin(offer.get());
    std::string user = o->username, id = o->sess_id, net = o->nettype, type = o->addrtype,
                addr = o->addr;
    std::string version = std::to_string(++offer_version);
    gst_sdp_message_set_origin(offer.get(), user.c_str(), id.c_str(), version.c_str(), net.c_str(),
                               type.c_str(), addr.c_str());
    for (guint i = 0; i < gst_sdp_message_medias_len(offer.get()); i++) {
      auto* m = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(offer.get(), i));
      std::string kind = gst_sdp_media_get_media(m);
      if (std::find(inactive_kinds.begin(), inactive_kinds.end(), kind) == inactive_kinds.end())
        continue;
      for (guint j = gst_sdp_media_attributes_len(m); j-- > 0;)
        if (!std::strcmp(gst_sdp_media_get_attribute(m, j)->key, "sendonly"))
          gst_sdp_media_remove_attribute(m, j);
      gst_sdp_media_add_attribute(m, "inactive", "");
    }
    answers_to_ignore++;
    if (sig.publish_offer)
      sig.publish_offer(sdp_text(offer.get()));
  }

  void on_candidate(media::pc_kind kind, const std::string& c, unsigned mline) {
    if (kind == media::pc_kind::publish) {
      if (pub)
        pub->add_candidate(mline, c);
    } else if (sub) {
      sub->add_candidate(mline, c);
    } else {
      early_sub_candidates.push_back({c, mline});
    }
  }

  // rtpbin keeps a jitterbuffer (and its two threads) per remote SSRC until
  // an RTCP timeout; drop the ones of tracks the server said are gone.
  void forget(const std::vector<std::string>& track_ids) {
    if (!sub)
      return;
    std::vector<std::uint32_t> ssrcs;
    {
      std::lock_guard lock(recv->mutex);
      for (auto& id : track_ids)
        if (auto it = recv->ssrc_of.find(id); it != recv->ssrc_of.end())
          ssrcs.push_back(it->second);
    }
    element_ptr rtpbin{gst_bin_get_by_name(GST_BIN(sub->element()), "rtpbin")};
    clear_ssrcs_when_idle(rtpbin.get(), 0 /* the bundle's session */, ssrcs);
  }

  void request_keyframe(const std::string& track_id) {
    pad_ptr pad;
    {
      std::lock_guard lock(recv->mutex);
      for (auto& [mid, track] : recv->mid_to_track)
        if (track == track_id)
          if (auto it = recv->pad_of.find(mid); it != recv->pad_of.end())
            pad = retain(it->second.get());
    }
    // Upstream into webrtcbin: rtpptdemux / rtpssrcdemux add payload and
    // ssrc, and rtpsession turns it into an RTCP PLI to the server.
    GstStructure* s =
      gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, FALSE, nullptr);
    if (pad)
      gst_pad_send_event(pad.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
    else
      gst_structure_free(s);
  }

  void teardown() {
    {
      std::lock_guard lock(recv->mutex);
      recv->pad_of.clear();
    }
    closed = true;
    feed.reset();  // no more pushes into appsrcs about to go
    pub.reset();
    sub.reset();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    sources.clear();
    pipeline.reset();
  }
};

webrtc_peer::webrtc_peer(std::string name, peer_options opts, signaling sig)
    : impl_(std::make_shared<impl>()) {
  impl_->rt = runtime::shared();
  impl_->name = std::move(name);
  impl_->opts = std::move(opts);
  impl_->sig = std::move(sig);
  impl_->pipeline.reset(gst_pipeline_new(("peer-" + impl_->name).c_str()));
  gst_object_ref_sink(impl_->pipeline.get());
  g_signal_connect(impl_->pipeline.get(), "deep-element-added",
                   G_CALLBACK(&make_clocksync_passthrough), nullptr);
  // The load generator receives the way the server does (no jitterbuffer
  // thread, no receive queue hand-off): one core must carry 50 subscribers,
  // and the delay it measures should be the server's, not its own queueing.
  // (Streams are kept after a timeout: the benchmark stops servers for a while.)
  if (impl_->opts.loop)
    g_signal_connect(impl_->pipeline.get(), "deep-element-added",
                     G_CALLBACK(&media::tune_webrtcbin_element),
                     GINT_TO_POINTER(media::nack_buffers));
  if (impl_->opts.drop_every > 0) {
    impl_->loss->every = impl_->opts.drop_every;
    connect(impl_->pipeline.get(), "deep-element-added", &add_wire_loss, impl_->loss);
  }
  gst_element_set_state(impl_->pipeline.get(), GST_STATE_PLAYING);
}

webrtc_peer::~webrtc_peer() {
  auto self = impl_;
  self->rt->run_sync([self] { self->teardown(); });
}

const std::string& webrtc_peer::name() const { return impl_->name; }

void webrtc_peer::publish() {
  impl_->rt->post([self = impl_] {
    if (!self->closed)
      self->publish();
  });
}

void webrtc_peer::on_publish_answer(std::string sdp) {
  impl_->rt->post([self = impl_, sdp = std::move(sdp)] {
    if (!self->closed)
      self->on_publish_answer(sdp);
  });
}

void webrtc_peer::on_subscribe_offer(std::string sdp,
                                     std::map<std::string, std::string> mid_to_track) {
  impl_->rt->post([self = impl_, sdp = std::move(sdp), mids = std::move(mid_to_track)] {
    if (!self->closed)
      self->on_subscribe_offer(sdp, mids);
  });
}

void webrtc_peer::on_candidate(media::pc_kind kind, std::string candidate, unsigned mline) {
  impl_->rt->post([self = impl_, kind, c = std::move(candidate), mline] {
    if (!self->closed)
      self->on_candidate(kind, c, mline);
  });
}

void webrtc_peer::renegotiate_publish(std::vector<std::string> inactive_kinds) {
  impl_->rt->post([self = impl_, kinds = std::move(inactive_kinds)] {
    if (!self->closed)
      self->renegotiate_publish(kinds);
  });
}

std::string webrtc_peer::last_publish_answer() const {
  std::lock_guard lock(impl_->answer_mutex);
  return impl_->last_answer;
}

void webrtc_peer::request_keyframe(std::string track_id) {
  impl_->rt->post([self = impl_, id = std::move(track_id)] {
    if (!self->closed)
      self->request_keyframe(id);
  });
}

void webrtc_peer::forget_tracks(std::vector<std::string> track_ids) {
  impl_->rt->post([self = impl_, ids = std::move(track_ids)] {
    if (!self->closed)
      self->forget(ids);
  });
}

std::map<std::string, received_track> webrtc_peer::received() const {
  std::lock_guard lock(impl_->recv->mutex);
  return impl_->recv->by_key;
}

std::uint64_t webrtc_peer::packets(const std::string& track_id) const {
  std::lock_guard lock(impl_->recv->mutex);
  auto it = impl_->recv->by_key.find(track_id);
  return it == impl_->recv->by_key.end() ? 0 : it->second.packets;
}

std::uint64_t webrtc_peer::keyframes(const std::string& track_id) const {
  std::lock_guard lock(impl_->recv->mutex);
  auto it = impl_->recv->by_key.find(track_id);
  return it == impl_->recv->by_key.end() ? 0 : it->second.keyframes;
}

std::uint64_t webrtc_peer::total_packets() const {
  std::lock_guard lock(impl_->recv->mutex);
  std::uint64_t n = 0;
  for (auto& [k, t] : impl_->recv->by_key)
    n += t.packets;
  return n;
}

std::size_t webrtc_peer::offers_received() const { return impl_->offers.load(); }
bool webrtc_peer::publish_connected() const { return impl_->pub_connected.load(); }
std::uint64_t webrtc_peer::wire_dropped() const { return impl_->loss->dropped.load(); }

void webrtc_peer::stop_wire_loss() { impl_->loss->every = 0; }
void webrtc_peer::set_audio_level(std::uint8_t level) { impl_->audio_level.level = level; }
bool webrtc_peer::subscribe_connected() const { return impl_->sub_connected.load(); }

latency_summary webrtc_peer::latency() const {
  std::vector<double> v;
  {
    std::lock_guard lock(impl_->recv->mutex);
    v = impl_->recv->latencies_ms;
  }
  latency_summary s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  s.samples = v.size();
  s.min_ms = v.front();
  s.median_ms = v[v.size() / 2];
  s.p95_ms = v[std::min(v.size() - 1, v.size() * 95 / 100)];
  s.p99_ms = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  s.max_ms = v.back();
  return s;
}

void webrtc_peer::clear_latency() {
  std::lock_guard lock(impl_->recv->mutex);
  impl_->recv->latencies_ms.clear();
}

}  // namespace vr::test
