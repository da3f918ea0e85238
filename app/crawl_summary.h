// The summary a crawl prints when it ends: one line for logs, then the breakdowns, the change count and
// where to look next; or, with --json, one JSON object on stdout. Its counts are those `report` computes
// (storage::RunSummary, storage::Breakdown), so the two always agree.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include "crawler/options.h"
#include "storage/inspect.h"

namespace gc {

struct SummaryExtras {
  int64_t unchanged = 0;  // 304s recorded as unchanged
  int64_t retried = 0;    // transfers retried
  std::optional<int64_t> previous_run;
  std::optional<int64_t> changed;  // URLs that changed since previous_run (storage::Inspector::ChangedUrls)
};

// Prints the summary of `run` (to `out` with --json, else to `err`; nothing with --quiet).
// `fetched` transfers in `wall_s` seconds give the rate.
void PrintSummary(const CrawlOptions& o, const storage::RunSummary& run, const storage::Breakdown& b, double wall_s,
                  int64_t fetched, const SummaryExtras& x, std::ostream& out, std::ostream& err);

}  // namespace gc
