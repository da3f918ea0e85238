// The memory of a list's broken links across runs, for `report`, `diff` and --fail-on new-broken /
// broken-for: which breakage is new, which was fixed, and for how many runs in a row a URL has been
// broken. Read-only; one thread.
//
// A list's history is its completed runs (same runs.list_file), in id order; the run looked at ends it
// even when it did not complete. "Broken" is AcceptSet::Broken, as `report` judges a run: each run by
// its own accept set (RunAcceptSet), or every run by report --accept; a blocked result is never broken.
// A URL absent from a run (not listed or not discovered then) ends its streak.
//
// Cost: one pass over the broken results of the run (and of the run compared with), then one lookup on
// the primary key results(run_id, url) per earlier run a URL stayed broken in: the sum of the streaks,
// never runs x URLs; plus one read of runs.options per run a streak reaches. Memory: at most `limit`
// links per list, whatever the run's size.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/accept_set.h"
#include "storage/inspect.h"
#include "storage/sql.h"

namespace gc::storage {

struct HistoryLink {
  std::string url;
  Outcome now;         // in the run; for a fixed URL, the outcome that replaced the breakage
  Outcome before;      // in the run compared with; both fields empty when the URL was not in it
  int64_t streak = 0;  // runs in a row it has been broken, this one included (0 when fixed)
};

struct BrokenHistory {
  int64_t run_id = 0;
  std::optional<int64_t> compared_with;  // what "new" and "fixed" refer to; none: no earlier run
  std::vector<int64_t> runs;             // the history up to run_id, newest first (run_id itself first)
  int64_t broken = 0;                    // broken URLs in the run
  int64_t new_broken = 0;   // broken now, not broken (or absent) in compared_with; all when there is none
  int64_t fixed = 0;        // broken in compared_with, present and not broken now
  int64_t longest = 0;      // the longest streak (0: nothing broken)
  std::map<int64_t, int64_t> by_streak;  // streak -> URLs with that streak
  std::vector<HistoryLink> new_links;    // the first `limit` new ones, by URL
  std::vector<HistoryLink> fixed_links;  // the first `limit` fixed ones, by URL
  std::vector<HistoryLink> lasting;      // streak >= 2: the `limit` longest, then by URL

  // URLs broken for more than `runs` runs in a row (what --fail-on broken-for>N counts).
  int64_t BrokenForMoreThan(int64_t runs) const;
};

// run_id, then the earlier completed runs of the same list, newest first. Throws for an unknown run.
std::vector<int64_t> ListHistory(sql::Database& db, int64_t run_id);

// The history of run_id's broken links. compared_with: the earlier run for "new" and "fixed" (`diff A B`
// passes A); nullopt: the previous run of the list's history. limit: links kept per list (-1: all).
// max_streak > 0: streaks are followed back at most that many runs (longer ones count as max_streak), for
// --fail-on broken-for>N, which needs N + 1 at most: a site down for a month then costs N + 1 lookups per
// URL, not 30. accept: judge every run by this set (report --accept); nullopt: each run by its own.
BrokenHistory ReadBrokenHistory(sql::Database& db, int64_t run_id, std::optional<int64_t> compared_with,
                                int64_t limit, int64_t max_streak = 0,
                                const std::optional<AcceptSet>& accept = std::nullopt);

}  // namespace gc::storage
