// The retry rule: which failed transfers are tried again, after how long, and whether the whole host
// waits with them. Pure functions, any thread; the session's workers apply it and the Frontier holds the
// URLs while they wait (Frontier::Retry).
#pragma once

#include <chrono>
#include <optional>

#include "crawler/fetcher.h"

namespace gc {

// Whether `r` failed in a way worth another try: a timeout before any of the body arrived (a transfer
// that was making progress when the total timeout hit would only time out again), a reset or an empty
// answer, a 429 or a 503.
bool Transient(const Response& r);

struct RetryPlan {
  std::chrono::milliseconds wait;
  bool slow_host;  // the whole host waits, not only this URL
};

// When to retry `r`, the answer to transfer number `attempts` of its URL, or nullopt when it is final: not
// Transient, or `retries` extra attempts made already. The wait starts at `retry_delay_ms` and doubles
// each attempt; a longer Retry-After in seconds wins, up to kMaxRetryAfter (a 429 asking for more is
// blocked, never retried: blocked.h). Only 429 and 503 slow the whole host down: the server asked; a
// broken connection says nothing about the host's other URLs.
std::optional<RetryPlan> PlanRetry(const Response& r, int attempts, int retries, int retry_delay_ms);

}  // namespace gc
