// ResultStore::Retrying and Guarded, for result_store.cc and result_store_shared.cc only: a template
// both files instantiate, kept out of result_store.h so that its users do not compile it.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <type_traits>

#include "storage/result_store.h"

namespace gc::storage {

template <typename Op>
auto ResultStore::Retrying(Op op) {
  using Clock = std::chrono::steady_clock;
  const auto promise = std::chrono::milliseconds(int64_t(std::max(60.0, 2 * lease_s_) * 1000));
  auto wait = std::chrono::milliseconds(500);
  std::string last;  // the latest failure, for the message when giving up
  for (;;) {
    try {
      if constexpr (std::is_void_v<decltype(op())>) {
        op();
        outage_since_.reset();
        return;
      } else {
        auto result = op();
        outage_since_.reset();
        return result;
      }
    } catch (const sql::Error& e) {
      if (e.code != sql::kIoError && e.code != sql::kBusy) throw;
      hosts_known_.clear();  // rows inserted by the rolled-back transaction are not there
      if (e.code == sql::kBusy) {  // a deadlock with another worker, rolled back: run it again at once
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      last = e.what();
      if (!outage_since_) outage_since_ = Clock::now();
    }
    // Lost: wait, reconnect (which may fail too), and run `op` again. This runs on the storage thread;
    // the loop holds new transfers back meanwhile (its batches wait). At least one reconnect per call,
    // also past the limit: the server may be back.
    const auto give_up = *outage_since_ + promise;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Clock::now());
      std::this_thread::sleep_for(std::clamp(left, std::chrono::milliseconds(0), wait));
      wait = std::min(wait * 2, std::chrono::milliseconds(8000));
      try {
        Reconnect();
        break;
      } catch (const sql::Error& e) {
        if (e.code != sql::kIoError) throw;
        last = e.what();
      }
      if (Clock::now() >= give_up) {
        auto lasted = int64_t(std::chrono::duration<double>(Clock::now() - *outage_since_).count());
        throw sql::Error("the database has been unreachable for " + std::to_string(lasted) +
                             " s, longer than a worker waits (max(60 s, 2 x --lease)); stopping. " + last,
                         sql::kIoError);
      }
    }
  }
}

template <typename Op>
auto ResultStore::Guarded(Op op) {
  if (!db_->postgres()) return op();
  return Retrying(op);
}

}  // namespace gc::storage
