// The greenlet core: scheduling order, join/value/exception, kill, timeouts, Pool, Queue, Event,
// Semaphore, thread-pool work, and a clean loop close after each test.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "greenlet/serial_thread.h"
#include "greenlet/spawn.h"
#include "greenlet/sync.h"
#include "greenlet/thread_pool.h"

using namespace gc;
using Clock = std::chrono::steady_clock;

namespace {

// Counts live instances, to prove frames and their locals are destroyed.
struct Tracked {
  static inline int alive = 0;
  Tracked() { ++alive; }
  Tracked(const Tracked&) { ++alive; }
  ~Tracked() { --alive; }
};

Task<void> Step(std::vector<std::string>* log, std::string name, int steps) {
  for (int i = 0; i < steps; ++i) {
    log->push_back(name + std::to_string(i));
    co_await Sleep(i == 0 ? 0 : 1);  // first a plain yield, then a real timer
  }
}

Task<int> Answer(int ms) {
  co_await Sleep(ms);
  co_return 42;
}

Task<int> Fails() {
  co_await Yield();
  throw std::runtime_error("boom");
}

// An hour: long past any test's bound, so a test that returns proves the sleep was cut short.
constexpr int kAnHour = 3'600'000;

Task<void> SleepForever(int* finished) {
  Tracked t;
  co_await Sleep(kAnHour);
  ++*finished;
}

Task<int> Immediate(int i) { co_return i; }

Task<long> ManySynchronousAwaits(int n) {
  long sum = 0;
  for (int i = 0; i < n; ++i) sum += co_await Immediate(i);
  co_return sum;
}

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Holds work on another thread until the test lets it go, so "killed while the work runs" is a
// sequence the test sets, not a race between two sleeps.
class PoolLatch {
 public:
  void Arrive() { arrived_ = true; }
  bool arrived() const { return arrived_; }
  void Release() { released_ = true; }
  // Waits for Release(); a bound of 10 minutes turns a lost release into a failure, not a hang.
  void AwaitRelease() {
    auto until = Clock::now() + std::chrono::minutes(10);
    while (!released_ && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  std::atomic<bool> arrived_{false};
  std::atomic<bool> released_{false};
};

}  // namespace

TEST_CASE("three greenlets interleave in spawn order at every suspension") {
  Hub hub;
  std::vector<std::string> log;
  Spawn(Step, &log, "A", 3);
  Spawn(Step, &log, "B", 3);
  Spawn(Step, &log, "C", 3);
  hub.Run();
  // Yields (Sleep(0)) keep strict round-robin; 1 ms timers set in order fire in order.
  CHECK(log == std::vector<std::string>{"A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2"});
  CHECK(hub.live_greenlets() == 0);
  CHECK(hub.Close() == 0);
}

TEST_CASE("a joined greenlet gives its value, and a failed one rethrows its exception") {
  Hub hub;
  auto ok = Spawn(Answer, 5);
  auto bad = Spawn(Fails);
  auto joiner = Spawn([](Greenlet<int> a, Greenlet<int> b) -> Task<int> {
    co_await a.Join();
    co_await b.Join();  // join itself never throws
    co_return a.value();
  }, ok, bad);
  CHECK_FALSE(ok.ready());
  hub.Run();
  REQUIRE(joiner.ready());
  CHECK(joiner.value() == 42);
  CHECK(ok.successful());
  CHECK(bad.ready());
  CHECK_FALSE(bad.successful());
  CHECK_THROWS_WITH_AS(bad.value(), "boom", std::runtime_error);
  CHECK(hub.Close() == 0);
}

TEST_CASE("joinall with a timeout returns false while a greenlet is still running, true once all finish") {
  Hub hub;
  Event release;
  // `slow` waits for the event, not for a longer timer: on a busy machine both timers can be due at once.
  auto fast = Spawn(Answer, 10);
  auto slow = Spawn([](Event* go) -> Task<int> {
    co_await go->Wait();
    co_return 7;
  }, &release);
  auto waiter = Spawn([](Greenlet<int> f, Greenlet<int> s, Event* go) -> Task<std::vector<bool>> {
    std::vector<bool> r;
    std::vector<Greenlet<int>> both{f, s};  // not a braced list inside co_await: g++ 12 rejects it
    // libuv fires due timers in the order of their deadlines, so `fast` (10 ms) ends before this one (50).
    r.push_back(co_await JoinAll(both, 50));
    r.push_back(f.ready());
    r.push_back(s.ready());
    go->Set();
    r.push_back(co_await JoinAll(both, 60'000));  // a bound against hanging only
    co_return r;
  }, fast, slow, &release);
  hub.Run();
  CHECK(waiter.value() == std::vector<bool>{false, true, false, true});
  CHECK(hub.Close() == 0);
}

TEST_CASE("kill destroys a sleeping greenlet's frame, runs its destructors and closes its timer") {
  Hub hub;
  int finished = 0;
  auto victim = Spawn(SleepForever, &finished);
  auto killer = Spawn([](Greenlet<void> v) -> Task<void> {
    co_await Sleep(5);
    CHECK(Tracked::alive == 1);
    v.Kill();
    CHECK(Tracked::alive == 0);
  }, victim);
  auto start = Clock::now();
  hub.Run();  // returns at once: the hour-long timer was closed by the kill
  CHECK(SecondsSince(start) < 600);  // a bound against hanging, far below the hour
  CHECK(finished == 0);
  CHECK(victim.killed());
  CHECK_THROWS_AS(victim.value(), GreenletExit);
  CHECK(killer.successful());
  CHECK(Tracked::alive == 0);
  CHECK(hub.Close() == 0);
}

TEST_CASE("closing the hub destroys unfinished greenlets and leaves the loop clean") {
  int finished = 0;
  {
    Hub hub;
    Spawn(SleepForever, &finished);
    Spawn(SleepForever, &finished);
    auto event_waiter = Spawn([]() -> Task<void> {
      Event never;
      co_await never.Wait();
    });
    uv_run(hub.loop(), UV_RUN_NOWAIT);  // start them
    CHECK(Tracked::alive == 2);
    CHECK(hub.Close() == 0);
    CHECK(event_waiter.killed());
  }
  CHECK(Tracked::alive == 0);
  CHECK(finished == 0);
}

TEST_CASE("a greenlet killed before it started never runs") {
  Hub hub;
  int finished = 0;
  auto g = Spawn(SleepForever, &finished);
  g.Kill();
  hub.Run();
  CHECK(g.killed());
  CHECK(Tracked::alive == 0);
  CHECK(hub.Close() == 0);
}

TEST_CASE("with_timeout cancels a slow awaitable and passes a fast one's value") {
  Hub hub;
  auto g = Spawn([]() -> Task<std::vector<int>> {
    std::vector<int> r;
    r.push_back(co_await WithTimeout(1000, Answer(1)));
    try {
      co_await WithTimeout(20, Answer(kAnHour));
      r.push_back(-1);
    } catch (const Timeout&) {
      r.push_back(0);
    }
    co_return r;
  });
  auto start = Clock::now();
  hub.Run();
  CHECK(SecondsSince(start) < 600);  // a bound against hanging, far below the hour
  CHECK(g.value() == std::vector<int>{42, 0});
  CHECK(hub.Close() == 0);
}

TEST_CASE("a pool of 10 runs 1000 tasks and never more than 10 at once") {
  Hub hub;
  struct Counts {
    int now = 0, peak = 0, done = 0;
  } counts;
  auto main = Spawn([](Counts* c) -> Task<void> {
    Pool pool(10);
    for (int i = 0; i < 1000; ++i) {
      co_await pool.Spawn([](Counts* c, int i) -> Task<void> {
        c->peak = std::max(c->peak, ++c->now);
        co_await Sleep(i % 3);
        --c->now;
        ++c->done;
      }, c, i);
      CHECK(pool.running() <= 10);
    }
    co_await pool.Join();
  }, &counts);
  hub.Run();
  CHECK(main.successful());
  CHECK(counts.done == 1000);
  CHECK(counts.peak == 10);
  CHECK(hub.Close() == 0);
}

TEST_CASE("a bounded queue makes a fast producer wait for a slow consumer") {
  Hub hub;
  std::vector<std::string> log;
  Queue<int> q(2);
  auto producer = Spawn([](Queue<int>* q, std::vector<std::string>* log) -> Task<void> {
    for (int i = 0; i < 5; ++i) {
      co_await q->Put(i);
      log->push_back("put" + std::to_string(i));
      CHECK(q->size() <= 2);
    }
    q->Close();
  }, &q, &log);
  auto consumer = Spawn([](Queue<int>* q, std::vector<std::string>* log) -> Task<int> {
    int sum = 0;
    while (auto item = co_await q->Get()) {
      log->push_back("get" + std::to_string(*item));
      sum += *item;
      co_await Sleep(2);
    }
    co_return sum;
  }, &q, &log);
  hub.Run();
  CHECK(consumer.value() == 10);
  CHECK(producer.successful());
  // The producer got two ahead, then had to wait for each get.
  REQUIRE(log.size() == 10);
  CHECK(log[0] == "put0");
  CHECK(log[1] == "put1");
  CHECK(log[2] == "get0");
  int max_ahead = 0, puts = 0, gets = 0;
  for (auto& e : log) {
    (e.rfind("put", 0) == 0 ? puts : gets)++;
    max_ahead = std::max(max_ahead, puts - gets);
  }
  CHECK(max_ahead <= 3);  // 2 in the queue + 1 just taken by the consumer
  CHECK(hub.Close() == 0);
}

TEST_CASE("event wakes every waiter; semaphore admits its count") {
  Hub hub;
  Event ev;
  Semaphore sem(2);
  int woken = 0, peak = 0, inside = 0;
  std::vector<Greenlet<void>> gs;
  for (int i = 0; i < 5; ++i) {
    gs.push_back(Spawn([](Event* ev, int* woken) -> Task<void> {
      if (co_await ev->Wait()) ++*woken;
    }, &ev, &woken));
    gs.push_back(Spawn([](Semaphore* s, int* inside, int* peak) -> Task<void> {
      co_await s->Acquire();
      *peak = std::max(*peak, ++*inside);
      co_await Sleep(3);
      --*inside;
      s->Release();
    }, &sem, &inside, &peak));
  }
  auto setter = Spawn([](Event* ev) -> Task<bool> {
    bool before = co_await ev->Wait(10);  // times out: nobody set it
    ev->Set();
    co_return before;
  }, &ev);
  hub.Run();
  CHECK(setter.value() == false);
  CHECK(woken == 5);
  CHECK(peak == 2);
  CHECK(sem.available() == 2);
  CHECK(hub.Close() == 0);
}

TEST_CASE("a semaphore wake-up is not lost when the woken greenlet is killed before it runs") {
  Hub hub;
  Semaphore sem(0);
  auto first = Spawn([](Semaphore* s) -> Task<void> { co_await s->Acquire(); }, &sem);
  auto second = Spawn([](Semaphore* s) -> Task<void> { co_await s->Acquire(); }, &sem);
  auto main = Spawn([](Semaphore* s, Greenlet<void> a) -> Task<void> {
    co_await Yield();  // both wait now
    s->Release();      // wakes `first` ...
    a.Kill();          // ... which dies before it can take the permit
    co_return;
  }, &sem, first);
  hub.Run();
  CHECK(first.killed());
  CHECK(second.successful());  // the permit went on to it
  CHECK(main.successful());
  CHECK(hub.Close() == 0);
}

TEST_CASE("10,000 greenlets each sleeping 100 ms sleep together, not one after another") {
  Hub hub;
  struct Counts {
    int asleep = 0, peak = 0, done = 0;
  } counts;
  for (int i = 0; i < 10'000; ++i) {
    Spawn([](Counts* c) -> Task<void> {
      c->peak = std::max(c->peak, ++c->asleep);
      co_await Sleep(100);
      --c->asleep;
      ++c->done;
    }, &counts);
  }
  hub.Run();
  CHECK(counts.done == 10'000);
  // Counted, not timed: one after another, at most one would ever be asleep.
  CHECK(counts.peak == 10'000);
  CHECK(hub.Close() == 0);
}

TEST_CASE("thread-pool work runs off the loop thread and resumes the greenlet that asked") {
  Hub hub;
  auto loop_thread = std::this_thread::get_id();
  std::vector<Greenlet<std::string>> gs;
  for (int i = 0; i < 8; ++i) {
    gs.push_back(Spawn([](int i, std::thread::id loop_thread) -> Task<std::string> {
      auto on_pool = co_await RunInPool([i, loop_thread] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * (8 - i)));  // finish in reverse order
        return std::this_thread::get_id() != loop_thread;
      });
      co_return (on_pool ? "pool:" : "loop:") + std::to_string(i);
    }, i, loop_thread));
  }
  auto failing = Spawn([]() -> Task<int> {
    co_return co_await RunInPool([]() -> int { throw std::runtime_error("parse failed"); });
  });
  hub.Run();
  for (int i = 0; i < 8; ++i) CHECK(gs[i].value() == "pool:" + std::to_string(i));
  CHECK_THROWS_WITH(failing.value(), "parse failed");
  CHECK(hub.Close() == 0);
}

TEST_CASE("a greenlet killed during thread-pool work is not resumed when the work ends") {
  PoolLatch latch;  // outlives the hub, which waits for the pool job in Close()
  Hub hub;
  auto worker = Spawn([](PoolLatch* l) -> Task<int> {
    co_return co_await RunInPool([l] {
      l->Arrive();  // on the pool thread now
      l->AwaitRelease();
      return 1;
    });
  }, &latch);
  auto killer = Spawn([](Greenlet<int> w, PoolLatch* l) -> Task<void> {
    for (int i = 0; i < 60'000 && !l->arrived(); ++i) co_await Sleep(1);  // the work has started
    w.Kill();
    l->Release();  // only now may the work end: the kill comes first on any machine
  }, worker, &latch);
  hub.Run();  // waits for the pool job, which finds its greenlet gone
  CHECK(latch.arrived());
  CHECK(worker.killed());
  CHECK(killer.successful());
  CHECK(hub.Close() == 0);
}

TEST_CASE("100,000 synchronously completing awaits do not grow the stack") {
  Hub hub;
  auto g = Spawn(ManySynchronousAwaits, 100'000);
  hub.Run();
  CHECK(g.value() == 100'000L * 99'999 / 2);
  CHECK(hub.Close() == 0);
}

TEST_CASE("waiting outside a greenlet is a clear error, not a hang") {
  Hub hub;
  auto t = Answer(1);
  CHECK_THROWS_AS(hub.Park(std::noop_coroutine()), std::logic_error);
  CHECK(hub.Close() == 0);
}

namespace {

Task<void> UseSerialThread(SerialThread* t, std::vector<int>* order, std::thread::id* job_thread, std::string* error) {
  for (int i = 0; i < 100; ++i) t->Post([order, i] { order->push_back(i); });
  // A Call runs after every Post before it, on the thread, and brings its value back.
  // Named awaitables: g++ 12 mis-destroys a temporary one that owns state (docs/hacking.md).
  auto count = t->Call([order, job_thread] {
    *job_thread = std::this_thread::get_id();
    return order->size();
  });
  size_t seen = co_await count;
  order->push_back(int(seen));
  try {
    auto fails = t->Call([]() -> int { throw std::runtime_error("disk full"); });
    co_await fails;
  } catch (const std::runtime_error& e) {
    *error = e.what();
  }
  t->Post([] { throw std::runtime_error("write failed"); });
  auto drained = t->Call([] {});
  co_await drained;
}

}  // namespace

TEST_CASE("SerialThread: jobs run in order on one other thread; Call returns values and exceptions; a failed Post is kept") {
  Hub hub;
  std::vector<int> order;
  std::thread::id job_thread;
  std::string error;
  {
    SerialThread t(hub);
    auto g = Spawn(UseSerialThread, &t, &order, &job_thread, &error);
    hub.Run();  // returns only once the greenlet is done: a waiting Call keeps the loop alive
    REQUIRE(g.ready());
    CHECK(g.successful());
    CHECK(t.backlog() == 0);
    auto failed = t.TakeError();
    REQUIRE(failed);
    CHECK_THROWS_WITH(std::rethrow_exception(failed), "write failed");
    CHECK_FALSE(t.TakeError());  // once
  }
  REQUIRE(order.size() == 101);
  for (int i = 0; i < 100; ++i) CHECK(order[size_t(i)] == i);
  CHECK(order[100] == 100);
  CHECK(job_thread != std::this_thread::get_id());
  CHECK(error == "disk full");
  CHECK(hub.Close() == 0);
}

TEST_CASE("SerialThread: a killed caller's job still runs and its result is dropped; the destructor drains posts") {
  Hub hub;
  std::atomic<int> ran{0};
  PoolLatch latch;  // outlives the SerialThread, whose job may still be leaving AwaitRelease when the block ends
  {
    SerialThread t(hub);
    auto g = Spawn([&t, &ran, &latch]() -> Task<void> {
      auto slow = t.Call([&ran, &latch] {
        latch.Arrive();
        latch.AwaitRelease();
        return ++ran;
      });
      co_await slow;
    });
    auto killer = Spawn([&g, &latch]() -> Task<void> {
      for (int i = 0; i < 60'000 && !latch.arrived(); ++i) co_await Sleep(1);  // the job is running
      g.Kill();
      latch.Release();  // the job ends after the kill, on any machine
    });
    hub.Run();
    CHECK(g.killed());
    CHECK(g.ready());
    for (int i = 0; i < 10; ++i) t.Post([&ran] { ++ran; });
  }  // joins: every post ran
  CHECK(ran == 11);
  CHECK(hub.Close() == 0);
}
