// BodyLease: a share of the process-wide budget of page body bytes held in memory (FetchOptions::
// keep_for_parser). Without it, peak memory grew with --concurrency x --max-size (16 brotli bombs of
// 28 KB on the wire held 1.08 GB; 64 of them 4.23 GB); with it, the bodies of all transfers and of the
// pages being parsed hold at most kBudget bytes together, whatever the concurrency.
//
// A lease counts the capacity it was granted until it is destroyed. A Response carries its lease (shared:
// copies of the Response share it), so the bytes stay counted until the body's last owner is done with
// it, not only while the transfer runs. Any thread (the count is atomic); one lease is used by one thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace gc {

class BodyLease {
 public:
  // The process-wide budget (README, "Bounded by design").
  static constexpr int64_t kBudget = int64_t(256) << 20;

  BodyLease() = default;
  ~BodyLease() { in_use_.fetch_sub(bytes_, std::memory_order_relaxed); }
  BodyLease(const BodyLease&) = delete;
  BodyLease& operator=(const BodyLease&) = delete;

  // Takes `n` more bytes of the budget. False, with nothing taken, when fewer than `n` are left.
  bool Grow(int64_t n) {
    int64_t used = in_use_.load(std::memory_order_relaxed);
    do {
      if (used + n > kBudget) return false;
    } while (!in_use_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    bytes_ += n;
    return true;
  }
  int64_t bytes() const { return bytes_; }
  // Bytes of the budget held by all leases now (tests).
  static int64_t in_use() { return in_use_.load(std::memory_order_relaxed); }

 private:
  static inline std::atomic<int64_t> in_use_{0};
  int64_t bytes_ = 0;
};

}  // namespace gc
