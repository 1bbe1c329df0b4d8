// The sending end of a relay link: this node's published tracks, each as its
// own RTP stream (a simulcast track: each layer), over one UDP socket to one
// remote node's relay_receiver; keyframe requests come back on that socket.
//
//   tee (a source) ─┬→ [srtpenc rtp_sink_N → rtp_src_N] → funnel → multiudpsink ─┐ one socket
//   udpsrc ─────────┴→ [srtpdec rtcp_sink → rtcp_src] → fakesink (PLI/FIR read) ←─┘
//
// A plain funnel, not rtpbin: the streams keep the publisher's SSRCs,
// sequence numbers and timestamps (the receiving node forwards them like a
// local track), so nothing here needs an RTP session of its own.
// Methods: media thread. The tee's pushes run on publishers' streaming threads.
#pragma once

#include "media/forwarding.hpp"
#include "media/relay/relay_socket.hpp"
#include "media/relay/relay_stream.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vr::media {

class relay_sender {
public:
  relay_sender(GstBin* pipeline, const relay_target& target,
               std::shared_ptr<relay_counters> counters);
  ~relay_sender();
  relay_sender(const relay_sender&) = delete;
  relay_sender& operator=(const relay_sender&) = delete;

  bool ok() const { return ok_; }  // false: no socket could be bound (nothing is sent)
  std::uint16_t port() const;      // the local port (what the remote answers to)

  // Sends `src`'s packets (SSRC `ssrc`) as part of `track_id`; a keyframe
  // request from the remote for `ssrc` goes to `src`'s publisher (throttled).
  void add_stream(const std::string& track_id, source& src, std::uint32_t ssrc);
  void remove_track(const std::string& track_id);
  bool has_track(const std::string& track_id) const;
  bool has_stream(std::uint32_t ssrc) const;
  std::size_t track_count() const;
  const std::shared_ptr<relay_counters>& counters() const { return counters_; }

  struct feedback_state;  // shared with the RTCP probe
  struct history;         // a stream's recent packets, for NACKs

private:
  struct stream {
    std::string track;
    std::uint32_t ssrc = 0;
    element_ptr tee;
    pad_ptr tee_src, enc_sink, funnel_sink;
    gulong probe = 0;
  };
  void release(stream& s);

  GstBin* pipeline_;
  bool ok_ = false;
  bool encrypted_ = false;
  unsigned next_pad_ = 0;  // srtpenc pad numbers
  socket_ptr socket_;
  element_ptr udpsrc_, srtpdec_, fakesink_, srtpenc_, funnel_, udpsink_;
  std::vector<std::unique_ptr<stream>> streams_;
  std::shared_ptr<relay_counters> counters_;
  std::shared_ptr<feedback_state> feedback_;
};

}  // namespace vr::media
