// SerialThread: one dedicated OS thread that runs jobs one at a time, in the order they were posted, for
// a resource that must live on a single thread and may block (an SQLite connection, a file). The hub's
// loop never waits for it: a greenlet co_awaits Call() and is woken through a uv_async_t when its job is
// done; Post() does not wait at all.
//
//   SerialThread db(hub);
//   db.Post([&store, batch = std::move(batch)] { store.Write(batch); });   // in order, fire and forget
//   auto count = db.Call([&store] { return store.Count(); });             // after the Post above
//   int64_t n = co_await count;          // named: g++ 12 mis-destroys a temporary awaitable (hacking.md)
//
// Jobs run on the thread and must not touch the hub or anything the loop thread uses without their own
// synchronisation. A job's exception comes back to its caller (Call) or, for Post, is kept and returned
// by TakeError() — a failure of a fire-and-forget write must still stop whoever posted it. If a greenlet
// awaiting Call() is killed, its job still runs (it may already be running) and its result is dropped.
// Construct and destroy on the hub's thread; the destructor runs the jobs already posted, then joins.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "greenlet/hub.h"
#include "greenlet/uv_handle.h"

namespace gc {

class SerialThread {
 public:
  explicit SerialThread(Hub& hub);
  ~SerialThread();
  SerialThread(const SerialThread&) = delete;
  SerialThread& operator=(const SerialThread&) = delete;

  // Queues `job`; returns at once.
  void Post(std::function<void()> job);

  // Queues `f` and resumes the calling greenlet with its result (or rethrows its exception).
  template <typename F>
  auto Call(F f);

  // Jobs posted or called and not yet finished.
  size_t backlog() const;
  // The first exception a Post()ed job threw, once (then empty again).
  std::exception_ptr TakeError();

  // Shared with the thread: one job and how its caller learns that it ended.
  struct Job {
    std::function<void()> run;
    std::exception_ptr error;
    WakeTicket ticket{};
    bool has_waiter = false;
    bool abandoned = false;  // the waiting greenlet went away (loop thread only)
    bool done = false;       // loop thread only
  };

  // For Call()'s awaiter.
  void Submit(const std::shared_ptr<Job>& job);

 private:
  void Loop();
  static void OnAsync(uv_async_t* async);
  void Deliver();

  Hub& hub_;
  UvHandle<uv_async_t> async_;
  size_t waiting_ = 0;  // Call()s whose greenlet waits: the async handle keeps the loop alive meanwhile
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;     // guarded by mu_
  std::vector<std::shared_ptr<Job>> finished_;  // guarded by mu_
  size_t backlog_ = 0;                          // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  std::exception_ptr post_error_;               // loop thread
  std::thread thread_;
};

namespace detail {

template <typename R>
class SerialCall {
 public:
  using Stored = std::conditional_t<std::is_void_v<R>, bool, R>;

  template <typename F>
  SerialCall(SerialThread& thread, F f) : thread_(thread), job_(std::make_shared<SerialThread::Job>()) {
    auto result = result_;
    job_->run = [f = std::move(f), result]() mutable {
      if constexpr (std::is_void_v<R>) {
        f();
        result->emplace(true);
      } else {
        result->emplace(f());
      }
    };
  }
  SerialCall(SerialCall&&) noexcept = default;
  SerialCall(const SerialCall&) = delete;
  SerialCall& operator=(const SerialCall&) = delete;
  ~SerialCall() {
    if (job_ && !job_->done) job_->abandoned = true;
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    job_->ticket = Hub::Current().Park(h);
    job_->has_waiter = true;
    thread_.Submit(job_);
  }
  R await_resume() {
    if (job_->error) std::rethrow_exception(job_->error);
    if constexpr (!std::is_void_v<R>) return std::move(**result_);
  }

 private:
  SerialThread& thread_;
  std::shared_ptr<SerialThread::Job> job_;
  std::shared_ptr<std::optional<Stored>> result_ = std::make_shared<std::optional<Stored>>();
};

}  // namespace detail

template <typename F>
auto SerialThread::Call(F f) {
  return detail::SerialCall<std::invoke_result_t<F&>>(*this, std::move(f));
}

}  // namespace gc
