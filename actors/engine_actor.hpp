// One per room: the RTC engine (spawned detached, see engine_state::media). Holds the media session of the room's peers
// (who entered it with the `join` media event, their metadata and tracks) and
// answers media events. The room tells it who is a member and with which role.
#pragma once

#include "actors/messages.hpp"
#include "actors/room_rules.hpp"
#include "actors/settings.hpp"

#include "media/session.hpp"

#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace vr {

struct engine_peer {
  peer_info info;
  caf::actor channel;
  bool joined = false;          // sent the `join` media event
  std::string metadata = "{}";  // JSON object
  std::map<std::string, std::string> tracks;  // track id → {"kind","metadata"} JSON
  std::map<std::string, std::string> track_metadata;  // mid → metadata of the last publishOffer
};

struct engine_state {
  std::string room_id;
  room_type type = room_type::group;
  settings_ptr settings;
  std::string owner;  // empty = none
  std::map<std::string, engine_peer> peers;
  // The room's pipeline; none in call rooms, whose media goes browser to browser.
  // Its teardown waits for the media thread, which is why the engine is a
  // detached actor: the wait never holds a scheduler thread.
  std::unique_ptr<media::session> media;
  media::session::stats reported;  // what the metrics were last told
  // Broadcast rooms: the publisher recorded as LL-HLS, its stream "PUB/TOKEN"
  // (TOKEN random per room, so URLs cannot be guessed from peer ids alone).
  std::string hls_token, hls_publisher, hls_stream;
  std::shared_ptr<std::atomic<bool>> hls_started = std::make_shared<std::atomic<bool>>(false);
  static inline const char* name = "engine_actor";

  engine_state() = default;
  engine_state(const engine_state&) = delete;
  engine_state& operator=(const engine_state&) = delete;
  // Reports the last forwarding figures, then tears the pipeline down.
  ~engine_state();
};

caf::behavior engine_actor(caf::stateful_actor<engine_state>* self, std::string room_id,
                           room_type type, settings_ptr settings);

}  // namespace vr
