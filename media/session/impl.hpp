// media::session's private half: the state of a room's pipeline and of each
// peer in it, shared by the parts that act on it (all on the media thread):
//   media/session.cpp             the public facade, the pipeline, bus errors, teardown
//   media/session/peers.cpp       the peer registry: add and remove peers, find tracks
//   media/session/publisher.cpp   publish connections: offers in order, sources, announcing tracks
//   media/session/subscriber.cpp  subscribe connections: offer/answer state, m-line reuse, linking
//   media/session/recorder.cpp    LL-HLS recording of broadcast publishers
//   media/session/room_recorder.cpp  recording every track to files (recordStart)
//   media/session/adaptation.cpp  simulcast layers follow subscriber loss and idle layers
#pragma once

#include "media/forwarding.hpp"
#include "media/gst_ptr.hpp"
#include "media/hls/hls_packager.hpp"
#include "media/hls_tap.hpp"
#include "media/peer_connection.hpp"
#include "media/recording/manifest.hpp"
#include "media/recording/track_recorder.hpp"
#include "media/relay/relay_receiver.hpp"
#include "media/relay/relay_sender.hpp"
#include "media/sdp.hpp"
#include "media/session.hpp"
#include "media/simulcast/loss_cap.hpp"
#include "media/simulcast/variant.hpp"
#include "media/variant_branch.hpp"
#include "media/webrtcbin/receiver_reports.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN(vr_session_debug);
#define GST_CAT_DEFAULT vr_session_debug

namespace vr::media {

// The `ssrc` field of RTP caps; 0 when they have none.
inline std::uint32_t caps_ssrc(const GstCaps* caps) {
  guint ssrc = 0;
  if (caps && !gst_caps_is_empty(caps))
    gst_structure_get_uint(gst_caps_get_structure(caps, 0), "ssrc", &ssrc);
  return ssrc;
}
namespace session_detail {

// One m-line of a subscribe connection. The webrtcbin sink pad is kept for the
// connection's life: 1.22 cannot connect a released-and-requested-again pad
// of a negotiated transceiver (its FEC encoder already exists), so a dead
// m-line is reused for the next track of the same kind instead.
struct slot {
  pad_ptr sink;
  gst_object_ptr<GstWebRTCRTPTransceiver> trans;
  std::string kind;
  std::string track;                    // empty: dead, reusable
  std::uint32_t ssrc = 0;               // of `track`, to find our m-line in the offer
  bool negotiated = false;              // the subscriber has answered an offer with `track`
  bool caps_sent = false;               // `track`'s caps sent into the sink pad before linking
  std::unique_ptr<branch> br;           // linked once negotiated and connected
  std::unique_ptr<variant_branch> vbr;  // instead of br for a simulcast track
  // Simulcast: the layer cap from the subscriber's receiver reports, and how
  // many report blocks on our SSRC were read (receiver_reports::block::count).
  simulcast::loss_cap cap;
  std::uint64_t last_report_count = 0;
};

// When each layer of a simulcast track last had a packet (monotonic µs),
// written on streaming threads.
using layer_clock = std::array<std::atomic<std::int64_t>, 3>;

struct published {
  std::unique_ptr<source> src;
  std::string kind;
  // Simulcast: `src` is the first layer to arrive (its caps and SSRC are what
  // subscribers are offered), the others are in `more_layers`.
  bool simulcast = false;
  simulcast::variant first_variant = simulcast::variant::h;
  std::map<simulcast::variant, std::unique_ptr<source>> more_layers;
  // Which layers flow (session/adaptation.cpp): idle ones are disabled.
  std::shared_ptr<layer_clock> last_packet = std::make_shared<layer_clock>();
  std::array<std::shared_ptr<const source::listener>, 3> activity;
  simulcast::variant_set enabled = 0;

  source* layer(simulcast::variant v) const {
    if (simulcast && v == first_variant)
      return src.get();
    auto it = more_layers.find(v);
    return it == more_layers.end() ? nullptr : it->second.get();
  }
};

// A stream on a simulcast m-line whose rid is not read yet.
struct unsorted_layer {
  std::string mid;
  std::unique_ptr<source> src;
};

struct peer {
  std::string id;
  std::string display_name;
  std::uint64_t serial = 0;  // tells a re-added peer from its predecessor
  // Not a local peer: the publisher of tracks relayed from this node (no
  // connections; its sources are a relay_receiver's streams).
  std::string relayed_from;

  // publish connection
  std::unique_ptr<peer_connection> pub;
  std::deque<std::string> queued_offers;
  bool publish_busy = false;
  std::set<std::string> active_mids;                // accepted and sending, per the last answer
  std::map<std::string, published> sources;         // by mid, once media arrived
  std::set<std::string> announced;                  // mids told via tracks_added
  std::vector<std::unique_ptr<source>> ignored;     // extra streams: linked to a tee nobody reads
  std::map<std::string, std::string> mid_kinds;     // of the accepted m-lines
  std::map<std::string, unsigned> audio_level_ids;  // mid → accepted audio-level extension id
  std::set<std::string> simulcast_mids;             // accepted with rids
  std::vector<unsorted_layer> unsorted;             // on those, until their rid is known

  // LL-HLS recording (broadcast publishers): one tap per recorded mid.
  std::optional<hls_output> hls;
  std::shared_ptr<hls::packager> packager;
  std::map<std::string, std::unique_ptr<hls_tap>> taps;

  // subscribe connection
  std::unique_ptr<peer_connection> sub;
  std::vector<std::unique_ptr<slot>> slots;
  std::vector<std::string> pending_adds;  // track ids waiting for the next offer
  enum class neg {
    idle,
    offering,
    awaiting_answer
  } sub_state = neg::idle;
  bool sub_connected = false;
  // media SSRC → the RTX SSRC first offered for it (sdp::pin_rtx_ssrcs).
  std::map<std::uint32_t, std::uint32_t> rtx_ssrcs;
  // A description is being applied: webrtcbin has set rtprtxsend's map to its
  // own RTX SSRCs until ours are set again, so no branch starts meanwhile.
  bool sub_applying = false;
  std::map<std::string, simulcast::variant> target_variants;  // by track id (setTargetTrackVariant)
  receiver_reports reports;  // what the subscriber's browser reports receiving
};

// The room's recording to files, while it is on.
struct room_recording {
  recording_output out;
  GstClockTime started = GST_CLOCK_TIME_NONE;  // running time of the start
  recording::manifest manifest;
  std::map<std::string, std::unique_ptr<recording::track_recorder>> tracks;  // by track id
  std::map<std::string, std::string> files;  // track id → its file (manifest key)
  unsigned next_file = 1;
  std::uint64_t serial = 0;  // tells a late event of an earlier recording from this one
};

}  // namespace session_detail

struct session::impl : std::enable_shared_from_this<session::impl> {
  using slot = session_detail::slot;
  using published = session_detail::published;
  using peer = session_detail::peer;

  runtime* rt = nullptr;
  session_config cfg;
  session_events events;
  element_ptr pipeline;
  source_ptr bus_watch;
  std::shared_ptr<forward_counters> counters = std::make_shared<forward_counters>();
  std::atomic<std::size_t> peer_count{0}, track_count{0};
  // Playlist updates of every recording (a part each, and the end).
  std::shared_ptr<std::atomic<std::uint64_t>> hls_updates =
    std::make_shared<std::atomic<std::uint64_t>>(0);

  bool closed = false;  // media thread only: after teardown nothing is emitted
  std::uint64_t next_serial = 1;
  std::map<std::string, std::unique_ptr<peer>> peers;
  std::unique_ptr<session_detail::room_recording> recording;
  // Stopped track recorders until their EOS went through (then destroyed).
  std::vector<std::unique_ptr<recording::track_recorder>> closing;
  std::atomic<std::size_t> recording_count{0};
  // Publisher → its offer's rtp-stream-id extension id, read by pad-added on
  // streaming threads (BUNDLE: one id for all of a connection's m-lines).
  std::mutex rid_ids_mutex;
  std::map<std::string, unsigned> rid_ext_ids;
  std::uint64_t recording_serial = 0;
  // Cascade relay, by remote node.
  std::map<std::string, std::unique_ptr<relay_sender>> relay_senders;
  std::map<std::string, std::unique_ptr<relay_receiver>> relay_receivers;
  std::shared_ptr<relay_counters> relay_stats = std::make_shared<relay_counters>();
  std::atomic<std::size_t> relayed_out_count{0}, relayed_in_count{0};
  // Each link's counters and track counts for get_stats (any thread), rebuilt
  // by update_relay_counts.
  struct relay_link_view {
    std::shared_ptr<relay_counters> out, in;
    std::size_t tracks_out = 0, tracks_in = 0;
  };
  std::mutex relay_links_mutex;
  std::map<std::string, relay_link_view> relay_links;
  std::shared_ptr<relay_counters> link_counters() {
    auto c = std::make_shared<relay_counters>();
    c->total = relay_stats;
    return c;
  }
  std::map<std::string, std::vector<relay_stream>> relay_expected;  // by node: told, not removed
  // Receivers' ports by node, also read by the facade (open_relay_receiver returns at once).
  std::mutex relay_ports_mutex;
  std::map<std::string, std::uint16_t> relay_ports;

  GstBin* bin() const { return GST_BIN(pipeline.get()); }

  peer* find(const std::string& id) {
    auto it = peers.find(id);
    return it == peers.end() ? nullptr : it->second.get();
  }
  peer* find(const std::string& id, std::uint64_t serial) {
    peer* p = find(id);
    return p && p->serial == serial ? p : nullptr;
  }

  static std::string track_id(const std::string& peer, const std::string& mid) {
    return peer + ":" + mid;
  }

  // session.cpp: events out, bus messages, teardown
  void emit_error(const std::string& peer_id, const std::string& reason,
                  const std::string& message);
  void emit_candidate(const std::string& pid, pc_kind kind, std::string c, unsigned mline);
  void on_bus_message(GstMessage* msg);
  std::string owner_of(GstObject* obj);
  void teardown();

  // session/peers.cpp: the peer registry
  void update_counts();
  void add_peer(const std::string& id, const std::string& display_name);
  void remove_peer(const std::string& id);
  std::pair<peer*, published*> lookup(const std::string& tid);
  void add_candidate(const std::string& id, pc_kind kind, const std::string& c, unsigned mline);

  // session/publisher.cpp: the publisher side
  void publish_offer(const std::string& id, std::string text);
  void next_publish(peer& p);
  void publish_failed(peer& p, const std::string& message);
  void publish_done(peer& p, const GstSDPMessage& answer, sdp::publish_plan& plan);
  std::unique_ptr<peer_connection> make_publish_connection(peer& p);
  void on_publish_pad(const std::string& pid, std::uint64_t serial, GstPad* pad);
  void add_source(peer& p, const std::string& mid, std::unique_ptr<source> src);
  void source_caps(const std::string& pid, std::uint64_t serial, const std::string& mid);
  void source_rid(const std::string& pid, std::uint64_t serial, const source* src,
                  const std::string& rid);
  void announce(peer& p, const std::string& mid);
  void layer_added(peer& p, const std::string& mid, simulcast::variant v, source& added);
  void watch_voice(peer& p, const std::string& mid);

  // session/subscriber.cpp: the subscriber side
  void remove_track_everywhere(const std::string& tid);
  void negotiate(peer& q);
  void subscribe_failed(peer& q, const std::string& message);
  void offer_ready(peer& q, const GstSDPMessage& offer);
  void attach(peer& q, const std::string& tid);
  void subscribe_answer(const std::string& id, std::string text);
  void link_ready(peer& q);
  void link_variants(peer& q, slot& s, published& pub);
  void set_target_variant(const std::string& id, const std::string& tid, simulcast::variant v);

  // session/adaptation.cpp: simulcast layers follow bandwidth and activity
  void start_adapting();
  void adapt();
  void watch_layer(published& pub, simulcast::variant v, source& src);
  void update_layers(peer& p, const std::string& mid, published& pub, std::int64_t now_us);
  void update_caps(peer& q, std::int64_t now_us);
  std::unique_ptr<peer_connection> make_subscribe_connection(peer& q);

  // session/relay.cpp: the cascade relay
  void open_relay_receiver(const std::string& node, socket_ptr socket, const relay_listen& cfg);
  void add_relayed_streams(const std::string& node, std::vector<relay_stream> streams);
  void on_relayed_stream(const std::string& node, const relay_stream& s,
                         std::unique_ptr<source> src);
  void remove_relayed_tracks(const std::string& node, const std::vector<std::string>& tids);
  void close_relay_receiver(const std::string& node);
  void relay_track_to(const std::string& node, const std::string& tid, const relay_target& t);
  void relay_layer(const std::string& tid, simulcast::variant v, source& layer);
  void stop_relay_track(const std::string& node, const std::string& tid);
  void update_relay_counts();

  // session/recorder.cpp: LL-HLS recording
  void record_hls(const std::string& id, hls_output out);
  void start_recording(peer& p);
  void tap(peer& p, const std::string& mid);
  void stop_recording(peer& p);

  // session/room_recorder.cpp: every track to a file
  void start_room_recording(recording_output out);
  void stop_room_recording();
  recording::track_recorder* recorder_of(const std::string& tid);  // null: not recorded
  void record_track(peer& p, const std::string& mid);
  void close_track(const std::string& tid);
  void write_manifest();
  void reap_closed();
  void finish_closing();  // teardown: waits (bounded) for the files to be complete
  GstClockTime running_time() const;
};

}  // namespace vr::media
