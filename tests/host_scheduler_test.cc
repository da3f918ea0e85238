// Per-host politeness in the scheduler: caps, gaps, round-robin, and no host blocking the others.
#include <doctest/doctest.h>

#include <chrono>

#include "crawler/host_scheduler.h"

using gc::HostScheduler;
using gc::storage::FrontierItem;

namespace {
using Clock = HostScheduler::Clock;
using std::chrono::milliseconds;
FrontierItem Item(const std::string& url) { return FrontierItem{url, 0, 0, std::nullopt, std::nullopt}; }
// The time is passed in (Next takes it), so a test states "80 ms later" instead of sleeping through it.
std::string NextUrl(HostScheduler& s, Clock::time_point now = Clock::now()) {
  auto n = s.Next(now);
  return n ? n->first.url : "";
}
}  // namespace

TEST_CASE("a per-host cap holds a host back while other hosts go on, round-robin") {
  HostScheduler s(2, 0);
  for (int i = 0; i < 4; ++i) s.Add(Item("a" + std::to_string(i)), "A");
  s.Add(Item("b0"), "B");
  CHECK(NextUrl(s) == "a0");
  CHECK(NextUrl(s) == "b0");  // A went to the back of the line
  CHECK(NextUrl(s) == "a1");
  CHECK(NextUrl(s) == "");    // A has 2 in flight, B is empty
  CHECK(s.queued() == 2);
  s.Done("A");
  CHECK(NextUrl(s) == "a2");
  CHECK(NextUrl(s) == "");
  s.Done("B");
  s.Done("A");
  s.Done("A");
  CHECK(NextUrl(s) == "a3");
  s.Done("A");
  CHECK(s.queued() == 0);
  CHECK(s.hosts() == 0);  // nothing kept for hosts with no work
}

TEST_CASE("a per-host gap delays that host only, and says when it is due") {
  HostScheduler s(0, 80);
  s.Add(Item("a0"), "A");
  s.Add(Item("a1"), "A");
  s.Add(Item("b0"), "B");
  auto t0 = Clock::now();
  CHECK(NextUrl(s, t0) == "a0");
  CHECK(NextUrl(s, t0) == "b0");
  CHECK(NextUrl(s, t0) == "");  // a1 must wait 80 ms after a0 started
  auto wake = s.NextWake();
  REQUIRE(wake);
  CHECK(*wake == t0 + milliseconds(80));
  CHECK(NextUrl(s, t0 + milliseconds(79)) == "");
  CHECK(NextUrl(s, t0 + milliseconds(80)) == "a1");
  CHECK(!s.NextWake());
}
