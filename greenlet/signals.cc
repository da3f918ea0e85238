#include "greenlet/signals.h"

#include <csignal>

namespace gc {

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
}

void SignalWatch::Stop() {
  sigint_.Close();
  sigterm_.Close();
}

void SignalWatch::OnSignal(uv_signal_t* handle, int signo) {
  static_cast<SignalWatch*>(handle->data)->on_signal_(signo);
}

}  // namespace gc
