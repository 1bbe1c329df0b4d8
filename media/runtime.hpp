// The media thread: one process-wide GMainLoop on its own GMainContext.
// Every session (and test peer) does its GStreamer work here, so callers on
// actor threads only enqueue a closure and return at once, and all media state
// is touched by exactly one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

typedef struct _GMainContext GMainContext;

namespace vr::media {

class runtime {
public:
  // The process-wide instance, started on first use (gst_init included) and
  // stopped when the last holder lets go.
  static std::shared_ptr<runtime> shared();

  runtime();
  ~runtime();  // quits the loop and joins the thread; pending closures are dropped
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // Runs fn on the media thread, strictly after every closure posted before it.
  // Never runs inline, even when called from the media thread (no reentrancy).
  void post(std::function<void()> fn);
  // Runs fn on the media thread after a delay.
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);
  // Runs fn on the media thread and waits for it. Inline if already there.
  void run_sync(std::function<void()> fn);

  bool in_media_thread() const;
  GMainContext* context() const;

private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace vr::media
