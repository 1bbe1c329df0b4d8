// Runs Debian's ffprobe on a file and reports its streams: an independent
// reader of our fMP4 output (it must find H264 and AAC with sane durations,
// and decode the frames).
#pragma once

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

namespace vr::test {

// Everything the command printed on stdout.
inline std::string run_command(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), &pclose);
  if (!pipe)
    return "";
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe.get()))
    out.append(buf, n);
  return out;
}

struct probe_result {
  std::string video_codec, audio_codec;  // "h264", "aac" ...
  double duration_s = 0;                 // of the container
  long video_frames = 0;                 // decoded by ffprobe -count_frames
  long audio_frames = 0;
  int width = 0, height = 0;
  std::string raw;  // ffprobe's output, for failure messages
};

// `path` is an fMP4 file holding the init segment and media (init + segment
// concatenated, as a player appends them).
inline probe_result ffprobe(const std::string& path) {
  probe_result r;
  r.raw = run_command(
    "ffprobe -v error -count_frames -show_entries "
    "stream=codec_type,codec_name,nb_read_frames,width,height:format=duration "
    "-of default=noprint_wrappers=1 '" +
    path + "' 2>&1");
  std::istringstream in(r.raw);
  std::string type, codec;
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    // Per stream, ffprobe prints codec_name before codec_type.
    if (key == "codec_name")
      codec = value;
    if (key == "codec_type") {
      type = value;
      (type == "video" ? r.video_codec : r.audio_codec) = codec;
    }
    if (key == "width" && value != "N/A")
      r.width = std::stoi(value);
    if (key == "height" && value != "N/A")
      r.height = std::stoi(value);
    if (key == "nb_read_frames" && value != "N/A")
      (type == "video" ? r.video_frames : r.audio_frames) = std::stol(value);
    if (key == "duration" && value != "N/A")
      r.duration_s = std::stod(value);
  }
  return r;
}

}  // namespace vr::test
