#include "media/recording/track_recorder.hpp"

#include "media/forwarding.hpp"
#include "media/variant_branch.hpp"

#include <stdexcept>

GST_DEBUG_CATEGORY_STATIC(vr_recording_debug);
#define GST_CAT_DEFAULT vr_recording_debug

namespace vr::media::recording {

struct track_recorder::state {
  bool video = false;
  std::function<void(GstClockTime)> on_first;
  bool started = false;  // streaming thread of the muxer's input only

  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  std::function<void()> done;
};

namespace {

// Leaky: a slow disk drops old packets instead of blocking the tee (and with
// it every subscriber). The jitterbuffer puts packets back in order and
// re-times them from their RTP timestamps (forwarding keeps neither).
constexpr const char* head =
  "queue leaky=downstream max-size-buffers=2000 max-size-bytes=0 max-size-time=0 ! "
  "rtpjitterbuffer latency=300 ! ";
// A cluster or a fragment at least every second: what a crash can lose.
constexpr const char* webm = "webmmux offset-to-zero=true max-cluster-duration=1000000000";
constexpr const char* mp4 = "mp4mux fragment-duration=1000";
// Every write goes to the file at once (a killed process loses nothing written).
constexpr const char* sink = "filesink name=file buffer-mode=unbuffered sync=false async=false";

std::string depayloader(const std::string& codec) {
  if (codec == "VP8")
    return "rtpvp8depay request-keyframe=true wait-for-keyframe=true name=last";
  if (codec == "VP9")
    return "rtpvp9depay request-keyframe=true wait-for-keyframe=true name=last";
  if (codec == "H264")
    return "rtph264depay request-keyframe=true ! h264parse ! "
           "video/x-h264,stream-format=avc,alignment=au ! identity name=last";
  // webmmux wants the rate in the caps, which only opusparse adds.
  return "rtpopusdepay ! opusparse name=last";
}

// Video starts at a keyframe; the first buffer written tells the start time.
GstPadProbeReturn on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto& st = **static_cast<std::shared_ptr<track_recorder::state>*>(data);
  if (st.started)
    return GST_PAD_PROBE_REMOVE;
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (st.video && GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT))
    return GST_PAD_PROBE_DROP;
  st.started = true;
  GstClockTime running = GST_CLOCK_TIME_NONE;
  if (GstEvent* ev = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0)) {
    event_ptr seg(ev);
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(ev, &segment);
    running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
  }
  if (st.on_first)
    st.on_first(running);
  return GST_PAD_PROBE_OK;
}

// The tee src pad: buffers go into the branch from here and OK goes back
// upstream whatever the branch returns. A failing recording (a full disk, a
// caps problem) must never stop the publisher's track for everybody.
GstPadProbeReturn isolate(GstPad* pad, GstPadProbeInfo* info, gpointer) {
  pad_ptr peer{gst_pad_get_peer(pad)};
  if (!peer)
    return GST_PAD_PROBE_DROP;  // being released
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    gst_pad_chain(peer.get(), GST_PAD_PROBE_INFO_BUFFER(info));
  else
    gst_pad_chain_list(peer.get(), GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  info->data = nullptr;  // ownership went to the chain call
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_OK;
  return GST_PAD_PROBE_HANDLED;
}

GstPadProbeReturn on_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  auto& st = **static_cast<std::shared_ptr<track_recorder::state>*>(data);
  std::function<void()> done;
  {
    std::lock_guard lock(st.mutex);
    st.finished = true;
    done = std::move(st.done);
  }
  st.cv.notify_all();
  if (done)
    done();
  return GST_PAD_PROBE_OK;
}

std::string rtp_codec(const GstCaps* caps) {
  if (!caps || gst_caps_is_empty(caps))
    return "";
  const char* name = gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name");
  return name ? name : "";
}

}  // namespace

std::optional<file_format> format_for(const GstCaps* rtp_caps) {
  const std::string codec = rtp_codec(rtp_caps);
  if (codec == "VP8" || codec == "VP9" || codec == "OPUS")
    return file_format{codec, "webm"};
  if (codec == "H264")
    return file_format{codec, "mp4"};
  return std::nullopt;
}

track_recorder::track_recorder(GstBin* pipeline, source& src, const std::filesystem::path& file,
                               const file_format& format,
                               std::function<void(GstClockTime)> on_first, bool layered)
    : pipeline_(pipeline), tee_(retain(src.tee())), st_(std::make_shared<state>()) {
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(vr_recording_debug, "vr-recording", 0, "videoroom recording");
  });
  st_->video = format.codec != "OPUS";
  st_->on_first = std::move(on_first);

  const std::string desc = std::string{head} + depayloader(format.codec) + " ! " +
                           (format.extension == "mp4" ? mp4 : webm) + " ! " + sink;
  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &err);
  error_ptr error(err);
  if (!bin)
    throw std::runtime_error("recording branch: " +
                             std::string(error ? error->message : "parse failed"));
  gst_object_ref_sink(bin);
  bin_.reset(bin);

  element_ptr filesink(gst_bin_get_by_name(GST_BIN(bin), "file"));
  g_object_set(filesink.get(), "location", file.c_str(), nullptr);
  // Each probe holds the state: it outlives the recorder until its pad is gone.
  auto hold = [this] { return new std::shared_ptr<state>(st_); };
  auto release = [](gpointer p) { delete static_cast<std::shared_ptr<state>*>(p); };
  element_ptr last(gst_bin_get_by_name(GST_BIN(bin), "last"));
  pad_ptr last_src{gst_element_get_static_pad(last.get(), "src")};
  gst_pad_add_probe(last_src.get(), GST_PAD_PROBE_TYPE_BUFFER, &on_buffer, hold(), release);
  pad_ptr file_sink{gst_element_get_static_pad(filesink.get(), "sink")};
  gst_pad_add_probe(file_sink.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &on_event, hold(),
                    release);

  GST_INFO("recording %" GST_PTR_FORMAT " to %s", src.caps().get(), file.c_str());
  gst_bin_add(pipeline_, bin_.get());
  gst_element_sync_state_with_parent(bin_.get());
  pad_ptr sink_pad{gst_element_get_static_pad(bin_.get(), "sink")};
  if (layered) {
    // Like a subscriber asking for `h`; it asks for keyframes itself. Its
    // packets are not the session's forwarded ones: counted apart.
    caps_ptr caps = src.caps();
    guint ssrc = 0;
    if (caps && !gst_caps_is_empty(caps.get()))
      gst_structure_get_uint(gst_caps_get_structure(caps.get(), 0), "ssrc", &ssrc);
    const layered_format f = layered_format_of(caps.get());
    layers_ = std::make_unique<variant_branch>(src, sink_pad.get(), ssrc, f.clock_rate, f.codec,
                                               simulcast::variant::h,
                                               std::make_shared<forward_counters>(), nullptr);
    return;
  }
  tee_src_.reset(gst_element_request_pad_simple(tee_.get(), "src_%u"));
  gst_pad_add_probe(  // before the link: no buffer passes unisolated
    tee_src_.get(),
    static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
    &isolate, nullptr, nullptr);
  gst_pad_link(tee_src_.get(), sink_pad.get());
  if (st_->video)
    src.request_keyframe();
}

track_recorder::~track_recorder() {
  layers_.reset();
  if (tee_src_)
    gst_element_release_request_pad(tee_.get(), tee_src_.get());
  gst_element_set_state(bin_.get(), GST_STATE_NULL);
  gst_bin_remove(pipeline_, bin_.get());
}

void track_recorder::finish(std::function<void()> done) {
  if (!tee_src_ && !layers_)
    return;
  layers_.reset();
  if (tee_src_)
    gst_element_release_request_pad(tee_.get(), tee_src_.get());
  tee_src_.reset();
  {
    std::lock_guard lock(st_->mutex);
    st_->done = std::move(done);
  }
  pad_ptr sink_pad{gst_element_get_static_pad(bin_.get(), "sink")};
  gst_pad_send_event(sink_pad.get(), gst_event_new_eos());
}

void track_recorder::add_layer(simulcast::variant v, source& layer) {
  if (layers_)
    layers_->add_layer(v, layer);
}

void track_recorder::set_enabled(simulcast::variant_set flowing) {
  if (layers_)
    layers_->set_enabled(flowing);
}

bool track_recorder::wait_finished(std::chrono::milliseconds timeout) {
  std::unique_lock lock(st_->mutex);
  return st_->cv.wait_for(lock, timeout, [&] { return st_->finished; });
}

bool track_recorder::finished() {
  std::lock_guard lock(st_->mutex);
  return st_->finished;
}

}  // namespace vr::media::recording
