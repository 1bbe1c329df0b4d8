// Simulcast layers adapt by themselves (issue 22), on a 500 ms tick of the
// media thread:
// - a layer with no packet for 2 s is disabled (the publisher lowered its
//   bandwidth or paused the encoding): subscribers forwarding it move to the
//   best layer still flowing, and every subscriber of the track is told
//   (variant_availability); a packet again enables it. A recording of the
//   track follows the same way.
// - each subscriber's receiver reports on a simulcast stream drive its
//   simulcast::loss_cap: heavy loss steps its layer down, a clean path back up.
#include "media/session/impl.hpp"

#include "media/runtime.hpp"

namespace vr::media {
namespace {

constexpr std::chrono::milliseconds tick{500};
constexpr std::int64_t idle_us = 2'000'000;

}  // namespace

void session::impl::start_adapting() {
  std::weak_ptr<impl> weak = weak_from_this();
  rt->post_after(tick, [weak] {
    auto self = weak.lock();
    if (!self || self->closed)
      return;
    self->adapt();
    self->start_adapting();
  });
}

void session::impl::adapt() {
  const std::int64_t now = g_get_monotonic_time();
  for (auto& [id, p] : peers)
    for (auto& [mid, pub] : p->sources)
      if (pub.simulcast)
        update_layers(*p, mid, pub, now);
  for (auto& [id, q] : peers)
    update_caps(*q, now);
}

// Notes each packet's time for the tick; the layer counts as flowing from now.
void session::impl::watch_layer(published& pub, simulcast::variant v, source& src) {
  auto i = static_cast<unsigned>(v);
  (*pub.last_packet)[i].store(g_get_monotonic_time(), std::memory_order_relaxed);
  pub.enabled |= simulcast::bit(v);
  pub.activity[i] =
    std::make_shared<const source::listener>([clock = pub.last_packet, i](GstBuffer*) {
      (*clock)[i].store(g_get_monotonic_time(), std::memory_order_relaxed);
    });
  src.add_listener(pub.activity[i]);
}

void session::impl::update_layers(peer& p, const std::string& mid, published& pub,
                                  std::int64_t now_us) {
  simulcast::variant_set flowing = 0;
  for (auto v : simulcast::all_variants)
    if (pub.layer(v) &&
        now_us - (*pub.last_packet)[static_cast<unsigned>(v)].load(std::memory_order_relaxed) <
          idle_us)
      flowing |= simulcast::bit(v);
  if (flowing == pub.enabled)
    return;
  const simulcast::variant_set changed = flowing ^ pub.enabled;
  pub.enabled = flowing;
  std::string tid = track_id(p.id, mid);
  for (auto v : simulcast::all_variants)
    if (changed & simulcast::bit(v))
      GST_INFO("%s: layer %s %s", tid.c_str(), simulcast::to_string(v).data(),
               flowing & simulcast::bit(v) ? "flows again" : "went idle");
  if (auto* rec = recorder_of(tid))
    rec->set_enabled(flowing);
  for (auto& [qid, q] : peers)
    for (auto& s : q->slots) {
      if (s->track != tid || !s->vbr)
        continue;
      s->vbr->set_enabled(flowing);
      if (closed || !events.variant_availability)
        continue;
      for (auto v : simulcast::all_variants)
        if (changed & simulcast::bit(v))
          events.variant_availability(qid, tid, std::string(simulcast::to_string(v)),
                                      (flowing & simulcast::bit(v)) != 0);
    }
}

void session::impl::update_caps(peer& q, std::int64_t now_us) {
  if (!q.sub || !q.sub_connected ||
      std::none_of(q.slots.begin(), q.slots.end(), [](auto& s) { return s->vbr != nullptr; }))
    return;
  if (!q.reports.attach(q.sub->element()))
    return;
  for (auto& s : q.slots) {
    if (!s->vbr)
      continue;
    auto block = q.reports.latest(s->ssrc);
    if (!block || block->count == s->last_report_count)
      continue;
    s->last_report_count = block->count;
    auto forwarded = s->vbr->forwarded();
    if (auto cap = s->cap.on_report(block->fraction_lost, forwarded, now_us)) {
      GST_INFO("%s: %.0f%% lost on layer %s of %s: cap %s", q.id.c_str(),
               block->fraction_lost * 100, simulcast::to_string(forwarded).data(), s->track.c_str(),
               simulcast::to_string(*cap).data());
      s->vbr->set_cap(*cap);
    }
  }
}

}  // namespace vr::media
