// Greenlets: gevent's API on C++20 coroutines, all on the calling thread's Hub.
//
//   gc::Task<int> Fetch(std::string url) { co_await gc::Sleep(10); co_return 42; }
//   auto a = gc::Spawn(Fetch, "http://a/"), b = gc::Spawn(Fetch, "http://b/");
//   co_await gc::JoinAll({a, b}, /*timeout_ms=*/5000);   // then a.value(), b.value()
//
// A greenlet is a function returning Task<T> (or any awaitable), started by Spawn on the next hub pass.
// Arguments are copied into the greenlet's own frame, so pass lambdas and strings by value: lambda
// *captures* do live that long (the callable is stored too), but prefer free functions. Join never throws;
// value() returns the result or rethrows the greenlet's exception (GreenletExit if it was killed). Kill()
// cancels a greenlet at its suspension point by destroying its frames, which runs its destructors (RAII).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "greenlet/hub.h"
#include "greenlet/task.h"
#include "greenlet/wait.h"

namespace gc {

// Thrown by WithTimeout when the time ran out.
struct Timeout : std::runtime_error {
  Timeout() : std::runtime_error("timeout") {}
};

template <typename T>
struct GreenletState : GreenletCore {
  std::optional<T> value;
};
template <>
struct GreenletState<void> : GreenletCore {};

namespace detail {

// The outermost coroutine of every greenlet: runs the body, stores its outcome, wakes the joiners, and
// stays suspended at the end until the hub destroys it.
struct Runner {
  struct promise_type {
    Runner get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // the body catches everything
  };
  std::coroutine_handle<promise_type> handle;
};

template <typename T, typename F, typename... Args>
Runner RunGreenlet(GreenletState<T>* state, F f, Args... args) {
  std::exception_ptr error;
  GreenletStatus how = GreenletStatus::kSucceeded;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::invoke(std::move(f), std::move(args)...);
    } else {
      state->value.emplace(co_await std::invoke(std::move(f), std::move(args)...));
    }
  } catch (const GreenletExit&) {
    how = GreenletStatus::kKilled;
    error = std::current_exception();
  } catch (...) {
    how = GreenletStatus::kFailed;
    error = std::current_exception();
  }
  state->Finish(how, std::move(error));
}

}  // namespace detail

template <typename T>
class Greenlet {
 public:
  Greenlet() = default;
  explicit Greenlet(std::shared_ptr<GreenletState<T>> s) : state_(std::move(s)) {}

  bool ready() const { return state_->done(); }
  bool successful() const { return state_->status == GreenletStatus::kSucceeded; }
  bool killed() const { return state_->status == GreenletStatus::kKilled; }
  std::exception_ptr exception() const { return state_->exception; }

  // The result of a finished greenlet; rethrows its exception. Calling it before ready() is a bug.
  std::add_lvalue_reference_t<T> value() const {
    if (!ready()) throw std::logic_error("Greenlet::value() before it finished");
    if (state_->exception) std::rethrow_exception(state_->exception);
    if constexpr (!std::is_void_v<T>) return *state_->value;
  }

  // co_await g.Join(): waits until g finished. co_await g.Join(ms): the same, at most ms; returns ready().
  Task<void> Join() const { return JoinForever(state_); }
  Task<bool> Join(int64_t timeout_ms) const { return JoinCore(state_, timeout_ms); }
  // Cancels g at its suspension point (see header comment). Killing the running greenlet throws
  // GreenletExit out of Kill() to unwind it.
  void Kill() const { state_->hub->Kill(state_.get()); }

  GreenletCore* core() const { return state_.get(); }

 private:
  static Task<void> JoinForever(std::shared_ptr<GreenletState<T>> s) {
    while (!s->done()) co_await WaitOn(*s->joiners);
  }
  static Task<bool> JoinCore(std::shared_ptr<GreenletState<T>> s, int64_t timeout_ms) {
    if (!s->done()) co_await WaitOn(*s->joiners, timeout_ms);
    co_return s->done();
  }
  std::shared_ptr<GreenletState<T>> state_;
};

// The value type of a greenlet running f(args...).
template <typename F, typename... Args>
using SpawnResult = AwaitResult<std::invoke_result_t<F, Args...>>;

template <typename F, typename... Args>
auto Spawn(F f, Args... args) -> Greenlet<SpawnResult<F, Args...>> {
  using T = SpawnResult<F, Args...>;
  auto state = std::make_shared<GreenletState<T>>();
  state->joiners = std::make_unique<WaitList>();
  state->frame = detail::RunGreenlet<T>(state.get(), std::move(f), std::move(args)...).handle;
  Hub::Current().Adopt(state);
  return Greenlet<T>(std::move(state));
}

// Waits for every greenlet, at most timeout_ms in all (-1: no limit). Returns true when all finished.
template <typename T>
Task<bool> JoinAll(std::vector<Greenlet<T>> greenlets, int64_t timeout_ms = -1) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& g : greenlets) {
    if (g.ready()) continue;
    if (timeout_ms < 0) {
      co_await g.Join();
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !co_await g.Join(left.count())) co_return false;
  }
  co_return true;
}

namespace detail {
template <typename A>
Task<AwaitResult<A>> AwaitIt(A awaitable) {
  co_return co_await std::move(awaitable);
}
// Kills the greenlet it holds when destroyed before that greenlet finished.
template <typename T>
struct KillUnlessDone {
  Greenlet<T> g;
  ~KillUnlessDone() {
    if (!g.ready()) g.Kill();
  }
};
}  // namespace detail

// co_await WithTimeout(ms, awaitable): the awaitable's result, or throws Timeout after ms, in which case
// the awaitable is cancelled (its frames destroyed). Runs the awaitable as a child greenlet.
template <typename A>
Task<AwaitResult<A>> WithTimeout(int64_t timeout_ms, A awaitable) {
  detail::KillUnlessDone<AwaitResult<A>> child{Spawn(detail::AwaitIt<A>, std::move(awaitable))};
  if (!co_await child.g.Join(timeout_ms)) throw Timeout{};
  if constexpr (std::is_void_v<AwaitResult<A>>) {
    child.g.value();
  } else {
    co_return std::move(child.g.value());
  }
}

}  // namespace gc
