// Works around (webrtcbin 1.22): the bins webrtcbin nests (rtpbin, transport
// bins, dtlssrtpenc/dec) and its pass-through elements (clocksync, FEC/RED
// encoders and decoders, rtpfunnel, dtlssrtpenc's funnel) made a forwarded
// packet cross 33 pads; shortcuts chain buffers past them.
// See pad_shortcut.hpp.
#include "media/webrtcbin/pad_shortcut.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

namespace vr::media {

bool passes_through(GstElement* element) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (!factory)
    return false;
  const char* name = GST_OBJECT_NAME(factory);
  if (!std::strcmp(name, "clocksync")) {
    gboolean sync = TRUE;
    g_object_get(element, "sync", &sync, nullptr);
    return !sync;
  }
  // webrtcbin's FEC encoder bin in front of every sink pad: pt 255 (or no
  // percentage) means no ULPFEC payload type negotiated.
  if (!std::strcmp(name, "rtpulpfecenc")) {
    guint pt = 0, percentage = 1, important = 1;
    g_object_get(element, "pt", &pt, "percentage", &percentage, "percentage-important", &important,
                 nullptr);
    return pt == 255 || (percentage == 0 && important == 0);
  }
  if (!std::strcmp(name, "rtpredenc")) {
    gint pt = 1;
    gboolean always = TRUE;
    g_object_get(element, "pt", &pt, "allow-no-red-blocks", &always, nullptr);
    return pt == 0 && !always;
  }
  // The receive side: RED decoding with no RED payload type, FEC storage
  // keeping nothing, the ULPFEC decoder in passthrough.
  if (!std::strcmp(name, "rtpreddec")) {
    gint pt = 0;
    g_object_get(element, "pt", &pt, nullptr);
    GValue payloads = G_VALUE_INIT;
    g_value_init(&payloads, GST_TYPE_ARRAY);
    g_object_get_property(G_OBJECT(element), "payloads", &payloads);
    bool none = gst_value_array_get_size(&payloads) == 0;
    g_value_unset(&payloads);
    return pt == -1 && none;
  }
  if (!std::strcmp(name, "rtpstorage")) {
    guint64 size_time = 1;
    g_object_get(element, "size-time", &size_time, nullptr);
    return size_time == 0;
  }
  if (!std::strcmp(name, "rtpulpfecdec")) {
    gboolean passthrough = FALSE;
    g_object_get(element, "passthrough", &passthrough, nullptr);
    return passthrough;
  }
  return false;
}

namespace {

// Bumped by any property change of an element some path skips: every path is
// then found again, since the element may no longer pass buffers through.
// Starts at 1: a path of generation 0 (never found) is never valid.
std::atomic<unsigned> settings_generation{1};

void watch_settings(GstElement* element) {
  static const GQuark watched = g_quark_from_static_string("vr-shortcut-watched");
  if (g_object_get_qdata(G_OBJECT(element), watched))
    return;
  g_object_set_qdata(G_OBJECT(element), watched, GINT_TO_POINTER(1));
  g_signal_connect(element, "notify", G_CALLBACK(+[](GObject*, GParamSpec*, gpointer) {
                     settings_generation.fetch_add(1, std::memory_order_relaxed);
                   }),
                   nullptr);
}

// What a push would do on a pad that a path skips: wait on a blocking probe,
// refuse (flushing, EOS), or, out of a src pad, first send sticky events that
// are still pending (sink pads keep that flag set; it means nothing there).
guint skip_blockers(GstPad* pad) {
  guint flags = GST_PAD_FLAG_BLOCKED | GST_PAD_FLAG_FLUSHING | GST_PAD_FLAG_EOS;
  return GST_PAD_IS_SRC(pad) ? flags | GST_PAD_FLAG_PENDING_EVENTS : flags;
}

bool skippable_now(GstPad* pad) {
  return !(GST_OBJECT_FLAGS(pad) & skip_blockers(pad)) && gst_pad_get_offset(pad) == 0;
}

// rtpfunnel (BUNDLE: every m-line of a connection into one RTP session). Per
// buffer it takes its src pad's stream lock (it has one input per m-line, fed
// from as many publishers' threads), pushes its own stream-start and caps
// once, re-sends the input's SEGMENT when the input switches (every forwarded
// segment is one shared object, see shared_segment.hpp, so there is nothing
// new to send) and, on inputs whose caps negotiated transport-wide congestion
// control, writes a sequence number into the packet. Skipped, under the same
// stream lock, while it has sent its events and no input has TWCC.
constexpr const char* twcc_uri =
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

bool is_factory(GstElement* element, const char* name) {
  GstElementFactory* factory = gst_element_get_factory(element);
  return factory && !std::strcmp(GST_OBJECT_NAME(factory), name);
}

// An `extmap-N` caps field names its URI as a string or as (direction, uri, attributes).
bool negotiates_twcc(GstPad* sink) {
  caps_ptr caps{gst_pad_get_current_caps(sink)};
  if (!caps || gst_caps_is_empty(caps.get()))
    return false;
  const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  for (int i = 0; i < gst_structure_n_fields(s); i++) {
    const char* field = gst_structure_nth_field_name(s, i);
    if (!g_str_has_prefix(field, "extmap-"))
      continue;
    const GValue* v = gst_structure_get_value(s, field);
    if (G_VALUE_HOLDS_STRING(v) && !g_strcmp0(g_value_get_string(v), twcc_uri))
      return true;
    if (GST_VALUE_HOLDS_ARRAY(v) && gst_value_array_get_size(v) >= 2) {
      const GValue* uri = gst_value_array_get_value(v, 1);
      if (G_VALUE_HOLDS_STRING(uri) && !g_strcmp0(g_value_get_string(uri), twcc_uri))
        return true;
    }
  }
  return false;
}

// Calls `watch` on every pad `element` has and on every pad it adds later.
template <void (*watch)(GstPad*)>
void watch_pads(GstElement* element) {
  g_signal_connect(element, "pad-added",
                   G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer) { watch(pad); }), nullptr);
  gst_element_foreach_pad(
    element,
    +[](GstElement*, GstPad* pad, gpointer) -> gboolean {
      watch(pad);
      return TRUE;
    },
    nullptr);
}

GstPadProbeReturn bump_on_caps(GstPad*, GstPadProbeInfo* info, gpointer) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS)
    settings_generation.fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

void watch_funnel_input(GstPad* pad) {
  if (GST_PAD_IS_SINK(pad))
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &bump_on_caps, nullptr, nullptr);
}

// New caps on any input may bring TWCC (and make the funnel send its caps
// again): every path is then found again.
void watch_funnel(GstElement* funnel) {
  static const GQuark watched = g_quark_from_static_string("vr-shortcut-funnel-watched");
  if (g_object_get_qdata(G_OBJECT(funnel), watched))
    return;
  g_object_set_qdata(G_OBJECT(funnel), watched, GINT_TO_POINTER(1));
  watch_settings(funnel);
  watch_pads<&watch_funnel_input>(funnel);
}

// Whether no input writes TWCC sequence numbers, so a buffer may cross the
// funnel without it once the funnel has sent its own stream-start and caps.
bool funnel_passes_through(GstElement* funnel) {
  bool twcc = false;
  gst_element_foreach_sink_pad(
    funnel,
    +[](GstElement*, GstPad* pad, gpointer any) -> gboolean {
      *static_cast<bool*>(any) = *static_cast<bool*>(any) || negotiates_twcc(pad);
      return TRUE;
    },
    &twcc);
  return !twcc;
}

// The pads a buffer entering `entry` crosses before one that does work.
//
// Only the target is referenced. A reference from the entry's state to a pad
// further on would tie that pad's life to the entry's; webrtcbin's own pads
// hold its transceivers and with them the ICE agents and their sockets, and
// an entry that outlives its connection (rtpbin keeps the FEC decoder of a
// cleared stream) would keep all of that. The skipped pads are alive while
// the links are as found: each is owned by the pad or element before it, and
// a pad is unlinked before its element lets it go.
struct path {
  std::vector<std::pair<GstPad*, GstPad*>> links;  // pad → its peer when found
  std::vector<std::pair<GstPad*, guint>>
    skipped;                    // pads a push would go through, flags it would stop at
  std::vector<GstPad*> locked;  // skipped funnel src pads: stream-locked around the chain
  pad_ptr target;               // the first pad that does work
  bool complete = true;         // false: stopped early at a pad not skippable now
  unsigned generation = 0;

  // Unlocked reads of links and flags, in order from the entry: each is one
  // word, and a change racing with this check is one the normal push would
  // race with as well.
  bool still_valid() const {
    if (generation != settings_generation.load(std::memory_order_relaxed))
      return false;
    for (auto [pad, peer] : links)
      if (GST_PAD_PEER(pad) != peer)
        return false;
    for (auto [pad, blockers] : skipped)
      if (GST_OBJECT_FLAGS(pad) & blockers)
        return false;
    return true;
  }
};

// The src-direction pad a buffer entering `pad` leaves by without any work
// done on it, or null: a ghost pad's internal pad, a src ghost pad (from its
// internal pad), a pass-through element's src pad, or a funnel's src pad
// (`serialized`: pushes through it hold its stream lock). `not_yet`: null for
// now, a funnel that has still to send its own events (its src pad has none;
// deactivating the pad clears them) with the next buffer it pushes.
struct exit_pad {
  pad_ptr pad;
  bool serialized = false;
  bool not_yet = false;
};

exit_pad passed_to(GstPad* pad) {
  if (GST_IS_PROXY_PAD(pad))
    return {pad_ptr(GST_PAD(gst_proxy_pad_get_internal(GST_PROXY_PAD(pad))))};
  gst_object_ptr<GstElement> element{gst_pad_get_parent_element(pad)};
  if (!element || GST_IS_BIN(element.get()))
    return {};
  if (GST_PAD_IS_SINK(pad) && element->numsrcpads == 1 && is_factory(element.get(), "rtpfunnel")) {
    watch_funnel(element.get());
    pad_ptr src{gst_element_get_static_pad(element.get(), "src")};
    if (!src || !funnel_passes_through(element.get()))
      return {};
    if (caps_ptr sent{gst_pad_get_current_caps(src.get())}; !sent)
      return {nullptr, false, true};
    return {std::move(src), true};
  }
  // A plain funnel (dtlssrtpenc's: DTLS and SRTP into the socket) only locks
  // its src pad's stream and pushes once it has forwarded its first input's
  // events, unless told to forward an input's sticky events on every switch.
  if (GST_PAD_IS_SINK(pad) && element->numsrcpads == 1 && is_factory(element.get(), "funnel")) {
    watch_settings(element.get());
    gboolean forwards = TRUE;
    g_object_get(element.get(), "forward-sticky-events", &forwards, nullptr);
    pad_ptr src{gst_element_get_static_pad(element.get(), "src")};
    if (!src || forwards)
      return {};
    if (event_ptr started{gst_pad_get_sticky_event(src.get(), GST_EVENT_STREAM_START, 0)}; !started)
      return {nullptr, false, true};
    return {std::move(src), true};
  }
  if (element->numsrcpads != 1 || element->numsinkpads != 1 || !passes_through(element.get()))
    return {};
  watch_settings(element.get());
  return {pad_ptr(gst_element_get_static_pad(element.get(), "src"))};
}

// `check_entry`: whether the entry is skipped too. A shortcut stands in
// for the entry's chain function, so a chain into the entry has dealt with
// its probes and flags already; a caller chaining from outside has not.
path find_path(GstPad* entry, bool check_entry) {
  path p;
  p.generation = settings_generation.load(std::memory_order_relaxed);
  pad_ptr pad = retain(entry);
  for (int depth = 0; depth < 32; depth++) {
    auto [out, serialized, not_yet] = passed_to(pad.get());
    if (!out) {
      p.complete = !not_yet;
      break;
    }
    pad_ptr next{gst_pad_get_peer(out.get())};
    bool checked = pad.get() != entry || check_entry;
    bool blocked = (checked && !skippable_now(pad.get())) || !skippable_now(out.get());
    if (!next || blocked) {
      p.complete = false;
      break;
    }
    if (checked)
      p.skipped.emplace_back(pad.get(), skip_blockers(pad.get()));
    p.skipped.emplace_back(out.get(), skip_blockers(out.get()));
    if (serialized)
      p.locked.push_back(out.get());
    p.links.emplace_back(out.get(), next.get());
    pad = std::move(next);
  }
  p.target = std::move(pad);
  return p;
}

// Where a buffer entering `entry` is chained now: the kept route while it
// holds, else a route found again, which is kept if complete. Null: the entry
// itself, the normal way. `transient` holds an incomplete route (ending at a
// ghost pad, say) for this buffer only.
const path* next_hop(path& route, GstPad* entry, bool check_entry, path& transient) {
  if (!route.still_valid()) {
    path found = find_path(entry, check_entry);
    if (!found.complete) {
      route = {};
      if (found.target.get() == entry)
        return nullptr;
      transient = std::move(found);
      return &transient;
    }
    if (found.target.get() == entry)
      found.target.reset();  // no reference to the entry itself
    route = std::move(found);
  }
  return route.target ? &route : nullptr;
}

// Chains into the route's target holding the stream locks of the funnels it
// skips, as their own pushes would: their inputs come from many threads.
template <typename T>
GstFlowReturn chain_along(const path& route, T* data, GstFlowReturn (*chain)(GstPad*, T*)) {
  for (GstPad* pad : route.locked)
    GST_PAD_STREAM_LOCK(pad);
  GstFlowReturn ret = chain(route.target.get(), data);
  for (auto it = route.locked.rbegin(); it != route.locked.rend(); ++it)
    GST_PAD_STREAM_UNLOCK(*it);
  return ret;
}

// Replaces the chain function of a pad buffers enter by; the original one
// takes every buffer the path cannot.
struct shortcut {
  GstPadChainFunction original;
  path route;  // complete, ending at an element's pad; no target: nothing to skip

  GstFlowReturn chain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
    path transient;
    const path* to = next_hop(route, pad, false, transient);
    return to ? chain_along(*to, buffer, &gst_pad_chain) : original(pad, parent, buffer);
  }
};

GQuark shortcut_quark() {
  static const GQuark quark = g_quark_from_static_string("vr-shortcut");
  return quark;
}

// The pad's stream lock serializes calls, so the state needs no lock of its own.
GstFlowReturn shortcut_chain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  auto* st = static_cast<shortcut*>(pad->chaindata);
  // gst_pad_set_chain_function_full stores function and data one after the
  // other; a call between the two finds the state here.
  if (!st)
    st = static_cast<shortcut*>(g_object_get_qdata(G_OBJECT(pad), shortcut_quark()));
  return st->chain(pad, parent, buffer);
}

void shortcut_entry(GstPad* entry) {
  if (!GST_PAD_IS_SINK(entry) || g_object_get_qdata(G_OBJECT(entry), shortcut_quark()))
    return;
  GstPadChainFunction original = GST_PAD_CHAINFUNC(entry);
  // A chain function with data of its own is not one we can stand in front of.
  if (!original || entry->chaindata || entry->chainnotify)
    return;
  if (path first = find_path(entry, false); first.target.get() == entry && first.complete)
    return;  // nothing to skip
  auto* st = new shortcut{original, {}};
  // Owned by the pad: freed with it.
  g_object_set_qdata_full(
    G_OBJECT(entry), shortcut_quark(), st,
    +[](gpointer data) { delete static_cast<shortcut*>(data); });
  gst_pad_set_chain_function_full(entry, &shortcut_chain, st, nullptr);
}

// One-shot: at the first buffer the src pad's peer is known and linked
// behind; the probe then removes itself.
GstPadProbeReturn shortcut_peer(GstPad* pad, GstPadProbeInfo*, gpointer) {
  pad_ptr peer{gst_pad_get_peer(pad)};
  if (!peer)
    return GST_PAD_PROBE_OK;
  shortcut_entry(peer.get());
  return GST_PAD_PROBE_REMOVE;
}

void watch_src_pad(GstPad* pad) {
  if (GST_PAD_IS_SRC(pad))
    gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER), &shortcut_peer, nullptr,
                      nullptr);
}

}  // namespace

pad_ptr chain_target(GstPad* sink) {
  path p = find_path(sink, true);
  // Past a funnel the caller would have to hold its stream lock.
  return p.complete && p.locked.empty() ? std::move(p.target) : retain(sink);
}

struct checked_route::state {
  pad_ptr entry;
  path route;
};

checked_route::checked_route(GstPad* entry)
    : st_(std::make_unique<state>(state{retain(entry), {}})) {}

checked_route::~checked_route() = default;

GstFlowReturn checked_route::chain(GstBuffer* buffer) {
  path transient;
  const path* to = next_hop(st_->route, st_->entry.get(), true, transient);
  return to ? chain_along(*to, buffer, &gst_pad_chain) : gst_pad_chain(st_->entry.get(), buffer);
}

GstFlowReturn checked_route::chain_list(GstBufferList* list) {
  path transient;
  const path* to = next_hop(st_->route, st_->entry.get(), true, transient);
  return to ? chain_along(*to, list, &gst_pad_chain_list)
            : gst_pad_chain_list(st_->entry.get(), list);
}

void shortcut_src_pads(GstElement* element) {
  if (GST_IS_BIN(element))
    return;  // a bin's pads are ghost pads: skipped, not pushed from
  watch_pads<&watch_src_pad>(element);
}

}  // namespace vr::media
