// The nack buffer alone, in a GstHarness: packets pass at once and in arrival
// order; gaps in video become retransmission requests upstream (what rtpsession
// turns into NACKs), asked again while missing, and forgotten once filled.
#include "media/webrtcbin/nack_buffer.hpp"
#include "media/gst_ptr.hpp"

#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace vr::media;
using namespace std::chrono_literals;

namespace {

GstBuffer* rtp(guint16 seq, guint8 pt = 96) {
  GstBuffer* b = gst_rtp_buffer_new_allocate(20, 0, 0);
  GstRTPBuffer r = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map(b, GST_MAP_WRITE, &r);
  gst_rtp_buffer_set_seq(&r, seq);
  gst_rtp_buffer_set_ssrc(&r, 0xabcd);
  gst_rtp_buffer_set_payload_type(&r, pt);
  gst_rtp_buffer_unmap(&r);
  return b;
}

guint16 seq_of(GstBuffer* b) {
  GstRTPBuffer r = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map(b, GST_MAP_READ, &r);
  guint16 s = gst_rtp_buffer_get_seq(&r);
  gst_rtp_buffer_unmap(&r);
  return s;
}

// The element under test, with rtpbin's payload-type map played by the test.
struct nack_harness {
  GstHarness* h;
  explicit nack_harness(const char* media) {
    gst_init(nullptr, nullptr);  // this test may run first
    element_ptr e{make_nack_buffer()};
    gst_object_ref_sink(e.get());
    g_signal_connect(e.get(), "request-pt-map", G_CALLBACK(+[](GstElement*, guint, gpointer kind) {
                       return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING,
                                                  static_cast<const char*>(kind), nullptr);
                     }),
                     const_cast<char*>(media));
    h = gst_harness_new_with_element(e.get(), "sink", "src");
    gst_harness_set_src_caps_str(h, "application/x-rtp");
  }
  ~nack_harness() { gst_harness_teardown(h); }

  // Pushes packets; returns the sequence numbers that came out, in order.
  std::vector<guint16> push(std::initializer_list<guint16> seqs) {
    std::vector<guint16> out;
    for (auto s : seqs) {
      REQUIRE(gst_harness_push(h, rtp(s)) == GST_FLOW_OK);
      GstBuffer* b = gst_harness_pull(h);
      out.push_back(seq_of(b));
      gst_buffer_unref(b);
    }
    return out;
  }

  // Per request pulled so far: '+' more follow at once, '.' the last of a row.
  std::string marks;

  // The retransmission requests sent upstream since the last call.
  std::vector<guint> requests() {
    std::vector<guint> seqs;
    while (GstEvent* ev = gst_harness_try_pull_upstream_event(h)) {
      const GstStructure* s = gst_event_get_structure(ev);
      guint seq = 0, ssrc = 0;
      if (s && gst_structure_has_name(s, "GstRTPRetransmissionRequest") &&
          gst_structure_get_uint(s, "seqnum", &seq) && gst_structure_get_uint(s, "ssrc", &ssrc)) {
        CHECK(ssrc == 0xabcd);
        seqs.push_back(seq);
        gboolean more = FALSE;
        marks.push_back(
          gst_structure_get_boolean(s, more_requests_field, &more) ? (more ? '+' : '.') : '?');
      }
      gst_event_unref(ev);
    }
    return seqs;
  }
};

}  // namespace

TEST_CASE("nack buffer: packets pass at once and in arrival order, gaps in video are asked for",
          "[nack]") {
  nack_harness t{"video"};
  CHECK(t.push({10, 11, 14}) == std::vector<guint16>{10, 11, 14});
  CHECK(t.requests() == std::vector<guint>{12, 13});
  CHECK(t.push({12}) == std::vector<guint16>{12});  // a retransmission passes on, late
  CHECK(t.requests().empty());
  std::this_thread::sleep_for(60ms);  // 13 is due again
  t.push({15});
  CHECK(t.requests() == std::vector<guint>{13});
  t.push({13});
  std::this_thread::sleep_for(60ms);
  t.push({16});
  CHECK(t.requests().empty());  // filled: forgotten
  CHECK(nack_buffer_requests(t.h->element) == 3);
}

TEST_CASE(
  "nack buffer: the requests one packet brings about are sent in a row, marked for one NACK",
  "[nack]") {
  nack_harness t{"video"};
  t.push({10, 14});
  CHECK(t.requests() == std::vector<guint>{11, 12, 13});
  CHECK(t.marks == "++.");
  std::this_thread::sleep_for(60ms);  // 11-13 are due again
  t.push({18});
  CHECK(t.requests() ==
        std::vector<guint>{15, 16, 17, 11, 12, 13});  // the new gap, then the retries
  CHECK(t.marks == "++.+++++.");
}

TEST_CASE("nack buffer: sequence numbers wrap, a missing packet is asked for three times at most",
          "[nack]") {
  nack_harness t{"video"};
  t.push({65534, 65535, 1});
  CHECK(t.requests() == std::vector<guint>{0});
  for (guint16 s = 2; s < 6; ++s) {
    std::this_thread::sleep_for(50ms);
    t.push({s});
  }
  CHECK(t.requests() == std::vector<guint>{0, 0});  // the second and third tries
}

TEST_CASE("nack buffer: audio is not repaired, and a jump is a new stream, not loss", "[nack]") {
  nack_harness audio{"audio"};
  audio.push({1, 2, 5});
  CHECK(audio.requests().empty());

  // 65535 came before 5, from the previous cycle: late, not a jump ahead.
  nack_harness early{"video"};
  early.push({5, 65535, 6, 8});
  CHECK(early.requests() == std::vector<guint>{7});

  nack_harness video{"video"};
  video.push({100, 101, 2000});
  CHECK(video.requests().empty());
  video.push({2002});
  CHECK(video.requests() == std::vector<guint>{2001});
}
