// Voice activity: the debounced detector, the audio-level extension read from
// RTP packets, and speech/silence events of a published track in a session.
#include "media/voice_activity.hpp"
#include "media/gst_ptr.hpp"
#include "test/media/room_fixture.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <catch2/catch.hpp>

using namespace vr;
using namespace vr::test;

namespace {

constexpr std::uint8_t loud = 20, quiet = 90;  // -20 dBov, -90 dBov

// Feeds one packet every 20 ms (Opus) from `start` for `duration` at `level`;
// returns the changes in order.
std::vector<bool> feed(media::voice_activity& vad, std::chrono::milliseconds& now,
                       std::chrono::milliseconds duration, std::uint8_t level) {
  std::vector<bool> changes;
  for (auto end = now + duration; now < end; now += 20ms)
    if (auto c = vad.feed(now, level))
      changes.push_back(*c);
  return changes;
}

media::buffer_ptr rtp_packet() {
  gst_init(nullptr, nullptr);  // this test may run first
  media::buffer_ptr buf(gst_rtp_buffer_new_allocate(10, 0, 0));
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  REQUIRE(gst_rtp_buffer_map(buf.get(), GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type(&rtp, 111);
  gst_rtp_buffer_unmap(&rtp);
  return buf;
}

void add_extension(GstBuffer* buf, bool two_byte, guint8 id, guint8 value) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  REQUIRE(gst_rtp_buffer_map(buf, GST_MAP_READWRITE, &rtp));
  if (two_byte)
    REQUIRE(gst_rtp_buffer_add_extension_twobytes_header(&rtp, 0, id, &value, 1));
  else
    REQUIRE(gst_rtp_buffer_add_extension_onebyte_header(&rtp, id, &value, 1));
  gst_rtp_buffer_unmap(&rtp);
}

}  // namespace

TEST_CASE("voice activity: speech after 200 ms of loud packets, silence after 500 ms of quiet") {
  media::voice_activity vad;
  auto now = 1000ms;
  CHECK(feed(vad, now, 1s, quiet).empty());
  CHECK(!vad.speaking());
  // Loud for less than 200 ms is a click, not speech.
  CHECK(feed(vad, now, 160ms, loud).empty());
  CHECK(feed(vad, now, 100ms, quiet).empty());
  // The 200 ms count again from the first loud packet after a quiet one.
  auto onset = now;
  std::vector<bool> changes;
  for (; now < onset + 200ms; now += 20ms)
    if (auto c = vad.feed(now, loud))
      changes.push_back(*c);
  CHECK(changes.empty());
  CHECK(vad.feed(now, loud) == std::optional<bool>(true));
  now += 20ms;
  CHECK(vad.speaking());
  // Speaking on: no repeated notification.
  CHECK(feed(vad, now, 2s, loud).empty());
  // Pauses shorter than 500 ms do not end speech.
  CHECK(feed(vad, now, 400ms, quiet).empty());
  CHECK(feed(vad, now, 100ms, loud).empty());
  CHECK(vad.speaking());
  // 500 ms of quiet do, once.
  CHECK(feed(vad, now, 480ms, quiet).empty());
  CHECK(feed(vad, now, 1s, quiet) == std::vector<bool>{false});
  CHECK(!vad.speaking());
  // And the next speech is one notification again.
  CHECK(feed(vad, now, 1s, loud) == std::vector<bool>{true});
}

TEST_CASE("voice activity: the threshold and the timings are configurable") {
  media::voice_activity vad({.threshold_dbov = 30, .speech_after = 40ms, .silence_after = 100ms});
  auto now = 0ms;
  CHECK(feed(vad, now, 1s, 40).empty());  // -40 dBov is below a -30 dBov threshold
  CHECK(feed(vad, now, 60ms, 29) == std::vector<bool>{true});
  CHECK(feed(vad, now, 200ms, 30) == std::vector<bool>{false});
}

TEST_CASE("audio_level_of reads the one-byte and two-byte extension forms, V bit ignored") {
  auto plain = rtp_packet();
  CHECK(!media::audio_level_of(plain.get(), 1));

  auto one = rtp_packet();
  add_extension(one.get(), false, 3, 0x80 | 42);  // V=1, 42
  CHECK(media::audio_level_of(one.get(), 3) == std::optional<std::uint8_t>(42));
  CHECK(!media::audio_level_of(one.get(), 1));  // another id: not ours

  auto two = rtp_packet();
  add_extension(two.get(), true, 200, 7);
  CHECK(media::audio_level_of(two.get(), 200) == std::optional<std::uint8_t>(7));

  // Not RTP at all.
  media::buffer_ptr junk(gst_buffer_new_allocate(nullptr, 4, nullptr));
  CHECK(!media::audio_level_of(junk.get(), 1));
}

TEST_CASE("a publisher's audio levels become speech then silence events, once each") {
  room r;
  peer_options opts;
  opts.video = false;
  opts.audio_level_id = 5;
  auto a = r.join("alice", true, opts);
  auto b = r.join("bob", false);

  REQUIRE(wait_until([&] { return !r.track_of("alice", "audio").empty(); }));
  std::string track = r.track_of("alice", "audio");
  // The answer accepts the extension with the offered id.
  CHECK(r.last_publish_answer("alice").find(
          "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level") != std::string::npos);

  // Quiet (127 at first): nothing to tell.
  std::this_thread::sleep_for(600ms);
  CHECK(r.voice_events().empty());

  a->set_audio_level(10);
  REQUIRE(wait_until([&] { return r.voice_events().size() >= 1; }, 5s));
  std::this_thread::sleep_for(700ms);  // still loud: no repeat
  a->set_audio_level(127);
  REQUIRE(wait_until([&] { return r.voice_events().size() >= 2; }, 5s));
  std::this_thread::sleep_for(700ms);  // still quiet: no repeat

  auto events = r.voice_events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].peer == "alice");
  CHECK(events[0].track_id == track);
  CHECK(events[0].speech);
  CHECK(events[1].track_id == track);
  CHECK(!events[1].speech);
  CHECK(r.errors().empty());
}

TEST_CASE("audio without the audio-level extension makes no voice events") {
  room r;
  peer_options opts;
  opts.video = false;
  auto a = r.join("alice", true, opts);
  REQUIRE(wait_until([&] { return !r.track_of("alice", "audio").empty(); }));
  CHECK(r.last_publish_answer("alice").find("ssrc-audio-level") == std::string::npos);
  std::this_thread::sleep_for(1s);
  CHECK(r.voice_events().empty());
}
