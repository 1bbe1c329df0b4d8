// The recorder of a media::session: a broadcast publisher's first audio and
// first video track tapped into an LL-HLS packager (media/hls/) while it is
// in the session. State and threading: session/impl.hpp.
#include "media/session/impl.hpp"

#include "media/runtime.hpp"

namespace vr::media {

void session::impl::record_hls(const std::string& id, hls_output out) {
  peer* p = find(id);
  if (!p)
    return emit_error(id, "unknown_peer", "record_hls before add_peer");
  if (p->hls)
    return;
  p->hls = std::move(out);
  start_recording(*p);
}

// Once the publish answer says which kinds the peer sends.
void session::impl::start_recording(peer& p) {
  if (!p.hls || p.packager || p.active_mids.empty())
    return;
  hls::packager_config c;
  c.dir = p.hls->dir;
  c.playlist = p.hls->playlist;
  c.expiry_grace = p.hls->expiry_grace;
  c.video = c.audio = false;
  for (const auto& mid : p.active_mids) {
    const auto& kind = p.mid_kinds[mid];
    c.video = c.video || kind == "video";
    c.audio = c.audio || kind == "audio";
  }
  if (!c.video && !c.audio)
    return;
  hls::packager_events ev;
  std::weak_ptr<impl> weak = weak_from_this();
  std::string pid = p.id;
  std::uint64_t serial = p.serial;
  auto update = events.hls_update;  // also after `closed`: the last snapshot ends the stream
  ev.update = [update, pid, count = hls_updates](std::shared_ptr<const hls::snapshot> snap) {
    count->fetch_add(1, std::memory_order_relaxed);
    if (update)
      update(pid, std::move(snap));
  };
  ev.want_keyframe = [weak, pid, serial] {
    if (auto self = weak.lock())
      self->rt->post([self, pid, serial] {
        peer* p = self->find(pid, serial);
        if (!p)
          return;
        for (auto& [mid, t] : p->taps)
          if (p->mid_kinds[mid] == "video")
            t->request_keyframe();
      });
  };
  ev.error = [weak, pid](const std::string& message) {
    if (auto self = weak.lock())
      self->rt->post([self, pid, message] { self->emit_error(pid, "hls_failed", message); });
  };
  GST_INFO("recording %s as LL-HLS in %s (video %d, audio %d)", p.id.c_str(), c.dir.c_str(),
           c.video, c.audio);
  p.packager = std::make_shared<hls::packager>(std::move(c), std::move(ev));
  for (const auto& mid : p.announced)
    tap(p, mid);
}

// Records an announced track if it is the first of its kind.
void session::impl::tap(peer& p, const std::string& mid) {
  if (!p.packager || p.taps.count(mid))
    return;
  auto it = p.sources.find(mid);
  if (it == p.sources.end())
    return;
  const std::string kind = it->second.kind;
  for (const auto& [other, t] : p.taps)
    if (p.mid_kinds[other] == kind)
      return;
  try {
    p.taps[mid] = std::make_unique<hls_tap>(bin(), *it->second.src, kind, p.packager);
    if (p.taps[mid]->transcoding())
      GST_WARNING("%s: transcoding %s to H264 for HLS", p.id.c_str(), mid.c_str());
  } catch (const std::exception& e) {
    emit_error(p.id, "hls_failed", e.what());
  }
}

void session::impl::stop_recording(peer& p) {
  p.taps.clear();  // no more samples
  if (!p.packager)
    return;
  p.packager->finish();  // ENDLIST
  p.packager.reset();
}

}  // namespace vr::media
