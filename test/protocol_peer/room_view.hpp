// The room as one client sees it from media events: who is in it and which
// tracks each peer has announced. Plain data, no locking (the owner locks).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace vr::test {

struct announced_track {
  std::string peer_id, kind;
};

class room_view {
public:
  // Applies a media event from the server (peerAccepted, peerJoined,
  // peerLeft, tracksAdded, tracksRemoved); others are ignored. Returns the
  // track ids a tracksRemoved took away (for webrtc_peer::forget_tracks).
  std::vector<std::string> apply(const std::string& type, const std::string& data_json);
  void clear();

  // Peers in the room now (self excluded), by id.
  const std::set<std::string>& peers() const { return peers_; }
  // The live tracks of `peer_id`: track id → kind.
  std::map<std::string, std::string> tracks_of(const std::string& peer_id) const;
  // Every track ever announced (removed ones too), so packets that still
  // arrive for a removed track are attributed to its peer.
  const std::map<std::string, announced_track>& all_tracks() const { return owner_; }

private:
  std::set<std::string> peers_;
  std::set<std::string> live_;                    // track ids not removed
  std::map<std::string, announced_track> owner_;  // track id → peer, kind
};

}  // namespace vr::test
