// Works around (rtpbin 1.22): `clear-ssrc`/`autoremove` race with the
// streaming threads (rtpssrcdemux "Padname src_N is not unique", the receive
// path stops), and a cleared stream's FEC output pad is left behind.
// See ssrc_clearing.hpp.
#include "media/webrtcbin/ssrc_clearing.hpp"

#include "media/gst_ptr.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace vr::media {

namespace {

struct clearing {
  element_ptr rtpbin;
  guint session = 0;
  std::vector<std::uint32_t> ssrcs;
  pad_ptr rtcp_out;
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
};

// rtpbin 1.22 leaves a cleared stream's output pad (recv_rtp_src_S_SSRC_PT)
// behind when the stream has a FEC decoder, as webrtcbin's always do: the pad
// is tied to the decoder's output, which is not the payload demuxer's pad that
// rtpbin watches for removal. Should the SSRC come back, its new pad of that
// name could not be added ("... is not unique in element rtpbin"), and the
// stream's first push would fail with not-linked.
void remove_stale_outputs(GstElement* rtpbin, guint session, std::uint32_t ssrc) {
  const std::string prefix =
    "recv_rtp_src_" + std::to_string(session) + "_" + std::to_string(ssrc) + "_";
  std::vector<pad_ptr> stale;
  GST_OBJECT_LOCK(rtpbin);
  for (GList* l = GST_ELEMENT(rtpbin)->srcpads; l; l = l->next)
    if (g_str_has_prefix(GST_PAD_NAME(l->data), prefix.c_str()))
      stale.push_back(retain(GST_PAD(l->data)));
  GST_OBJECT_UNLOCK(rtpbin);
  for (auto& pad : stale) {
    gst_pad_set_active(pad.get(), FALSE);
    gst_element_remove_pad(rtpbin, pad.get());
  }
}

// Runs while the RTP pad is held too (see on_rtp_idle): clears, then lets the
// RTP side go.
GstPadProbeReturn on_rtcp_idle(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto& c = *unbox<clearing>(data);
  for (auto ssrc : c.ssrcs) {
    g_signal_emit_by_name(c.rtpbin.get(), "clear-ssrc", c.session, ssrc);
    remove_stale_outputs(c.rtpbin.get(), c.session, ssrc);
  }
  {
    std::lock_guard lock(c.mutex);
    c.done = true;
  }
  c.cv.notify_all();
  return GST_PAD_PROBE_REMOVE;
}

// New buffers wait at the RTP pad while this idle callback runs. It holds the
// RTCP pad as well, at once if it is idle (then on_rtcp_idle runs inside
// gst_pad_add_probe), else as soon as its current push returns. RTP and RTCP
// of a bundle normally come from one thread, so that wait is short; it is
// bounded all the same, and clearing later only reopens the race.
GstPadProbeReturn on_rtp_idle(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto c = unbox<clearing>(data);
  if (!c->rtcp_out)
    return on_rtcp_idle(nullptr, nullptr, data);  // the session gets no RTCP
  add_probe(c->rtcp_out.get(), GST_PAD_PROBE_TYPE_IDLE, &on_rtcp_idle, c);
  std::unique_lock lock(c->mutex);
  if (!c->cv.wait_for(lock, std::chrono::seconds(2), [&] { return c->done; }))
    GST_WARNING_OBJECT(c->rtpbin.get(), "RTCP of session %u stayed busy; SSRCs cleared late",
                       c->session);
  return GST_PAD_PROBE_REMOVE;
}

}  // namespace

void clear_ssrcs_when_idle(GstElement* rtpbin, guint session,
                           const std::vector<std::uint32_t>& ssrcs) {
  if (!rtpbin || ssrcs.empty())
    return;
  GstElement* found = nullptr;
  g_signal_emit_by_name(rtpbin, "get-session", session, &found);
  element_ptr rtpsession(found);
  if (!rtpsession)
    return;
  pad_ptr rtp_out(gst_element_get_static_pad(rtpsession.get(), "recv_rtp_src"));
  if (!rtp_out)
    return;  // the session receives nothing: no stream to clear
  auto c = std::make_shared<clearing>();
  c->rtpbin = retain(rtpbin);
  c->session = session;
  c->ssrcs = ssrcs;
  c->rtcp_out.reset(gst_element_get_static_pad(rtpsession.get(), "sync_src"));
  add_probe(rtp_out.get(), GST_PAD_PROBE_TYPE_IDLE, &on_rtp_idle, c);
}

}  // namespace vr::media
