// A room's media: one GStreamer pipeline that forwards RTP between browsers
// without decoding (an SFU). Each peer has up to two one-way connections
// (protocol.md section 4): `publish` (the browser offers and sends) and
// `subscribe` (we offer and send every other peer's tracks).
//
// Threads: methods may be called from any thread and return at once; the work
// runs on the process-wide media thread (media::runtime). Events are called on
// that thread (a GStreamer thread): they must not block, and they may arrive
// after the method that caused them returned. Calling session methods from an
// event is fine (they are queued, never run inline).
#pragma once

#include "media/hls/hls_playlist.hpp"
#include "media/relay/relay_stream.hpp"
#include "media/voice_activity.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vr::media {

class runtime;

enum class pc_kind {
  publish,
  subscribe
};

struct ice_config {
  std::vector<std::string>
    local_addresses;  // pin candidates, e.g. {"127.0.0.1"}; empty = all interfaces
  std::uint16_t min_port = 0, max_port = 0;  // 0 = any
  std::vector<std::string> stun_servers;     // "stun://host:port" (webrtcbin uses the first)
  std::vector<std::string> turn_servers;     // "turn://user:pass@host:port"
};

struct session_config {
  ice_config ice;
  bool audio_only = false;   // video m-lines of publish offers are answered `inactive`
  bool prefer_h264 = false;  // answer H264 before VP8 (broadcast rooms, for HLS)
  // Answer browsers' simulcast offers with a=simulcast:recv (sdp::codec_policy).
  // Each subscriber then gets one layer (variant_branch), h unless it asks.
  bool simulcast = false;
  std::chrono::milliseconds keyframe_throttle{500};  // per published video track
  // Jitterbuffer on publish connections. Packets in order pass at once (no
  // clock sync on the forwarding path); this only bounds how long a gap waits
  // for reordering or a retransmission before it is skipped.
  std::chrono::milliseconds receive_latency{20};
  // Publish connections keep rtpjitterbuffer, which re-times packets for
  // playback: LL-HLS recording (broadcast rooms) needs those timestamps.
  // Otherwise packets are forwarded as they arrive (see webrtcbin/nack_buffer.hpp).
  bool playback_timing = false;
  // Speech/silence of published audio tracks whose packets carry the
  // audio-level header extension (voice_activity event).
  voice_activity_config voice;
};

// Where and how a publisher is recorded as LL-HLS (broadcast rooms).
struct hls_output {
  std::filesystem::path dir;  // the stream's files: init.mp4, segN.m4s, segN.pK.m4s
  hls::playlist_config playlist{
    .target_part_s = 0.3, .target_segment_s = 2.0, .window_segments = 6};
  std::chrono::milliseconds expiry_grace{16000};
};

// Where the room's recording goes (recording.dir): one file per published
// track and a manifest.json (media/recording/).
struct recording_output {
  std::filesystem::path dir;  // created if missing
  std::string room;           // named in the manifest
};

struct track {
  std::string id;        // unique in the room: "<peer>:<mid>"
  std::string mid;       // the m-line on the publisher's publish connection
  std::string kind;      // "audio" | "video"
  bool relayed = false;  // published on another node, received over a relay link
};

struct session_events {
  std::function<void(std::string peer, std::string sdp,
                     std::map<std::string, std::string> mid_to_track)>
    publish_answer, subscribe_offer;
  std::function<void(std::string peer, pc_kind, std::string candidate, unsigned mline_index)>
    candidate;
  // `peer` is the publisher; tell every other peer.
  std::function<void(std::string peer, std::vector<track>)> tracks_added;
  std::function<void(std::string peer, std::vector<std::string> track_ids)> tracks_removed;
  // A recorded publisher's stream changed (a new part, or the end). Runs on a
  // streaming thread, also while the session is being destroyed (the last
  // snapshot says the stream ended), so it must not call back into the session.
  std::function<void(std::string peer, std::shared_ptr<const hls::snapshot>)> hls_update;
  // An announced audio track of `peer` started (speech) or stopped carrying
  // speech; on changes only. Tell every peer, the speaker too.
  std::function<void(std::string peer, std::string track_id, bool speech)> voice_activity;
  // Subscriber `peer` now receives simulcast layer `variant` ("h", "m", "l") of
  // `track_id` (its first layer, and each switch after).
  std::function<void(std::string peer, std::string track_id, std::string variant)> variant_switched;
  // Cascade relay (media/README.md): the streams now sent to `node` for a
  // track (relay_track_to, and later simulcast layers); the remote node's
  // session needs them (add_relayed_streams) to accept them.
  std::function<void(std::string node, std::vector<relay_stream>)> relay_streams;
  // Subscriber `peer` is told that the publisher of `track_id` stopped (no
  // packets for 2 s) or started again sending layer `variant`.
  std::function<void(std::string peer, std::string track_id, std::string variant, bool enabled)>
    variant_availability;
  // A bad request or a failed connection; the session goes on. peer may be "".
  std::function<void(std::string peer, std::string reason, std::string message)> error;
};

class session {
public:
  session(session_config cfg, session_events events);
  // Tears the pipeline down on the media thread and waits for it (tens of ms
  // per webrtcbin); no event runs after it returns.
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // The peer's subscribe connection is created when there is something to
  // send: it then gets one offer with every track already in the room.
  // `display_name` is for recording manifests.
  void add_peer(const std::string& peer_id, const std::string& display_name = {});
  // Its media stops at once, its tracks are removed from the others
  // (tracks_removed), and its connections are freed.
  void remove_peer(const std::string& peer_id);
  // Answer via publish_answer; the tracks via tracks_added once media arrives,
  // tracks_removed for m-lines that stopped sending.
  void publish_offer(const std::string& peer_id, std::string sdp);
  void subscribe_answer(const std::string& peer_id, std::string sdp);
  // The simulcast layer ("h", "m" or "l") the subscriber wants of a remote
  // video track; kept per subscriber and track, also for tracks not yet
  // subscribed. The switch happens at the layer's next keyframe (requested),
  // then variant_switched.
  void set_target_variant(const std::string& peer_id, const std::string& track_id,
                          const std::string& variant);
  void add_candidate(const std::string& peer_id, pc_kind kind, std::string candidate,
                     unsigned mline_index);
  // Records the peer's first audio and first video track (those its publish
  // answer accepts) as LL-HLS into out.dir until the peer is removed; the
  // playlist then ends (EXT-X-ENDLIST). Snapshots come through hls_update.
  void record_hls(const std::string& peer_id, hls_output out);

  // Records every published track, now and as they come, each into its own
  // file under out.dir (no transcoding), until stop_recording or the end of
  // the session; a second start while recording is ignored.
  void start_recording(recording_output out);
  // Closes every file properly (EOS through its muxer, which takes a moment
  // after this returns; the session's destruction waits for it).
  void stop_recording();

  // --- Cascade relay (media/README.md) ---
  // Receiving side: binds a UDP port for media from `node` on cfg.address in
  // [min_port, max_port] now (the returned port, 0 if none is free) and
  // accepts the streams it is told about. One receiver per remote node; a
  // second call for the same node returns the port already open.
  std::uint16_t open_relay_receiver(const std::string& node, relay_listen cfg);
  // Streams `node` sends (its relay_streams event): each becomes a relayed
  // track (tracks_added with relayed = true, the origin's track id) once its
  // first packet arrives; local subscribers get it like a local track.
  void add_relayed_streams(const std::string& node, std::vector<relay_stream> streams);
  // The tracks end here (tracks_removed); their packets are dropped from now on.
  void remove_relayed_tracks(const std::string& node, std::vector<std::string> track_ids);
  void close_relay_receiver(const std::string& node);  // all of node's tracks too

  // Sending side: sends a local track (each simulcast layer as its own
  // stream) to `node`, once however many subscribers it has there; emits
  // relay_streams. The first call for a node opens its link to `target`.
  void relay_track_to(const std::string& node, const std::string& track_id, relay_target target);
  void stop_relay_track(const std::string& node, const std::string& track_id);
  void close_relay_sender(const std::string& node);

  struct stats {
    std::uint64_t forwarded_packets = 0, forwarded_bytes = 0, dropped_packets = 0;
    // PLI/FIR sent to publishers, and requests folded into them by the throttle.
    std::uint64_t keyframe_requests = 0, keyframe_requests_coalesced = 0;
    std::size_t peers = 0, tracks = 0, elements = 0;  // elements: all, recursively (leak checks)
    std::uint64_t hls_updates = 0;     // LL-HLS playlist updates (one per part written)
    std::size_t recording_tracks = 0;  // tracks being written to files now
    // Cascade relay: tracks sent to other nodes (one per track and node) and
    // received from them; RTP over the links; keyframe requests over them.
    std::size_t relayed_tracks_out = 0, relayed_tracks_in = 0;
    std::uint64_t relay_packets_out = 0, relay_bytes_out = 0, relay_packets_in = 0,
                  relay_bytes_in = 0;
    std::uint64_t relay_keyframe_requests_out = 0, relay_keyframe_requests_in = 0;
    // Packets lost on links: asked again by this node, sent again by this node.
    std::uint64_t relay_nacked_out = 0, relay_retransmitted = 0;
    // The same per open link, by remote node (node-to-node bitrate: the bytes' rate).
    struct relay_link {
      std::size_t tracks_out = 0, tracks_in = 0;
      std::uint64_t packets_out = 0, bytes_out = 0, packets_in = 0, bytes_in = 0;
    };
    std::map<std::string, relay_link> relay_links;
  };
  stats get_stats() const;

  struct impl;

private:
  std::shared_ptr<runtime> runtime_;
  std::shared_ptr<impl> impl_;
};

}  // namespace vr::media
