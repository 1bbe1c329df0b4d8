// One webrtcbin in a session's pipeline: ICE configuration, SDP operations as
// callbacks, trickle candidates. Created, used and destroyed on the media
// thread; completions are delivered there too, never after destruction.
#pragma once

#include "media/gst_ptr.hpp"
#include "media/session.hpp"

#include <functional>
#include <memory>
#include <string>

namespace vr::media {

class runtime;

class peer_connection {
public:
  struct handlers {
    // Media thread.
    std::function<void(unsigned mline, std::string candidate)> candidate;
    std::function<void(GstWebRTCPeerConnectionState)> state;
    // Streaming thread, synchronously: the new src pad must be linked before
    // the handler returns.
    std::function<void(GstPad*)> pad_added;
    // webrtcbin's thread, synchronously, before the transceiver is used.
    std::function<void(GstWebRTCRTPTransceiver*)> new_transceiver;
  };

  peer_connection(runtime& rt, GstBin* pipeline, const std::string& name, const ice_config& ice,
                  unsigned latency_ms, handlers h);
  ~peer_connection();  // sets webrtcbin to NULL (joins its threads) and removes it
  peer_connection(const peer_connection&) = delete;
  peer_connection& operator=(const peer_connection&) = delete;

  GstElement* element() const { return webrtc_.get(); }

  // Completions run on the media thread; `error` is empty on success.
  using sdp_done = std::function<void(sdp_ptr sdp, std::string error)>;
  using done = std::function<void(std::string error)>;
  void create_offer(sdp_done cb);
  void create_answer(sdp_done cb);
  void set_local(GstWebRTCSDPType type, const GstSDPMessage& sdp, done cb);
  void set_remote(GstWebRTCSDPType type, const GstSDPMessage& sdp, done cb);
  void add_candidate(unsigned mline, const std::string& candidate);

  struct shared;  // state shared with signal handlers and promises

private:
  void create(const char* signal, const char* field, sdp_done cb);
  void set_description(const char* signal, GstWebRTCSDPType type, const GstSDPMessage& sdp,
                       done cb);

  GstBin* pipeline_;
  element_ptr webrtc_;
  std::shared_ptr<shared> shared_;
};

}  // namespace vr::media
