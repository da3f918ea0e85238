// SignalWatch: SIGINT and SIGTERM delivered to a callback on the hub's loop (uv_signal), so a crawl can
// stop gracefully. The callback runs as a libuv callback: it may only record and wake, never resume.
#pragma once

#include <functional>

#include "greenlet/hub.h"
#include "greenlet/uv_handle.h"

namespace gc {

class SignalWatch {
 public:
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
