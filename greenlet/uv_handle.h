// UvHandle<H>: owns one heap-allocated libuv handle (uv_timer_t, uv_poll_t, uv_idle_t, ...).
//
// libuv closes handles asynchronously: the memory must stay valid until the close callback runs, so the
// destructor calls uv_close and the close callback frees the handle (uv_close(3)). Loop thread only.
#pragma once

#include <uv.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace gc {

template <typename H>
class UvHandle {
 public:
  UvHandle() = default;
  // `init` is uv_timer_init, uv_idle_init, ... ; extra arguments follow the handle (e.g. the socket for
  // uv_poll_init_socket). A failed init is a bug or resource exhaustion: it throws.
  template <typename Init, typename... Args>
  UvHandle(uv_loop_t* loop, Init init, Args&&... args) : handle_(new H{}) {
    int rc = init(loop, handle_, std::forward<Args>(args)...);
    if (rc != 0) {
      delete handle_;
      handle_ = nullptr;
      throw std::runtime_error(std::string("libuv handle init: ") + uv_strerror(rc));
    }
  }
  UvHandle(UvHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      Close();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  ~UvHandle() { Close(); }

  H* get() const noexcept { return handle_; }
  H* operator->() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

  // Starts the asynchronous close; safe to call twice. Callbacks of the handle no longer run after this.
  void Close() noexcept {
    if (!handle_) return;
    auto* base = reinterpret_cast<uv_handle_t*>(handle_);
    if (!uv_is_closing(base)) uv_close(base, [](uv_handle_t* h) { delete reinterpret_cast<H*>(h); });
    handle_ = nullptr;
  }

 private:
  H* handle_ = nullptr;
};

}  // namespace gc
