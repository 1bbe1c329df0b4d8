// The receiving end of a relay link: one UDP port for one remote node, the
// streams it was told about (relay_stream) demuxed by SSRC, each handed to
// the session as the src pad of a relayed track; keyframe requests of local
// subscribers go back to the origin node as PLIs on the same socket.
//
//   udpsrc → [srtpdec rtp_sink → rtp_src] → rtpssrcdemux → src_<ssrc> → (session's tee)
//   fb pad → [srtpenc rtcp_sink_0 → rtcp_src_0] → multiudpsink (same socket, to the sender)
//
// Packets of SSRCs not expected are dropped before the demux (no stray pads).
// The sender's address is learnt from its first expected packet.
#pragma once

#include "media/relay/relay_socket.hpp"
#include "media/relay/relay_stream.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace vr::media {

class relay_receiver {
public:
  // `on_stream` runs on the link's streaming thread when a stream's first
  // packet arrives; it must link `pad` before it returns.
  using stream_handler = std::function<void(const relay_stream&, GstPad* pad)>;

  relay_receiver(GstBin* pipeline, socket_ptr socket, const relay_listen& cfg,
                 std::shared_ptr<relay_counters> counters, stream_handler on_stream);
  ~relay_receiver();
  relay_receiver(const relay_receiver&) = delete;
  relay_receiver& operator=(const relay_receiver&) = delete;

  std::uint16_t port() const;
  std::shared_ptr<relay_counters> counters() const;
  // Any thread.
  void expect(const relay_stream& s);
  void forget(std::uint32_t ssrc);

  struct shared;  // with the probes and the demux's signal

private:
  GstBin* pipeline_;
  socket_ptr socket_;
  element_ptr udpsrc_, srtpdec_, demux_, srtpenc_, udpsink_;
  std::shared_ptr<shared> shared_;
};

}  // namespace vr::media
