// The basic suspensions every other primitive is built from: Sleep, Yield, and WaitOn (a WaitList, with an
// optional time limit). Each awaiter unregisters its timer and its place in the list when destroyed, so a
// greenlet killed while waiting leaves nothing behind.
#pragma once

#include <coroutine>
#include <cstdint>
#include <optional>

#include "greenlet/hub.h"
#include "greenlet/uv_handle.h"

namespace gc {

namespace detail {

// A one-shot uv timer that wakes one parked greenlet.
class WakeTimer {
 public:
  void Start(Hub& hub, WakeTicket ticket, uint64_t ms) {
    ticket_ = ticket;
    timer_ = UvHandle<uv_timer_t>(hub.loop(), uv_timer_init);
    timer_->data = this;
    uv_timer_start(timer_.get(), &WakeTimer::OnFire, ms, 0);
  }
  bool fired() const { return fired_; }

 private:
  static void OnFire(uv_timer_t* t) {
    auto* self = static_cast<WakeTimer*>(t->data);
    self->fired_ = true;
    self->ticket_.greenlet->hub->Wake(self->ticket_);
  }
  UvHandle<uv_timer_t> timer_;
  WakeTicket ticket_;
  bool fired_ = false;
};

class SleepAwaiter {
 public:
  explicit SleepAwaiter(uint64_t ms) : ms_(ms) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    Hub& hub = Hub::Current();
    WakeTicket t = hub.Park(h);
    if (ms_ == 0) {
      hub.Wake(t);  // to the back of the ready queue: a yield
    } else {
      timer_.Start(hub, t, ms_);
    }
  }
  void await_resume() const noexcept {}

 private:
  uint64_t ms_;
  WakeTimer timer_;
};

class WaitOnAwaiter {
 public:
  WaitOnAwaiter(WaitList& list, int64_t timeout_ms) : list_(list), timeout_ms_(timeout_ms) {}
  bool await_ready() const noexcept { return timeout_ms_ == 0; }
  void await_suspend(std::coroutine_handle<> h) {
    Hub& hub = Hub::Current();
    WakeTicket t = hub.Park(h);
    waiter_.emplace(t);
    list_.Add(&*waiter_);
    if (timeout_ms_ > 0) timer_.Start(hub, t, static_cast<uint64_t>(timeout_ms_));
  }
  // True when woken through the list, false when the time ran out.
  bool await_resume() {
    if (!waiter_) return false;
    waiter_->Consume();
    return waiter_->woken();
  }

 private:
  WaitList& list_;
  int64_t timeout_ms_;
  WakeTimer timer_;  // declared before waiter_: the waiter leaves the list first when destroyed
  std::optional<Waiter> waiter_;
};

}  // namespace detail

// co_await Sleep(ms): suspends this greenlet for ms milliseconds; Sleep(0) lets every other ready
// greenlet run first.
inline detail::SleepAwaiter Sleep(uint64_t ms) { return detail::SleepAwaiter(ms); }
inline detail::SleepAwaiter Yield() { return detail::SleepAwaiter(0); }

// co_await WaitOn(list, ms): parks in `list` until woken (true) or until ms passed (false); ms < 0 waits
// without limit. Callers re-check their condition after it returns (Mesa style).
inline detail::WaitOnAwaiter WaitOn(WaitList& list, int64_t timeout_ms = -1) {
  return detail::WaitOnAwaiter(list, timeout_ms);
}

}  // namespace gc
