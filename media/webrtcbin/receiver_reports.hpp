// Reaches into webrtcbin 1.22: its rtpbin's internal RTPSession (session 0:
// BUNDLE) emits "on-receiving-rtcp" with every RTCP compound packet the
// browser sends, decrypted. The report blocks of its receiver/sender reports
// are kept per reported SSRC. (RTPSource's "stats" are no use here: they keep
// one last report block per *reporting* source, and a browser reports on all
// its streams from one SSRC.)
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace vr::media {

class receiver_reports {
public:
  struct block {
    double fraction_lost = 0;  // of the interval since the previous report, [0, 1]
    std::uint64_t count = 0;   // report blocks seen for this SSRC: a new one differs
  };

  // Hooks into `webrtcbin`'s RTP session once it exists (it is made when the
  // first stream is linked); true once hooked. Media thread.
  bool attach(GstElement* webrtcbin);
  // The last report block about `ssrc` (an SSRC we send). Any thread.
  std::optional<block> latest(std::uint32_t ssrc) const;

  struct store {
    mutable std::mutex mutex;
    std::map<std::uint32_t, block> blocks;
  };

private:
  std::shared_ptr<store> store_ = std::make_shared<store>();
  bool attached_ = false;
};

}  // namespace vr::media
