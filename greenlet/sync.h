// Cooperative coordination for greenlets on one hub: Event, Semaphore, Queue and Pool. Nothing here blocks
// the thread; waiting parks the greenlet. Each object must outlive the greenlets waiting on it.
//
//   gc::Pool pool(10);                                    // at most 10 at once
//   for (auto& url : urls) co_await pool.Spawn(Fetch, url);  // waits while 10 run
//   co_await pool.Join();
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <optional>
#include <utility>

#include "greenlet/spawn.h"
#include "greenlet/wait.h"

namespace gc {

class Event {
 public:
  void Set() {
    set_ = true;
    waiters_.WakeAll();
  }
  void Clear() { set_ = false; }
  bool is_set() const { return set_; }
  // Waits until set; with timeout_ms >= 0, at most that long. Returns is_set().
  Task<bool> Wait(int64_t timeout_ms = -1) {
    if (!set_) co_await WaitOn(waiters_, timeout_ms);
    co_return set_;
  }

 private:
  bool set_ = false;
  WaitList waiters_;
};

class Semaphore {
 public:
  explicit Semaphore(size_t count) : count_(count) {}
  size_t available() const { return count_; }
  Task<void> Acquire() {
    while (count_ == 0) co_await WaitOn(waiters_);
    --count_;
  }
  void Release() {
    ++count_;
    waiters_.WakeOne();
  }

 private:
  size_t count_;
  WaitList waiters_;
};

// A FIFO with a capacity: Put waits while full, Get waits while empty. After Close(), Put throws and Get
// drains what is left, then returns nullopt.
template <typename T>
class Queue {
 public:
  explicit Queue(size_t capacity) : capacity_(capacity) {}
  size_t size() const { return items_.size(); }
  bool closed() const { return closed_; }

  Task<void> Put(T item) {
    while (!closed_ && items_.size() >= capacity_) co_await WaitOn(putters_);
    if (closed_) throw std::logic_error("Queue::Put after Close");
    items_.push_back(std::move(item));
    getters_.WakeOne();
  }
  Task<std::optional<T>> Get() {
    while (!closed_ && items_.empty()) co_await WaitOn(getters_);
    if (items_.empty()) co_return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    putters_.WakeOne();
    co_return item;
  }
  void Close() {
    closed_ = true;
    getters_.WakeAll();
    putters_.WakeAll();
  }

 private:
  size_t capacity_;
  bool closed_ = false;
  std::deque<T> items_;
  WaitList getters_;
  WaitList putters_;
};

// gevent.pool.Pool: Spawn waits while `size` greenlets of the pool run, so a million-line list never
// becomes a million greenlets.
class Pool {
 public:
  explicit Pool(size_t size) : slots_(size) {}
  size_t running() const { return running_; }

  template <typename F, typename... Args>
  Task<Greenlet<SpawnResult<F, Args...>>> Spawn(F f, Args... args) {
    co_await slots_.Acquire();
    ++running_;
    // The slot token is an argument, so it is released even if the greenlet is killed before it starts.
    co_return gc::Spawn(&Pool::Body<F, Args...>, std::make_shared<Slot>(this), std::move(f), std::move(args)...);
  }
  // Waits until no greenlet of the pool runs.
  Task<void> Join() {
    while (running_ > 0) co_await WaitOn(idle_);
  }

 private:
  struct Slot {  // released however the greenlet ends: value, exception or kill
    explicit Slot(Pool* p) : pool(p) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Pool* pool;
    ~Slot() {
      pool->slots_.Release();
      if (--pool->running_ == 0) pool->idle_.WakeAll();
    }
  };
  template <typename F, typename... Args>
  static Task<SpawnResult<F, Args...>> Body([[maybe_unused]] std::shared_ptr<Slot> slot, F f, Args... args) {
    co_return co_await std::invoke(std::move(f), std::move(args)...);
  }

  Semaphore slots_;
  size_t running_ = 0;
  WaitList idle_;
};

}  // namespace gc
