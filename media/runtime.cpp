#include "media/runtime.hpp"

#include "media/gst_ptr.hpp"
#include "media/webrtcbin/nice_source.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace vr::media {

struct runtime::state {
  context_ptr context{g_main_context_new()};
  loop_ptr loop{g_main_loop_new(context.get(), FALSE)};
  std::thread thread;
  std::thread::id thread_id;

  std::mutex mutex;
  std::deque<std::function<void()>> queue;
  bool scheduled = false;  // an idle source is attached and will drain `queue`

  // Drains the queue one closure at a time so a closure may post more work
  // (which lands behind everything already queued).
  static gboolean drain(gpointer data) {
    auto* self = static_cast<state*>(data);
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lock(self->mutex);
        if (self->queue.empty()) {
          self->scheduled = false;
          return G_SOURCE_REMOVE;
        }
        fn = std::move(self->queue.front());
        self->queue.pop_front();
      }
      fn();
    }
  }
};

namespace {
std::mutex shared_mutex;
std::weak_ptr<runtime> shared_instance;
}  // namespace

std::shared_ptr<runtime> runtime::shared() {
  std::lock_guard lock(shared_mutex);
  auto rt = shared_instance.lock();
  if (!rt) {
    rt = std::make_shared<runtime>();
    shared_instance = rt;
  }
  return rt;
}

runtime::runtime() : state_(std::make_shared<state>()) {
  static std::once_flag init_once;
  std::call_once(init_once, [] {
    gst_init(nullptr, nullptr);
    replace_nicesrc();  // webrtcbin/nice_source.hpp: fewer system calls per received packet
  });

  std::mutex started_mutex;
  std::condition_variable started_cv;
  bool started = false;
  state_->thread = std::thread([st = state_, &started_mutex, &started_cv, &started] {
    g_main_context_push_thread_default(st->context.get());
    {
      std::lock_guard lock(started_mutex);
      st->thread_id = std::this_thread::get_id();
      started = true;
    }
    started_cv.notify_one();
    g_main_loop_run(st->loop.get());
    g_main_context_pop_thread_default(st->context.get());
  });
  std::unique_lock lock(started_mutex);
  started_cv.wait(lock, [&] { return started; });
}

runtime::~runtime() {
  // Quit from inside the loop: a g_main_loop_quit that came before the thread
  // entered g_main_loop_run would be forgotten and the join below would hang.
  source_ptr quit(g_idle_source_new());
  g_source_set_priority(quit.get(), G_PRIORITY_HIGH);
  g_source_set_callback(
    quit.get(),
    [](gpointer loop) -> gboolean {
      g_main_loop_quit(static_cast<GMainLoop*>(loop));
      return G_SOURCE_REMOVE;
    },
    state_->loop.get(), nullptr);
  g_source_attach(quit.get(), state_->context.get());
  if (in_media_thread()) {
    // Destroyed from a closure: cannot join ourselves; the thread owns `state_`.
    state_->thread.detach();
    return;
  }
  state_->thread.join();
  std::lock_guard lock(state_->mutex);
  state_->queue.clear();
}

void runtime::post(std::function<void()> fn) {
  std::lock_guard lock(state_->mutex);
  state_->queue.push_back(std::move(fn));
  if (state_->scheduled)
    return;
  state_->scheduled = true;
  source_ptr src(g_idle_source_new());
  g_source_set_priority(src.get(), G_PRIORITY_DEFAULT);
  g_source_set_callback(src.get(), &state::drain, state_.get(), nullptr);
  g_source_attach(src.get(), state_->context.get());
}

void runtime::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  using fn_t = std::function<void()>;
  source_ptr src(g_timeout_source_new(static_cast<guint>(delay.count())));
  g_source_set_callback(
    src.get(),
    [](gpointer data) -> gboolean {
      (*unbox<fn_t>(data))();
      return G_SOURCE_REMOVE;
    },
    box(std::make_shared<fn_t>(std::move(fn))), &unbox_free<fn_t>);
  g_source_attach(src.get(), state_->context.get());
}

void runtime::run_sync(std::function<void()> fn) {
  if (in_media_thread()) {
    fn();
    return;
  }
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  post([&] {
    fn();
    std::lock_guard lock(m);
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
}

bool runtime::in_media_thread() const { return std::this_thread::get_id() == state_->thread_id; }

GMainContext* runtime::context() const { return state_->context.get(); }

}  // namespace vr::media
