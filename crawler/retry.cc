#include "crawler/retry.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

#include "crawler/blocked.h"
#include "crawler/error_class.h"

namespace gc {

bool Transient(const Response& r) {
  return (r.error == error_class::kTimeout && r.size == 0) || r.error == error_class::kReset ||
         r.error == error_class::kEmptyResponse || (r.ok() && (r.status == 429 || r.status == 503));
}

std::optional<RetryPlan> PlanRetry(const Response& r, int attempts, int retries, int retry_delay_ms) {
  if (attempts > retries || !Transient(r)) return std::nullopt;
  bool server_asked = r.ok() && (r.status == 429 || r.status == 503);
  auto wait = std::chrono::milliseconds(int64_t(retry_delay_ms) << std::min(attempts - 1, 10));
  if (!r.retry_after.empty() && r.retry_after.size() < 10 &&
      std::all_of(r.retry_after.begin(), r.retry_after.end(), ::isdigit)) {
    auto asked = std::chrono::seconds(std::min<long long>(std::stoll(r.retry_after), kMaxRetryAfter.count()));
    wait = std::max<std::chrono::milliseconds>(wait, asked);
  }
  return RetryPlan{wait, server_asked};
}

}  // namespace gc
