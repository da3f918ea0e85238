// Per-host politeness in the scheduler: caps, gaps, round-robin, and no host blocking the others.
#include <doctest/doctest.h>

#include <chrono>
#include <map>

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

TEST_CASE("checks held back: hosts whose next URL is a check wait their turn, pages go on, and they come first after") {
  HostScheduler s(0, 0);
  auto check = [](const std::string& url, const char* kind) {
    FrontierItem item = Item(url);
    item.source_kind = kind;
    return item;
  };
  // 1,000 hosts of external links queued before the site's pages (one host: page, then a resource).
  for (int i = 0; i < 1000; ++i) s.Add(check("x" + std::to_string(i), "external"), "X" + std::to_string(i));
  s.Add(Item("p0"), "A");
  s.Add(check("img", "resource"), "A");
  s.Add(Item("p1"), "A");
  CHECK(s.queued() == 1003);
  CHECK(s.queued_pages() == 2);
  auto next = [&](bool checks) {
    auto n = s.Next(Clock::now(), checks);
    return n ? n->first.url : "";
  };
  CHECK(next(false) == "p0");  // the 1,000 check hosts are set aside, not started
  CHECK(next(false) == "");    // A's next is a check: A waits too (its p1 behind it)
  CHECK(s.queued_pages() == 1);
  // Checks allowed again: the hosts set aside go first, in their order, each once.
  CHECK(next(true) == "x0");
  CHECK(next(true) == "x1");
  CHECK(next(false) == "");    // nothing but checks is ready
  for (int i = 2; i < 1000; ++i) REQUIRE(next(true) == "x" + std::to_string(i));
  CHECK(next(true) == "img");
  CHECK(next(false) == "p1");
  CHECK(s.queued() == 0);
  CHECK(s.queued_pages() == 0);
}

TEST_CASE("lanes of one origin share its cap: --per-host 6 over 4 lanes is 2, 2, 1 and 1 in flight") {
  HostScheduler s(6, 0, 4);
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 5; ++i) s.Add(Item("u" + std::to_string(k) + std::to_string(i)), "http://a:80#" + std::to_string(k));
  }
  std::map<std::string, int> started;
  auto t0 = Clock::now();
  while (auto n = s.Next(t0)) ++started[n->second];
  CHECK(started == std::map<std::string, int>{{"http://a:80#0", 2}, {"http://a:80#1", 2}, {"http://a:80#2", 1},
                                              {"http://a:80#3", 1}});
  s.Done("http://a:80#3");
  auto again = s.Next(t0);
  REQUIRE(again);
  CHECK(again->second == "http://a:80#3");
  CHECK_FALSE(s.Next(t0));
  // Fewer than one a lane (a run resumed with a smaller --per-host): still one each, never none.
  HostScheduler few(2, 0, 4);
  few.Add(Item("x"), "http://a:80#3");
  CHECK(NextUrl(few, t0) == "x");
}
