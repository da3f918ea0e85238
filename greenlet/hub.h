// Hub: the one libuv loop a thread's greenlets run on, and the scheduler that resumes them.
//
// Rules the rest of the crawler relies on:
//  - Only the hub resumes greenlets. C callbacks (libuv, libcurl) call Wake(), which only queues; the hub
//    drains the queue from a uv_idle callback, outside every other callback.
//  - A greenlet parks with Park() inside await_suspend and gets a ticket. Waking with a stale ticket (the
//    greenlet moved on, was killed or finished) does nothing, so a late callback can never resume the
//    wrong wait. Awaiters unregister their wake sources in their destructors, so killing a greenlet (which
//    destroys its coroutine frames) leaves no callback pointing into freed memory.
//  - Destroying the hub kills every unfinished greenlet, closes every handle and checks uv_loop_close.
// One Hub per thread; everything here is for that thread only. The greenlet API is in greenlet.h.
#pragma once

#include <uv.h>

#include <coroutine>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <unordered_map>

#include "greenlet/uv_handle.h"

namespace gc {

class Hub;
class WaitList;

// What value() throws for a killed greenlet; what Kill() on yourself throws to unwind you.
struct GreenletExit : std::exception {
  const char* what() const noexcept override { return "greenlet killed"; }
};

enum class GreenletStatus { kScheduled, kSucceeded, kFailed, kKilled };

// The scheduler's record of one greenlet. Users hold it through Greenlet<T> (greenlet.h).
struct GreenletCore {
  virtual ~GreenletCore() = default;
  bool done() const { return status != GreenletStatus::kScheduled; }
  void Finish(GreenletStatus how, std::exception_ptr error);

  Hub* hub = nullptr;
  std::coroutine_handle<> frame;      // the outermost coroutine; owned and destroyed by the hub
  std::coroutine_handle<> resume_at;  // the innermost suspended coroutine
  uint64_t park_seq = 0;
  bool parked = false;
  bool queued = false;
  GreenletStatus status = GreenletStatus::kScheduled;
  std::exception_ptr exception;
  std::unique_ptr<WaitList> joiners;
};

// Identifies one suspension of one greenlet.
struct WakeTicket {
  GreenletCore* greenlet = nullptr;
  uint64_t seq = 0;
};

// A greenlet waiting in a WaitList. Lives inside an awaiter; unlinks itself when destroyed. If it was
// woken but destroyed before it could act (its greenlet was killed), it passes the wake-up on, so a
// Semaphore or Queue never loses one.
class Waiter {
 public:
  explicit Waiter(WakeTicket t) : ticket_(t) {}
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter();
  bool woken() const { return woken_; }
  void Consume() { consumed_ = true; }

 private:
  friend class WaitList;
  WakeTicket ticket_;
  bool woken_ = false;
  bool consumed_ = false;
  WaitList* list_ = nullptr;
  Waiter* prev_ = nullptr;
  Waiter* next_ = nullptr;
};

// FIFO of waiting greenlets (intrusive; no allocation).
class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList();
  void Add(Waiter* w);
  void Remove(Waiter* w);
  bool WakeOne();
  void WakeAll();
  bool empty() const { return head_ == nullptr; }

 private:
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

class Hub {
 public:
  Hub();
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // The hub of the calling thread. Throws std::logic_error when there is none.
  static Hub& Current();

  uv_loop_t* loop() { return &loop_; }
  // Runs the loop until no greenlet can make progress and no handle is active.
  void Run();
  // Kills the remaining greenlets, closes the loop and returns uv_loop_close's result (0 = clean).
  int Close();

  // The greenlet now running, or nullptr when the hub itself is running.
  GreenletCore* current() const { return current_; }
  size_t live_greenlets() const { return live_.size(); }

  // For awaiters: suspend the current greenlet at `h`; it runs again after Wake(ticket).
  WakeTicket Park(std::coroutine_handle<> h);
  void Wake(const WakeTicket& ticket);

  // For greenlet.h: take ownership of a new greenlet and schedule its first run.
  void Adopt(std::shared_ptr<GreenletCore> g);
  void Kill(GreenletCore* g);

 private:
  static void OnIdle(uv_idle_t* idle);
  void Drain();
  void Enqueue(GreenletCore* g);
  void Retire(GreenletCore* g);

  uv_loop_t loop_{};
  bool closed_ = false;
  UvHandle<uv_idle_t> idle_;
  GreenletCore* current_ = nullptr;
  std::deque<std::shared_ptr<GreenletCore>> ready_;
  std::unordered_map<GreenletCore*, std::shared_ptr<GreenletCore>> live_;
};

}  // namespace gc
