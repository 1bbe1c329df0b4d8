// Our nicesrc (media/nice_source) in place of libnice's: webrtcbin's factory
// name gives ours, and between two real libnice agents on 127.0.0.1 it
// delivers every packet, in order and timestamped, and stops at once when
// its pipeline is set to NULL while it waits for packets. Waiting for the
// next packet, it does not wake its own context.
#include "media/webrtcbin/nice_source.hpp"
#include "media/gst_ptr.hpp"

#include <agent.h>
#include <gst/app/gstappsink.h>

#include <catch2/catch.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>

using namespace vr::media;
using namespace std::chrono_literals;

namespace {

// Two agents on one context run by a thread of their own, connected over
// loopback; `a` is read by a nicesrc, `b` sends.
struct agent_pair {
  context_ptr context{g_main_context_new()};
  loop_ptr loop{g_main_loop_new(context.get(), FALSE)};
  std::thread thread{[this] { g_main_loop_run(loop.get()); }};
  gobject_ptr<NiceAgent> a{nice_agent_new(context.get(), NICE_COMPATIBILITY_RFC5245)};
  gobject_ptr<NiceAgent> b{nice_agent_new(context.get(), NICE_COMPATIBILITY_RFC5245)};
  guint a_stream = 0, b_stream = 0;
  std::atomic<int> gathered{0}, ready{0};

  agent_pair() {
    prepare(a.get(), a_stream, true);
    prepare(b.get(), b_stream, false);
    // b needs a receive callback of its own to take part in the checks.
    nice_agent_attach_recv(
      b.get(), b_stream, 1, context.get(),
      +[](NiceAgent*, guint, guint, guint, gchar*, gpointer) {}, nullptr);
    nice_agent_gather_candidates(a.get(), a_stream);
    nice_agent_gather_candidates(b.get(), b_stream);
    wait_for([&] { return gathered == 2; });
    exchange(a.get(), a_stream, b.get(), b_stream);
    exchange(b.get(), b_stream, a.get(), a_stream);
  }

  ~agent_pair() {
    g_main_loop_quit(loop.get());
    thread.join();
  }

  void prepare(NiceAgent* agent, guint& stream, bool controlling) {
    g_object_set(agent, "upnp", FALSE, "ice-tcp", FALSE, "controlling-mode", controlling, nullptr);
    NiceAddress loopback;
    nice_address_init(&loopback);
    nice_address_set_from_string(&loopback, "127.0.0.1");
    nice_agent_add_local_address(agent, &loopback);
    stream = nice_agent_add_stream(agent, 1);
    g_signal_connect(agent, "candidate-gathering-done",
                     G_CALLBACK(+[](NiceAgent*, guint, gpointer self) {
                       ++static_cast<agent_pair*>(self)->gathered;
                     }),
                     this);
    g_signal_connect(agent, "component-state-changed",
                     G_CALLBACK(+[](NiceAgent*, guint, guint, guint state, gpointer self) {
                       if (state == NICE_COMPONENT_STATE_READY)
                         ++static_cast<agent_pair*>(self)->ready;
                     }),
                     this);
  }

  static void exchange(NiceAgent* from, guint from_stream, NiceAgent* to, guint to_stream) {
    gchar *ufrag = nullptr, *pwd = nullptr;
    nice_agent_get_local_credentials(from, from_stream, &ufrag, &pwd);
    nice_agent_set_remote_credentials(to, to_stream, ufrag, pwd);
    g_free(ufrag);
    g_free(pwd);
    GSList* candidates = nice_agent_get_local_candidates(from, from_stream, 1);
    nice_agent_set_remote_candidates(to, to_stream, 1, candidates);
    g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  }

  template <typename F>
  static bool wait_for(F done) {
    for (int i = 0; i < 500 && !done(); i++)
      std::this_thread::sleep_for(10ms);
    return done();
  }
};

struct reading_pipeline {
  element_ptr pipeline{gst_pipeline_new(nullptr)};
  GstElement* src = gst_element_factory_make("nicesrc", nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);

  reading_pipeline(NiceAgent* agent, guint stream) {
    g_object_set(src, "agent", agent, "stream", stream, "component", 1u, nullptr);
    g_object_set(sink, "sync", FALSE, "max-buffers", 0u, nullptr);
    gst_bin_add_many(GST_BIN(pipeline.get()), src, sink, nullptr);
    gst_element_link(src, sink);
  }
  ~reading_pipeline() { gst_element_set_state(pipeline.get(), GST_STATE_NULL); }
};

}  // namespace

TEST_CASE(
  "our nicesrc replaces libnice's under its name, and stays after the plugin is loaded again",
  "[nicesrc]") {
  gst_init(nullptr, nullptr);
  REQUIRE(replace_nicesrc());
  gst_object_ptr<GstPlugin> again{gst_plugin_load_by_name("nice")};
  REQUIRE(again);
  element_ptr src{gst_element_factory_make("nicesrc", nullptr)};
  REQUIRE(src);
  CHECK(std::string(G_OBJECT_TYPE_NAME(src.get())) == "VrNiceSrc");
  for (const char* property : {"agent", "stream", "component"})
    CHECK(g_object_class_find_property(G_OBJECT_GET_CLASS(src.get()), property));
  element_ptr sink{gst_element_factory_make("nicesink", nullptr)};  // libnice's, still there
  CHECK(sink);
  // Without an agent it refuses to start, as libnice's does.
  CHECK(gst_element_set_state(src.get(), GST_STATE_READY) == GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(src.get(), GST_STATE_NULL);
}

TEST_CASE("our nicesrc delivers every packet from a real ICE peer, in order and timestamped",
          "[nicesrc]") {
  gst_init(nullptr, nullptr);
  REQUIRE(replace_nicesrc());
  agent_pair agents;
  reading_pipeline reader(agents.a.get(), agents.a_stream);
  REQUIRE(std::string(G_OBJECT_TYPE_NAME(reader.src)) == "VrNiceSrc");
  // STUN answers for `a` now go through the context the element iterates.
  REQUIRE(gst_element_set_state(reader.pipeline.get(), GST_STATE_PLAYING) !=
          GST_STATE_CHANGE_FAILURE);
  REQUIRE(agent_pair::wait_for([&] { return agents.ready >= 2; }));

  constexpr int n = 200;
  for (int i = 0; i < n; i++) {
    std::string packet = "packet " + std::to_string(i);
    REQUIRE(nice_agent_send(agents.b.get(), agents.b_stream, 1, packet.size(), packet.data()) ==
            static_cast<gint>(packet.size()));
    if (i % 20 == 19)
      std::this_thread::sleep_for(2ms);  // some arrive one by one, some together
  }
  int received = 0;
  bool in_order = true, timestamped = true;
  while (received < n) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(reader.sink), 5 * GST_SECOND);
    if (!sample)
      break;
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    std::string expected = "packet " + std::to_string(received);
    if (gst_buffer_get_size(buffer) != expected.size() ||
        gst_buffer_memcmp(buffer, 0, expected.data(), expected.size()))
      in_order = false;
    if (!GST_BUFFER_PTS_IS_VALID(buffer))
      timestamped = false;
    gst_sample_unref(sample);
    received++;
  }
  CHECK(received == n);
  CHECK(in_order);
  CHECK(timestamped);
}

TEST_CASE("our nicesrc waiting for packets stops at once when its pipeline is set to NULL",
          "[nicesrc]") {
  gst_init(nullptr, nullptr);
  REQUIRE(replace_nicesrc());
  agent_pair agents;
  for (int round = 0; round < 20; round++) {
    reading_pipeline reader(agents.a.get(), agents.a_stream);
    REQUIRE(gst_element_set_state(reader.pipeline.get(), GST_STATE_PLAYING) !=
            GST_STATE_CHANGE_FAILURE);
    std::this_thread::sleep_for(20ms);  // its thread is in poll now: nothing is sent
    // On a thread of its own, so a stop that hangs is a failed check.
    auto stop = std::async(std::launch::async, [&] {
      return gst_element_set_state(reader.pipeline.get(), GST_STATE_NULL);
    });
    REQUIRE(stop.wait_for(5s) == std::future_status::ready);
    CHECK(stop.get() == GST_STATE_CHANGE_SUCCESS);
  }
}

namespace {

// Write syscalls made so far by thread `tid` of this process.
long writes_of_thread(pid_t tid) {
  std::ifstream io("/proc/self/task/" + std::to_string(tid) + "/io");
  std::string key;
  long value = -1;
  while (io >> key >> value)
    if (key == "syscw:")
      return value;
  return -1;
}

}  // namespace

TEST_CASE("our nicesrc waits for the next packet without waking its own context", "[nicesrc]") {
  gst_init(nullptr, nullptr);
  REQUIRE(replace_nicesrc());
  agent_pair agents;
  reading_pipeline reader(agents.a.get(), agents.a_stream);
  std::atomic<pid_t> streaming_thread{0};
  gst_object_ptr<GstPad> src_pad{gst_element_get_static_pad(reader.src, "src")};
  gst_pad_add_probe(
    src_pad.get(), GST_PAD_PROBE_TYPE_BUFFER,
    +[](GstPad*, GstPadProbeInfo*, gpointer tid) {
      static_cast<std::atomic<pid_t>*>(tid)->store(static_cast<pid_t>(syscall(SYS_gettid)));
      return GST_PAD_PROBE_OK;
    },
    &streaming_thread, nullptr);
  REQUIRE(gst_element_set_state(reader.pipeline.get(), GST_STATE_PLAYING) !=
          GST_STATE_CHANGE_FAILURE);
  REQUIRE(agent_pair::wait_for([&] { return agents.ready >= 2; }));

  // One packet at a time, each read after its own wait in poll.
  auto send_and_receive = [&](int count) {
    int received = 0;
    for (int i = 0; i < count; i++) {
      std::string packet = "packet " + std::to_string(i);
      nice_agent_send(agents.b.get(), agents.b_stream, 1, packet.size(), packet.data());
      if (GstSample* sample =
            gst_app_sink_try_pull_sample(GST_APP_SINK(reader.sink), 5 * GST_SECOND)) {
        gst_sample_unref(sample);
        received++;
      }
    }
    return received;
  };
  REQUIRE(send_and_receive(5) == 5);  // the socket's source has been dispatched once
  pid_t tid = streaming_thread;
  REQUIRE(tid != 0);
  long before = writes_of_thread(tid);
  REQUIRE(before >= 0);
  REQUIRE(send_and_receive(100) == 100);
  // GLib would wake the context (an eventfd write, then a spare poll and a
  // read) after each dispatch of a source that may not recurse.
  CHECK(writes_of_thread(tid) - before == 0);
}
