// RunInPool: run a CPU-heavy function on libuv's thread pool and co_await its result from a greenlet.
//
//   PageInfo info = co_await gc::RunInPool([body = std::move(body)] { return ParsePage(body); });
//
// The function runs on a pool thread (uv_queue_work) and must not touch the hub or anything the loop
// thread uses; its result or exception comes back through the after-work callback on the loop thread,
// which wakes the waiting greenlet. If that greenlet is killed first, the work still runs to its end (a
// pool thread cannot be interrupted) and its result is dropped.
#pragma once

#include <uv.h>

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "greenlet/hub.h"

namespace gc {
namespace detail {

template <typename F>
class PoolWork {
 public:
  using Result = std::invoke_result_t<F&>;
  using Stored = std::conditional_t<std::is_void_v<Result>, bool, Result>;

  explicit PoolWork(F f) : fn_(std::move(f)) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    Hub& hub = Hub::Current();
    job_ = new Job{std::move(fn_), {}, {}, hub.Park(h), false};
    job_->req.data = job_;
    int rc = uv_queue_work(hub.loop(), &job_->req, &Job::Work, &Job::AfterWork);
    if (rc != 0) {
      job_->error = std::make_exception_ptr(std::runtime_error(std::string("uv_queue_work: ") + uv_strerror(rc)));
      job_->done = true;
      hub.Wake(job_->ticket);
    }
  }
  Result await_resume() {
    if (job_->error) std::rethrow_exception(job_->error);
    if constexpr (!std::is_void_v<Result>) return std::move(*job_->result);
  }

  PoolWork(PoolWork&& o) noexcept : fn_(std::move(o.fn_)), job_(std::exchange(o.job_, nullptr)) {}
  PoolWork(const PoolWork&) = delete;
  PoolWork& operator=(const PoolWork&) = delete;
  ~PoolWork() {
    if (!job_) return;
    if (job_->done) {
      delete job_;
    } else {
      job_->abandoned = true;  // AfterWork frees it
    }
  }

 private:
  // Owns what the pool thread touches; outlives the awaiter if the greenlet is killed mid-work.
  struct Job {
    F fn;
    std::optional<Stored> result;
    std::exception_ptr error;
    WakeTicket ticket;
    bool abandoned;
    bool done = false;
    uv_work_t req{};

    static void Work(uv_work_t* r) {
      auto* job = static_cast<Job*>(r->data);
      try {
        if constexpr (std::is_void_v<Result>) {
          job->fn();
          job->result.emplace(true);
        } else {
          job->result.emplace(job->fn());
        }
      } catch (...) {
        job->error = std::current_exception();
      }
    }
    static void AfterWork(uv_work_t* r, int status) {
      auto* job = static_cast<Job*>(r->data);
      job->done = true;
      if (job->abandoned) {
        delete job;
        return;
      }
      if (status != 0 && !job->error) {
        job->error = std::make_exception_ptr(std::runtime_error("thread-pool work cancelled"));
      }
      job->ticket.greenlet->hub->Wake(job->ticket);
    }
  };

  F fn_;
  Job* job_ = nullptr;
};

}  // namespace detail

template <typename F>
detail::PoolWork<F> RunInPool(F f) {
  return detail::PoolWork<F>(std::move(f));
}

}  // namespace gc
