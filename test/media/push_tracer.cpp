#include "test/media/push_tracer.hpp"

#include <gst/gsttracer.h>

#include <mutex>
#include <utility>
#include <vector>

namespace vr::media::test {
namespace {

struct VrPushTracer {
  GstTracer parent;
};
struct VrPushTracerClass {
  GstTracerClass parent_class;
};
GType vr_push_tracer_get_type();
G_DEFINE_TYPE(VrPushTracer, vr_push_tracer, GST_TYPE_TRACER)
void vr_push_tracer_class_init(VrPushTracerClass*) {}
void vr_push_tracer_init(VrPushTracer*) {}

struct watch {
  std::function<bool(GstPad*)> filter;
  std::weak_ptr<std::atomic<int>> counter;
};

std::mutex watches_mutex;
std::vector<watch> watches;

void on_push(GstTracer*, guint64, GstPad* pad, GstBuffer*) {
  std::lock_guard lock(watches_mutex);
  for (auto& w : watches)
    if (auto n = w.counter.lock(); n && w.filter(pad))
      ++*n;
}

}  // namespace

std::shared_ptr<std::atomic<int>> count_pushes(std::function<bool(GstPad*)> filter) {
  static GstTracer* tracer = [] {
    gst_init(nullptr, nullptr);
    auto* t = GST_TRACER(g_object_new(vr_push_tracer_get_type(), nullptr));
    gst_tracing_register_hook(t, "pad-push-pre", G_CALLBACK(&on_push));
    return t;
  }();
  (void)tracer;
  auto counter = std::make_shared<std::atomic<int>>(0);
  std::lock_guard lock(watches_mutex);
  watches.push_back({std::move(filter), counter});
  return counter;
}

}  // namespace vr::media::test
