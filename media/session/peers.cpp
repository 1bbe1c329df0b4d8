// The peer registry of a media::session: peers come and go, a track id
// ("<peer>:<mid>") leads to its publisher's source, candidates go to the
// peer's connection. State and threading: session/impl.hpp.
#include "media/session/impl.hpp"

namespace vr::media {

void session::impl::update_counts() {
  std::size_t tracks = 0, local = 0;
  for (auto& [id, p] : peers) {
    tracks += p->announced.size();
    local += p->relayed_from.empty();
  }
  peer_count = local;
  track_count = tracks;
}

void session::impl::add_peer(const std::string& id, const std::string& display_name) {
  if (find(id))
    return emit_error(id, "peer_exists", "add_peer for a peer already in the session");
  auto p = std::make_unique<peer>();
  p->id = id;
  p->serial = next_serial++;
  p->display_name = display_name;
  if (recording) {
    recording->manifest.add_peer(id, display_name);
    write_manifest();
  }
  for (auto& [other_id, other] : peers)
    for (const auto& mid : other->announced)
      p->pending_adds.push_back(track_id(other_id, mid));
  peer* raw = p.get();
  peers.emplace(id, std::move(p));
  update_counts();
  negotiate(*raw);
}

void session::impl::remove_peer(const std::string& id) {
  peer* p = find(id);
  if (!p)
    return;
  std::vector<std::string> gone;
  for (const auto& mid : p->announced)
    gone.push_back(track_id(id, mid));
  for (const auto& t : gone)
    remove_track_everywhere(t);

  stop_recording(*p);
  // Its subscribe branches first (they hold other publishers' tee pads),
  // then its connections, then its tees.
  for (auto& s : p->slots) {
    s->br.reset();
    s->vbr.reset();
  }
  p->sub.reset();
  p->slots.clear();
  p->pub.reset();
  p->sources.clear();
  p->ignored.clear();
  p->unsorted.clear();
  {
    std::lock_guard lock(rid_ids_mutex);
    rid_ext_ids.erase(id);
  }
  peers.erase(id);
  update_counts();
  if (!gone.empty() && !closed && events.tracks_removed)
    events.tracks_removed(id, gone);
}

// (publisher id, source) of a track id, if it still exists.
auto session::impl::lookup(const std::string& tid) -> std::pair<peer*, published*> {
  auto colon = tid.rfind(':');
  if (colon == std::string::npos)
    return {nullptr, nullptr};
  peer* p = find(tid.substr(0, colon));
  if (!p)
    return {nullptr, nullptr};
  std::string mid = tid.substr(colon + 1);
  auto it = p->sources.find(mid);
  if (it == p->sources.end() || !p->announced.count(mid))
    return {p, nullptr};
  return {p, &it->second};
}

void session::impl::add_candidate(const std::string& id, pc_kind kind, const std::string& c,
                                  unsigned mline) {
  peer* p = find(id);
  if (!p)
    return;  // trickling on after remove_peer is normal: nothing to say
  peer_connection* pc = kind == pc_kind::publish ? p->pub.get() : p->sub.get();
  if (!pc)
    return emit_error(id, "invalid_candidate", "candidate for a connection not negotiated yet");
  if (c.empty())
    return;  // end-of-candidates: nothing to tell webrtcbin
  pc->add_candidate(mline, c);
}

}  // namespace vr::media
