// One published track recorded for LL-HLS: a branch off the track's tee that
// depayloads it into the packager through an appsink. H264 is repackaged as it
// is; VP8 is decoded and encoded to H264 (openh264), Opus to AAC (voaacenc),
// since HLS players want H264 and AAC.
#pragma once

#include "media/gst_ptr.hpp"

#include <memory>
#include <string>

namespace vr::media {

class source;
namespace hls {
class packager;
}

class hls_tap {
public:
  // `kind` "audio" or "video"; the codec comes from the source's caps.
  // Throws std::runtime_error if the codec cannot be recorded.
  hls_tap(GstBin* pipeline, source& src, const std::string& kind,
          std::shared_ptr<hls::packager> packager);
  ~hls_tap();  // unlinks from the tee and stops the branch (no callback runs after)
  hls_tap(const hls_tap&) = delete;
  hls_tap& operator=(const hls_tap&) = delete;

  // A keyframe from the publisher (or from our encoder when transcoding).
  void request_keyframe();
  bool transcoding() const { return transcoding_; }

  struct state;

private:
  GstBin* pipeline_;
  source& src_;
  element_ptr tee_;
  element_ptr bin_;
  pad_ptr tee_src_;
  element_ptr encoder_;  // when transcoding video
  bool transcoding_ = false;
};

}  // namespace vr::media
