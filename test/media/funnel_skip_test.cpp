// A subscriber's rtpfunnel (every m-line of a connection into one RTP session)
// is chained past (media/pad_shortcut) once it has sent its own stream-start
// and caps, under its src pad's stream lock as its own pushes are, and not
// while any input negotiated TWCC (it writes a sequence number into each
// packet then). So is a plain funnel (dtlssrtpenc's) that forwards no input's
// events on a switch.
#include "media/gst_ptr.hpp"
#include "media/webrtcbin/pad_shortcut.hpp"
#include "test/media/pad_counting.hpp"
#include "test/media/push_tracer.hpp"
#include "test/media/room_fixture.hpp"

#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace vr::media;
using namespace vr::media::test;
using vr::test::room;
using vr::test::wait_until;
using namespace std::chrono_literals;

namespace {

constexpr const char* twcc_uri =
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

caps_ptr input_caps(guint ssrc, bool twcc) {
  caps_ptr caps{gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video", "payload",
                                    G_TYPE_INT, 96, "clock-rate", G_TYPE_INT, 90000, "ssrc",
                                    G_TYPE_UINT, ssrc, nullptr)};
  if (twcc)
    gst_caps_set_simple(caps.get(), "extmap-3", G_TYPE_STRING, twcc_uri, nullptr);
  return caps;
}

// What reached the sink, and whether the funnel's src pad stream lock was
// held (by the pushing thread) when it did.
struct arrivals {
  std::mutex mutex;
  std::vector<std::pair<guint32, guint16>> packets;  // ssrc, seq
  GstPad* funnel_src = nullptr;
  int unlocked = 0;
};

GstPadProbeReturn record(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* a = static_cast<arrivals*>(data);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  REQUIRE(gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp));
  std::pair packet{gst_rtp_buffer_get_ssrc(&rtp), gst_rtp_buffer_get_seq(&rtp)};
  gst_rtp_buffer_unmap(&rtp);
  // A recursive mutex: only another thread can tell whether it is held.
  bool free = false;
  std::thread([&] {
    if (g_rec_mutex_trylock(GST_PAD_GET_STREAM_LOCK(a->funnel_src))) {
      free = true;
      g_rec_mutex_unlock(GST_PAD_GET_STREAM_LOCK(a->funnel_src));
    }
  }).join();
  std::lock_guard lock(a->mutex);
  a->packets.push_back(packet);
  if (free)
    a->unlocked++;
  return GST_PAD_PROBE_OK;
}

// Two inputs (ssrc 1 and 2) → rtpfunnel (or `factory`) → fakesink, each
// input fed through a checked_route as a subscriber branch feeds webrtcbin's
// sink pads.
struct funnel_fixture {
  bool gst_ready =
    (gst_init(nullptr, nullptr), true);  // before any member is made; this test may run first
  element_ptr pipeline{make_element("pipeline")};
  GstElement* funnel;
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  pad_ptr funnel_src;
  std::array<pad_ptr, 2> inputs;
  std::array<std::unique_ptr<checked_route>, 2> routes;
  std::array<guint16, 2> seq{};
  std::atomic<int> through_funnel{0};
  arrivals arrived;

  explicit funnel_fixture(bool twcc_on_second = false, GstElement* other = nullptr)
      : funnel(other ? other : gst_element_factory_make("rtpfunnel", nullptr)) {
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline.get()), funnel, sink, nullptr);
    REQUIRE(gst_element_link(funnel, sink));
    funnel_src = static_pad(funnel, "src");
    arrived.funnel_src = funnel_src.get();
    count_buffers(funnel_src.get(), through_funnel);
    gst_pad_add_probe(static_pad(sink, "sink").get(), GST_PAD_PROBE_TYPE_BUFFER, &record, &arrived,
                      nullptr);
    REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    for (guint i = 0; i < 2; i++) {
      inputs[i].reset(gst_element_request_pad_simple(funnel, "sink_%u"));
      send_stream_events(inputs[i].get(), ("input" + std::to_string(i)).c_str(),
                         input_caps(i + 1, twcc_on_second && i == 1).get());
      routes[i] = std::make_unique<checked_route>(inputs[i].get());
    }
  }

  ~funnel_fixture() {
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    for (auto& p : inputs)
      gst_element_release_request_pad(funnel, p.get());
  }

  void push(guint input) {
    GstBuffer* b = gst_rtp_buffer_new_allocate(100, 0, 0);
    GstRTPBuffer r = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(b, GST_MAP_WRITE, &r);
    gst_rtp_buffer_set_payload_type(&r, 96);
    gst_rtp_buffer_set_ssrc(&r, input + 1);
    gst_rtp_buffer_set_seq(&r, seq[input]++);
    gst_rtp_buffer_unmap(&r);
    REQUIRE(routes[input]->chain(b) == GST_FLOW_OK);
  }

  void rounds(int n) {
    for (int i = 0; i < n; i++) {
      push(0);
      push(1);
    }
  }

  std::size_t delivered() {
    std::lock_guard lock(arrived.mutex);
    return arrived.packets.size();
  }
};

}  // namespace

TEST_CASE("a funnel that has sent its caps is skipped, in order, under its stream lock",
          "[shortcut][funnel]") {
  funnel_fixture f;
  f.rounds(10);
  REQUIRE(f.delivered() == 20);
  // The first buffer went through the funnel: it sent its stream-start and caps.
  CHECK(f.through_funnel == 1);
  caps_ptr out{gst_pad_get_current_caps(static_pad(f.sink, "sink").get())};
  CHECK(out);
  std::vector<std::pair<guint32, guint16>> expected;
  for (guint16 i = 0; i < 10; i++) {
    expected.emplace_back(1, i);
    expected.emplace_back(2, i);
  }
  CHECK(f.arrived.packets == expected);
  CHECK(f.arrived.unlocked == 0);
}

TEST_CASE("a plain funnel is skipped only while it forwards no input's events on a switch",
          "[shortcut][funnel]") {
  GstElement* plain = gst_element_factory_make("funnel", nullptr);
  SECTION("told not to: skipped after its first buffer, under its stream lock") {
    g_object_set(plain, "forward-sticky-events", FALSE, nullptr);
    funnel_fixture f(false, plain);
    f.rounds(10);
    CHECK(f.delivered() == 20);
    CHECK(f.through_funnel == 1);  // the first: it forwarded that input's events
    CHECK(f.arrived.unlocked == 0);
  }
  SECTION("by default: not skipped") {
    funnel_fixture f(false, plain);
    f.rounds(5);
    CHECK(f.delivered() == 10);
    CHECK(f.through_funnel == 10);
  }
}

TEST_CASE("a funnel is not skipped while an input negotiated TWCC", "[shortcut][funnel]") {
  SECTION("from the start") {
    funnel_fixture f(true);
    f.rounds(5);
    CHECK(f.delivered() == 10);
    CHECK(f.through_funnel == 10);
  }
  SECTION("from new caps on an input") {
    funnel_fixture f;
    f.rounds(5);
    CHECK(f.through_funnel == 1);
    gst_pad_send_event(f.inputs[1].get(), gst_event_new_caps(input_caps(2, true).get()));
    f.rounds(5);
    CHECK(f.delivered() == 20);
    CHECK(f.through_funnel == 11);
  }
}

TEST_CASE("a funnel reset sends its caps again before it is skipped again", "[shortcut][funnel]") {
  funnel_fixture f;
  f.rounds(3);
  CHECK(f.through_funnel == 1);
  REQUIRE(gst_element_set_state(f.funnel, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS);
  caps_ptr cleared{gst_pad_get_current_caps(f.funnel_src.get())};
  CHECK_FALSE(cleared);
  REQUIRE(gst_element_sync_state_with_parent(f.funnel));
  // Upstream sends its stream's events again into the reactivated inputs.
  for (guint i = 0; i < 2; i++)
    send_stream_events(f.inputs[i].get(), ("again" + std::to_string(i)).c_str(),
                       input_caps(i + 1, false).get());
  // rtpfunnel 1.22 keeps its current input over a reset and sends a segment
  // only when the input switches: its last one was input 0, so input 1 first.
  f.push(1);
  f.push(0);
  f.rounds(2);
  CHECK(f.delivered() == 12);
  CHECK(f.through_funnel == 2);
  caps_ptr sent{gst_pad_get_current_caps(f.funnel_src.get())};
  CHECK(sent);
  CHECK(f.arrived.unlocked == 0);
}

namespace {

// A src pad of a `factory` element in the server's pipeline (not a test
// peer's, named "peer-...").
bool server_src_of(GstPad* pad, const char* factory_name) {
  GstObject* parent = GST_OBJECT_PARENT(pad);
  if (!parent || !GST_IS_ELEMENT(parent))
    return false;
  GstElementFactory* factory = gst_element_get_factory(GST_ELEMENT(parent));
  if (!factory || std::string(GST_OBJECT_NAME(factory)) != factory_name)
    return false;
  GstObject* top = parent;
  while (GST_OBJECT_PARENT(top))
    top = GST_OBJECT_PARENT(top);
  return !g_str_has_prefix(GST_OBJECT_NAME(top), "peer-");
}

}  // namespace

TEST_CASE("the server's connections skip their rtpfunnel and their DTLS/SRTP funnel", "[funnel]") {
  auto server_funnel_pushes =
    count_pushes([](GstPad* pad) { return server_src_of(pad, "rtpfunnel"); });
  // dtlssrtpenc's: every packet a connection sends
  auto server_plain_pushes = count_pushes([](GstPad* pad) { return server_src_of(pad, "funnel"); });
  room r;
  auto a = r.join("alice", true);
  auto b = r.join("bob", true);
  auto received = [&] {
    std::uint64_t n = 0;
    for (auto* p : {a.get(), b.get()})
      for (auto& [id, t] : p->received())
        n += t.packets;
    return n;
  };
  REQUIRE(wait_until([&] { return received() >= 200; }, 10s));
  // Steady state: every connection has sent its first packets the normal way.
  auto forwarded0 = r.session().get_stats().forwarded_packets;
  int pushes0 = *server_funnel_pushes, plain0 = *server_plain_pushes;
  auto received0 = received();
  REQUIRE(wait_until([&] { return received() >= received0 + 300; }, 10s));
  auto forwarded = r.session().get_stats().forwarded_packets - forwarded0;
  int pushes = *server_funnel_pushes - pushes0, plain = *server_plain_pushes - plain0;
  INFO("forwarded " << forwarded << ", pushed out of the server's rtpfunnels " << pushes
                    << ", DTLS/SRTP funnels " << plain);
  REQUIRE(forwarded >= 300);
  // Without the skips every forwarded packet is pushed out of both.
  CHECK(pushes * 20 < static_cast<int>(forwarded));
  CHECK(plain * 20 < static_cast<int>(forwarded));
}
