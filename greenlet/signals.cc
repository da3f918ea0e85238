#include "greenlet/signals.h"

#include <unistd.h>

#include <csignal>
#include <mutex>
#include <thread>
#include <utility>

namespace gc {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnStopSignal(int signo) { g_signal = signo; }

}  // namespace

void CatchStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int StopSignal() { return int(g_signal); }

void ExitWithin(std::chrono::milliseconds limit) {
  static std::once_flag once;
  std::call_once(once, [limit] {
    std::thread([limit] {
      std::this_thread::sleep_for(limit);
      static constexpr char kNote[] =
          "\ngreencrawl: stopped now, some threads still busy; `greencrawl crawl --resume` continues the run\n";
      ssize_t written = write(STDERR_FILENO, kNote, sizeof kNote - 1);
      (void)written;
      _exit(kHardStopExitCode);  // not exit(): its handlers would join the threads that are stuck
    }).detach();
  });
}

SignalWatch::SignalWatch(Hub& hub, std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)),
      sigint_(hub.loop(), uv_signal_init),
      sigterm_(hub.loop(), uv_signal_init) {
  sigint_->data = this;
  sigterm_->data = this;
  uv_signal_start(sigint_.get(), &SignalWatch::OnSignal, SIGINT);
  uv_signal_start(sigterm_.get(), &SignalWatch::OnSignal, SIGTERM);
  // Signal handles must not keep the loop alive: the crawl ends when its work does.
  uv_unref(reinterpret_cast<uv_handle_t*>(sigint_.get()));
  uv_unref(reinterpret_cast<uv_handle_t*>(sigterm_.get()));
  // Caught before libuv took the signals over (between reading the list and this watch): act on it now,
  // once (a later watch in this process must not see it again).
  if (int early = std::exchange(g_signal, 0)) on_signal_(early);
}

void SignalWatch::Stop() {
  sigint_.Close();
  sigterm_.Close();
}

void SignalWatch::OnSignal(uv_signal_t* handle, int signo) {
  static_cast<SignalWatch*>(handle->data)->on_signal_(signo);
}

}  // namespace gc
