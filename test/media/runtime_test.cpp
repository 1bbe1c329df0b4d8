// The media thread (media/runtime): closures run there in order, and a
// runtime stops whenever it is let go, even right after it started.
#include "media/runtime.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace vr::media;

TEST_CASE("closures run on the media thread in the order they were posted", "[runtime]") {
  runtime rt;
  std::vector<int> order;
  std::atomic<bool> on_thread{true};
  for (int i = 0; i < 100; i++)
    rt.post([&, i] {
      if (!rt.in_media_thread())
        on_thread = false;
      order.push_back(i);
    });
  std::atomic<bool> later{false};
  rt.post_after(std::chrono::milliseconds(20), [&] { later = true; });
  rt.run_sync([] {});  // everything posted before has run
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; i++)
    CHECK(order[i] == i);
  CHECK(on_thread);
  CHECK_FALSE(rt.in_media_thread());
  for (int i = 0; i < 100 && !later; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(later);
}

TEST_CASE("a runtime let go right after it started stops", "[runtime]") {
  // The thread may not have entered its loop yet when the destructor asks it
  // to quit; that request must not be lost (the join would hang for ever).
  // Done on a thread of its own, so a hang is a failed check, not a timeout.
  auto stopped = std::make_shared<std::atomic<int>>(0);
  std::thread cycles([stopped] {
    for (int i = 0; i < 2000; i++) {
      runtime rt;
      (void)rt;
      ++*stopped;
    }
  });
  for (int i = 0; i < 400 && *stopped < 2000; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(*stopped == 2000);
  if (*stopped == 2000)
    cycles.join();
  else
    cycles.detach();  // stuck in a join: left behind, holding only `stopped`
}
