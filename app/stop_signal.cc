#include "app/stop_signal.h"

#include <csignal>

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

}  // namespace gc
