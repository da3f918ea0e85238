// `greencrawl crawl`: a URL list into the results database, end to end.
//
// The list is streamed into the run's persistent frontier (in the same SQLite file) while a scheduler on
// the hub fetches, parses and records every URL exactly once (app/list_loader.h: a list file is read on
// after the first transfers have started); a killed run is continued with --resume.
// Runs on the calling thread, which becomes the hub's thread for the duration.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "crawler/options.h"

namespace gc {

// Exit codes: a public contract, documented in the README. Failed URLs are results, not tool errors.
enum ExitCode : int {
  kExitOk = 0,           // the run completed (whatever the URLs' outcomes)
  kExitFatal = 1,        // an internal or database error stopped the run
  kExitUsage = 2,        // bad options, an unreadable list, an unusable database
  kExitInterrupted = 3,  // SIGINT/SIGTERM: stopped early, resumable with --resume
  kExitLocked = 4,       // another crawl holds the database (see --wait-lock)
  kExitThreshold = 5,    // the run completed but a --fail-on threshold was crossed
};


// Runs the crawl; messages go to `err` (progress, warnings, the human summary) and `out` (--json).
int RunCrawl(const CrawlOptions& options, std::ostream& out, std::ostream& err);

// `greencrawl join`: this process becomes one more worker of a run in a PostgreSQL database, with the
// run's own settings (runs.options) and, locally, only its concurrency and lease.
struct JoinArgs {
  std::string db;
  std::optional<int64_t> run;  // default: the newest unfinished run
  std::optional<int> concurrency;
  std::optional<double> lease;
  bool quiet = false;
};
int RunJoin(const JoinArgs& args, std::ostream& out, std::ostream& err);

// Parses "64M", "512k", "1G", "1000" (bytes; K/M/G are powers of 1024). Returns -1 when malformed.
int64_t ParseSize(const std::string& text);

}  // namespace gc
