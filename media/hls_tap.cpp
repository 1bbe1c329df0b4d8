#include "media/hls_tap.hpp"

#include "media/forwarding.hpp"
#include "media/hls/hls_packager.hpp"

#include <gst/app/gstappsink.h>
#include <gst/video/video-event.h>

#include <stdexcept>

GST_DEBUG_CATEGORY_STATIC(vr_hls_debug);
#define GST_CAT_DEFAULT vr_hls_debug

namespace vr::media {

struct hls_tap::state {
  std::shared_ptr<hls::packager> packager;
  bool video = false;
  caps_ptr last_caps;
};

namespace {

// Leaky queue first: a slow encoder drops old packets instead of blocking the
// tee (and with it every subscriber).
constexpr const char* queue =
  "queue leaky=downstream max-size-buffers=500 max-size-bytes=0 max-size-time=0";
constexpr const char* appsink = "appsink name=sink sync=false async=false";

std::string pipeline_for(const std::string& codec, bool& transcoding) {
  std::string q = std::string{queue} + " ! ";
  transcoding = false;
  if (codec == "H264")
    return q + "rtph264depay ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! " +
           appsink;
  if (codec == "VP8") {
    transcoding = true;
    // openh264 needs a frame rate; depayloaded VP8 has none.
    return q +
           "rtpvp8depay ! vp8dec ! videoconvert ! videorate ! video/x-raw,framerate=30/1 ! "
           "openh264enc name=enc complexity=low gop-size=120 bitrate=1500000 rate-control=bitrate "
           "! "
           "h264parse ! video/x-h264,stream-format=avc,alignment=au ! " +
           appsink;
  }
  if (codec == "OPUS")
    return q +
           "rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample ! "
           "audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=96000 ! aacparse ! "
           "audio/mpeg,mpegversion=4,stream-format=raw ! " +
           appsink;
  throw std::runtime_error("cannot record " + codec + " for HLS");
}

fmp4::bytes buffer_bytes(GstBuffer* buf) {
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ))
    return {};
  fmp4::bytes out(map.data, map.data + map.size);
  gst_buffer_unmap(buf, &map);
  return out;
}

fmp4::bytes codec_data(const GstStructure* s) {
  const GValue* v = gst_structure_get_value(s, "codec_data");
  if (!v || !GST_VALUE_HOLDS_BUFFER(v))
    return {};
  return buffer_bytes(gst_value_get_buffer(v));
}

// Streaming thread of the appsink.
GstFlowReturn on_sample(GstAppSink* sink, gpointer data) {
  auto& st = *static_cast<hls_tap::state*>(data);
  GstSample* raw = gst_app_sink_pull_sample(sink);
  if (!raw)
    return GST_FLOW_OK;
  std::unique_ptr<GstSample, decltype(&gst_sample_unref)> sample(raw, &gst_sample_unref);
  GstBuffer* buf = gst_sample_get_buffer(raw);
  GstCaps* caps = gst_sample_get_caps(raw);
  if (!buf || !caps)
    return GST_FLOW_OK;

  if (!st.last_caps || !gst_caps_is_equal(caps, st.last_caps.get())) {
    st.last_caps = retain(caps);
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    auto config = codec_data(s);
    if (!config.empty()) {
      if (st.video) {
        gint w = 0, h = 0;
        gst_structure_get_int(s, "width", &w);
        gst_structure_get_int(s, "height", &h);
        st.packager->set_video(
          {std::move(config), static_cast<std::uint16_t>(w), static_cast<std::uint16_t>(h)});
      } else {
        gint rate = 48000, channels = 2;
        gst_structure_get_int(s, "rate", &rate);
        gst_structure_get_int(s, "channels", &channels);
        st.packager->set_audio({std::move(config), static_cast<std::uint32_t>(rate),
                                static_cast<std::uint16_t>(channels)});
      }
    }
  }

  GstClockTime ts = GST_BUFFER_PTS_IS_VALID(buf) ? GST_BUFFER_PTS(buf) : GST_BUFFER_DTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(ts))
    return GST_FLOW_OK;
  // Running time: one clock for the audio and the video branch.
  guint64 running = gst_segment_to_running_time(gst_sample_get_segment(raw), GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID(running))
    return GST_FLOW_OK;
  if (st.video)
    st.packager->push_video(buffer_bytes(buf), static_cast<std::int64_t>(running),
                            !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT));
  else
    st.packager->push_audio(buffer_bytes(buf), static_cast<std::int64_t>(running));
  return GST_FLOW_OK;
}

std::string caps_codec(const GstCaps* caps) {
  if (!caps || gst_caps_is_empty(caps))
    return "";
  const char* name = gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name");
  return name ? name : "";
}

}  // namespace

hls_tap::hls_tap(GstBin* pipeline, source& src, const std::string& kind,
                 std::shared_ptr<hls::packager> packager)
    : pipeline_(pipeline), src_(src), tee_(retain(src.tee())) {
  static std::once_flag once;
  std::call_once(once,
                 [] { GST_DEBUG_CATEGORY_INIT(vr_hls_debug, "vr-hls", 0, "videoroom LL-HLS"); });

  const std::string codec = caps_codec(src.caps().get());
  const std::string desc = pipeline_for(codec, transcoding_);
  if ((kind == "video") != (codec == "H264" || codec == "VP8"))
    throw std::runtime_error("a " + kind + " track carries " + codec);
  if (transcoding_)
    GST_WARNING("the publisher sends %s: transcoding to H264 for HLS", codec.c_str());

  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &err);
  error_ptr error(err);
  if (!bin)
    throw std::runtime_error("hls branch: " + std::string(error ? error->message : "parse failed"));
  gst_object_ref_sink(bin);
  bin_.reset(bin);

  auto st = std::make_unique<state>();
  st->packager = std::move(packager);
  st->video = kind == "video";
  element_ptr sink(gst_bin_get_by_name(GST_BIN(bin), "sink"));
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = &on_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, st.release(),
                             [](gpointer p) { delete static_cast<state*>(p); });
  if (transcoding_)
    encoder_.reset(gst_bin_get_by_name(GST_BIN(bin), "enc"));

  gst_bin_add(pipeline_, bin_.get());
  gst_element_sync_state_with_parent(bin_.get());
  tee_src_.reset(gst_element_request_pad_simple(tee_.get(), "src_%u"));
  pad_ptr sink_pad{gst_element_get_static_pad(bin_.get(), "sink")};
  gst_pad_link(tee_src_.get(), sink_pad.get());
  // Start at a keyframe: the publisher's next one (and the encoder's first).
  if (kind == "video")
    src_.request_keyframe();
}

hls_tap::~hls_tap() {
  gst_element_release_request_pad(tee_.get(), tee_src_.get());
  gst_element_set_state(bin_.get(), GST_STATE_NULL);
  gst_bin_remove(pipeline_, bin_.get());
}

void hls_tap::request_keyframe() {
  if (!encoder_)
    return src_.request_keyframe();
  // Our own encoder makes the keyframe (the publisher's VP8 ones do not carry over).
  pad_ptr sink{gst_element_get_static_pad(encoder_.get(), "sink")};
  gst_pad_send_event(sink.get(),
                     gst_video_event_new_downstream_force_key_unit(
                       GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, 0));
}

}  // namespace vr::media
