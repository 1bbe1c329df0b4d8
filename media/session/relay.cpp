// The cascade relay of a media::session (media/README.md, "Cascade relay"):
// local tracks sent to other nodes (relay_sender, one per node), and tracks of
// other nodes received (relay_receiver, one per node) and offered to local
// subscribers as the tracks of a stand-in peer (peer::relayed_from), so the
// subscriber side links them like any local publisher's.
// State and threading: session/impl.hpp.
#include "media/session/impl.hpp"

#include "media/runtime.hpp"

#include <algorithm>

namespace vr::media {
namespace {

relay_stream describe(const std::string& tid, const std::string& kind, const source& src,
                      const std::string& variant) {
  caps_ptr caps = src.caps();
  return {tid, kind, to_string(gchar_ptr(gst_caps_to_string(caps.get()))), caps_ssrc(caps.get()),
          variant};
}

std::pair<std::string, std::string> split_track(const std::string& tid) {
  auto colon = tid.rfind(':');
  if (colon == std::string::npos)
    return {"", ""};
  return {tid.substr(0, colon), tid.substr(colon + 1)};
}

}  // namespace

void session::impl::update_relay_counts() {
  std::size_t out = 0, in = 0;
  for (auto& [node, s] : relay_senders)
    out += s->track_count();
  for (auto& [id, p] : peers)
    if (!p->relayed_from.empty())
      in += p->announced.size();
  relayed_out_count = out;
  relayed_in_count = in;
  std::map<std::string, relay_link_view> links;
  for (auto& [node, s] : relay_senders)
    links[node].out = s->counters(), links[node].tracks_out = s->track_count();
  for (auto& [node, r] : relay_receivers)
    links[node].in = r->counters();
  for (auto& [id, p] : peers)
    if (!p->relayed_from.empty())
      links[p->relayed_from].tracks_in += p->announced.size();
  std::lock_guard lock(relay_links_mutex);
  relay_links = std::move(links);
}

// --- receiving ---------------------------------------------------------------

void session::impl::open_relay_receiver(const std::string& node, socket_ptr socket,
                                        const relay_listen& cfg) {
  if (relay_receivers.count(node))
    return;
  std::weak_ptr<impl> weak = weak_from_this();
  // Streaming thread: the pad is linked to a source's tee before returning,
  // like a publisher's pad (publisher.cpp).
  auto on_stream = [weak, node](const relay_stream& s, GstPad* pad) {
    auto self = weak.lock();
    if (!self)
      return;
    auto src = std::make_shared<std::unique_ptr<source>>(std::make_unique<source>(
      self->bin(), pad, *self->rt, self->cfg.keyframe_throttle, self->counters, nullptr));
    self->rt->post([self, node, s, src] {
      if (!self->closed)
        self->on_relayed_stream(node, s, std::move(*src));
    });
  };
  relay_receivers[node] = std::make_unique<relay_receiver>(bin(), std::move(socket), cfg,
                                                           link_counters(), std::move(on_stream));
  update_relay_counts();
}

void session::impl::add_relayed_streams(const std::string& node,
                                        std::vector<relay_stream> streams) {
  auto it = relay_receivers.find(node);
  if (it == relay_receivers.end())
    return emit_error("", "relay_failed", "relayed streams from " + node + " before its receiver");
  auto& expected = relay_expected[node];
  for (auto& s : streams) {
    if (std::any_of(expected.begin(), expected.end(), [&](auto& e) { return e.ssrc == s.ssrc; }))
      continue;
    it->second->expect(s);
    expected.push_back(std::move(s));
  }
}

void session::impl::on_relayed_stream(const std::string& node, const relay_stream& s,
                                      std::unique_ptr<source> src) {
  auto& expected = relay_expected[node];
  if (!relay_receivers.count(node) ||
      std::none_of(expected.begin(), expected.end(), [&](auto& e) { return e.ssrc == s.ssrc; }))
    return;  // removed meanwhile: `src` goes
  auto [pid, mid] = split_track(s.track_id);
  peer* p = find(pid);
  if (p && p->relayed_from != node)
    return emit_error(pid, "relay_failed", "relayed track " + s.track_id + " is a local peer's");
  if (!p) {
    auto fresh = std::make_unique<peer>();
    fresh->id = pid;
    fresh->serial = next_serial++;
    fresh->relayed_from = node;
    p = fresh.get();
    peers.emplace(pid, std::move(fresh));
  }
  p->active_mids.insert(mid);
  auto entry = p->sources.find(mid);
  auto v = simulcast::parse_variant(s.variant);
  if (entry == p->sources.end()) {
    auto& pub = p->sources[mid];
    pub.src = std::move(src);
    pub.kind = s.kind;
    if (v) {
      pub.simulcast = true;
      pub.first_variant = *v;
    }
    announce(*p, mid);
  } else if (v && entry->second.simulcast && !entry->second.layer(*v)) {
    // Another layer of a relayed simulcast track, also for its subscribers.
    source& added = *(entry->second.more_layers[*v] = std::move(src));
    layer_added(*p, mid, *v, added);
  } else {
    p->ignored.push_back(std::move(src));
  }
  update_counts();
  update_relay_counts();
}

void session::impl::remove_relayed_tracks(const std::string& node,
                                          const std::vector<std::string>& tids) {
  auto rec = relay_receivers.find(node);
  auto& expected = relay_expected[node];
  std::map<std::string, std::vector<std::string>> removed;  // by stand-in peer
  for (const auto& tid : tids) {
    std::erase_if(expected, [&](const relay_stream& e) {
      if (e.track_id != tid)
        return false;
      if (rec != relay_receivers.end())
        rec->second->forget(e.ssrc);
      return true;
    });
    auto [pid, mid] = split_track(tid);
    peer* p = find(pid);
    if (!p || p->relayed_from != node)
      continue;
    if (p->announced.erase(mid))
      removed[pid].push_back(tid);
    remove_track_everywhere(tid);
    p->sources.erase(mid);
    p->active_mids.erase(mid);
    if (p->sources.empty())
      peers.erase(pid);
  }
  update_counts();
  update_relay_counts();
  for (auto& [pid, ids] : removed)
    if (!closed && events.tracks_removed)
      events.tracks_removed(pid, ids);
}

void session::impl::close_relay_receiver(const std::string& node) {
  std::vector<std::string> tids;
  for (auto& e : relay_expected[node])
    tids.push_back(e.track_id);
  for (auto& [id, p] : peers)
    if (p->relayed_from == node)
      for (auto& [mid, pub] : p->sources)
        tids.push_back(track_id(id, mid));
  remove_relayed_tracks(node, tids);
  std::erase_if(peers, [&](auto& kv) { return kv.second->relayed_from == node; });
  relay_expected.erase(node);
  relay_receivers.erase(node);
  update_relay_counts();
  std::lock_guard lock(relay_ports_mutex);
  relay_ports.erase(node);
}

// --- sending -----------------------------------------------------------------

void session::impl::relay_track_to(const std::string& node, const std::string& tid,
                                   const relay_target& t) {
  auto [p, pub] = lookup(tid);
  if (!pub || !p->relayed_from.empty())
    return emit_error("", "relay_failed", "no local track " + tid + " to relay");
  auto& sender = relay_senders[node];
  if (!sender) {
    sender = std::make_unique<relay_sender>(bin(), t, link_counters());
    if (!sender->ok()) {
      relay_senders.erase(node);
      return emit_error("", "relay_failed", "no relay socket for " + node);
    }
  }
  if (sender->has_track(tid))
    return;  // one stream per track and node, however many subscribers there
  std::vector<relay_stream> streams;
  auto add = [&](source& src, const std::string& variant) {
    relay_stream d = describe(tid, pub->kind, src, variant);
    sender->add_stream(tid, src, d.ssrc);
    streams.push_back(std::move(d));
  };
  if (pub->simulcast) {
    for (auto v : simulcast::all_variants)
      if (source* layer = pub->layer(v))
        add(*layer, std::string(simulcast::to_string(v)));
  } else {
    add(*pub->src, "");
  }
  GST_INFO("relaying %s to %s (%zu streams)", tid.c_str(), node.c_str(), streams.size());
  update_relay_counts();
  if (!closed && events.relay_streams)
    events.relay_streams(node, std::move(streams));
}

// A simulcast layer that arrived after its track was relayed.
void session::impl::relay_layer(const std::string& tid, simulcast::variant v, source& layer) {
  auto [p, pub] = lookup(tid);
  if (!pub)
    return;
  for (auto& [node, sender] : relay_senders) {
    if (!sender->has_track(tid))
      continue;
    relay_stream d = describe(tid, pub->kind, layer, std::string(simulcast::to_string(v)));
    sender->add_stream(tid, layer, d.ssrc);
    if (!closed && events.relay_streams)
      events.relay_streams(node, {d});
  }
}

void session::impl::stop_relay_track(const std::string& node, const std::string& tid) {
  if (auto it = relay_senders.find(node); it != relay_senders.end())
    it->second->remove_track(tid);
  update_relay_counts();
}

}  // namespace vr::media
