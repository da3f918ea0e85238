// OverOutage: a step that opens its own PostgreSQL connection, run again when the server goes away
// under it (a restart, a cut connection), for the steps of a crawl outside ResultStore: its clock, its
// summary, its report.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "storage/sql.h"

namespace gc::storage {

// Runs op(); when it throws sql::Error with kIoError (the connection was lost, or could not be made),
// waits (0.5 s, doubling to 8 s) and runs it again, until `patience` has passed since the first
// failure: then the last error is thrown. Any other error is thrown at once. `op` must open its own
// connection and be safe to run twice (a read, or a write its WHERE clause makes idempotent).
template <typename Op>
auto OverOutage(std::chrono::milliseconds patience, Op op) {
  using Clock = std::chrono::steady_clock;
  std::chrono::milliseconds wait(500);
  std::optional<Clock::time_point> since;
  for (;;) {
    try {
      return op();
    } catch (const sql::Error& e) {
      if (e.code != sql::kIoError) throw;
      if (!since) since = Clock::now();
      if (Clock::now() - *since >= patience) throw;
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(8000));
  }
}

}  // namespace gc::storage
