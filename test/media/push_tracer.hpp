// Counts gst_pad_push calls out of chosen pads, through a GStreamer tracer
// hook: pad probes cannot see a push whose buffer an earlier probe (like a
// branch's `isolate`) handled, nor tell a push from a chain.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>

namespace vr::media::test {

// A counter of the buffers pushed out of pads `filter` accepts from now on,
// on any thread, while the counter lives. The hook stays registered for the
// rest of the process (ctest runs each test case in a process of its own).
std::shared_ptr<std::atomic<int>> count_pushes(std::function<bool(GstPad*)> filter);

}  // namespace vr::media::test
