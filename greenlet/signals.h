// SignalWatch: SIGINT and SIGTERM delivered to a callback on the hub's loop (uv_signal), so a crawl can
// stop gracefully. The callback runs as a libuv callback: it may only record and wake, never resume.
#pragma once

#include <chrono>
#include <functional>

#include "greenlet/hub.h"
#include "greenlet/uv_handle.h"

namespace gc {

// SIGINT and SIGTERM before a hub watches them (opening a database, reading a long list): noted, not
// fatal, so that a run is never left "running" by a signal and long work can stop at a clean point.
// Installs the handlers (idempotent).
void CatchStopSignals();
// The signal caught since CatchStopSignals(), or 0.
int StopSignal();

// The hard stop's promise (a second SIGINT, or SIGTERM while stopping): the process ends within
// kHardStopExit whatever its threads are doing. A stopped crawl normally ends well before (parses are
// cancelled, results flushed, the run marked interrupted); but a thread that does not return (libuv joins
// its pool threads at exit) must not hold the process. ExitWithin starts a watchdog thread that, when
// `limit` has passed, _exit()s with kHardStopExitCode; the database stays whole (SQLite's journal) and
// the run, then still `running`, is one --resume continues. Idempotent; any thread.
inline constexpr std::chrono::milliseconds kHardStopExit{1500};
inline constexpr int kHardStopExitCode = 3;  // greencrawl's "interrupted, resumable" (kExitInterrupted)
void ExitWithin(std::chrono::milliseconds limit);

class SignalWatch {
 public:
  // A signal CatchStopSignals() caught before this watch existed is not lost: `on_signal` gets it at
  // once (from the constructor, after libuv has taken the signals over, so none falls in between), and
  // StopSignal() is 0 again.
  SignalWatch(Hub& hub, std::function<void(int signo)> on_signal);
  ~SignalWatch() { Stop(); }
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;
  // Closes the handles (also done by the destructor); the default dispositions return.
  void Stop();

 private:
  static void OnSignal(uv_signal_t* handle, int signo);
  std::function<void(int)> on_signal_;
  UvHandle<uv_signal_t> sigint_;
  UvHandle<uv_signal_t> sigterm_;
};

}  // namespace gc
