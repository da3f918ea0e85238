// The one read model of a run's report: everything text, JSON, HTML, Markdown and JUnit show about one
// run, read over one connection with a bounded number of aggregate queries — counts, histograms,
// percentiles and top-N lists, never every row into memory, so a run of a million URLs is read in
// seconds. Each format renders this and nothing else, so they cannot disagree on a count, a definition
// (storage/run_queries.h: ok, broken, blocked, skipped) or an order (most severe first). Read-only; one
// thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/fragments.h"
#include "storage/history.h"
#include "storage/inspect.h"
#include "storage/run_queries.h"
#include "storage/sitemap_report.h"
#include "storage/sql.h"

namespace gc::storage {

struct Headline {
  int64_t run_id = 0;
  std::string list_file, status, started_at, version;  // status as stored: completed, interrupted, running...
  std::optional<std::string> finished_at;
  std::optional<double> duration_s;  // finished - started; none while running or after a kill
  int64_t results = 0, ok = 0, errors = 0;  // as storage::OutcomeCounts (storage/run_queries.h's words)
  std::optional<double> rate_per_s;         // results / duration_s
  int64_t wire_bytes = 0;                   // sum of results.wire_bytes
  int64_t unchanged = 0;                    // 304 answers recorded as unchanged
  int64_t retried = 0;                      // extra transfers: sum of attempts - 1
  int64_t broken = 0;                       // AcceptSet::Broken (as --fail-on broken counts)
  int64_t blocked = 0;                      // error class `blocked`, never broken
  int64_t skipped = 0;                      // no answer, neither broken nor blocked (robots.txt exclusions)
  std::string accept = "100-399";           // the accept set `broken` was judged with
  int64_t redirected = 0;                   // results that followed at least one redirect
  std::optional<int64_t> previous_run;      // newest earlier completed run of the same list
};

// The run's row and counts (ReadRunSummary) with the headline's other aggregates. Throws sql::Error
// for an unknown run.
Headline ReadHeadline(sql::Database& db, const RunSummary& run);

// Nearest-rank percentiles (the value at rank ceil(p * n) in ascending order), as `report` computes.
struct Percentiles {
  std::optional<double> p50, p90, p99;
};

// A histogram bar [lo, hi); hi is infinity for an open-ended last bar.
struct Bin {
  double lo = 0, hi = 0;
  int64_t count = 0;
};

struct TimeBin {  // fetched in [i * step, (i + 1) * step) from the first fetch
  int64_t results = 0, errors = 0;
  int64_t ok = 0, broken = 0, blocked = 0;  // the run's words; results - ok - broken - blocked are skipped
};

struct TopPage {
  std::string url, title, outcome;  // outcome: "200" or "error:timeout"
  double value = 0;                 // ms or bytes
};

struct RedirectRow {
  std::string url, final_url;
  int64_t redirects = 0;
  std::string outcome;
};

struct ReportLimits {
  size_t top = 25;               // slowest, largest
  size_t broken = 200;           // broken (and blocked) URLs listed per source group; sitemap findings
                                 // and history links alike (kNoLimit: all)
  size_t referrers = 50;         // referrers listed per broken URL (all are counted)
  size_t fragments = 200;        // broken fragments listed (kNoLimit: all)
  size_t redirects = 100;
  size_t changes_per_kind = 100;  // added, removed, status, redirect, size, title, content
  int time_bins = 30;             // response-time histogram bars (plus one open-ended)
  int series_bins = 60;           // throughput-over-time bars
};

struct ReportData {
  RunSummary run;                      // the run's row and counts: `report --json`'s "run", `runs`' row
  Headline headline;                   // the same counts (copied from `run`) and the headline aggregates
  std::optional<Headline> previous;    // the previous completed run of the same list, for deltas
  std::vector<CountRow> by_status;     // Breakdown's (storage/run_queries.h)
  std::vector<CountRow> by_class;
  std::vector<CountRow> by_error;
  Percentiles time_ms, size_bytes;
  std::vector<Bin> time_hist;          // linear bins up to about p99, then one open-ended bin
  std::vector<Bin> size_hist;          // log-spaced (1-2-5 per decade); the first bin is exactly 0 B
  double series_step_s = 0;
  std::vector<TimeBin> series;         // from the first to the last fetched_at
  std::vector<CountRow> by_depth;      // "0", "1", ... (only interesting when following links)
  std::vector<TopPage> slowest, largest;
  // Broken and blocked URLs, one section per source group that has any (page, external, sitemap,
  // resource), each most severe first; run.broken and run.blocked count them all.
  std::vector<LinkSection> broken, blocked;
  FragmentReport fragments;            // .checked is false for a run crawled without --check-fragments
  int64_t redirect_total = 0;
  std::vector<RedirectRow> redirects;
  std::map<std::string, int64_t> change_counts;  // by kind, against `previous` (as `diff` counts)
  int64_t changed_urls = 0;                      // URLs with at least one change
  std::vector<Change> changes;         // at most changes_per_kind of each kind
  SitemapFindings sitemaps;            // .read is false for a run that read no sitemap
  BrokenHistory history;               // new, fixed and lasting breakage; at most `broken` links per list
};

// Reads the run `run` (the newest when empty) of the database at `db_path`, read-only, judging broken
// with `accept` or, when empty, each run's own set: Inspector::LoadReport over the Inspector's one
// connection. Throws sql::Error for a missing, foreign or newer database, or an unknown run.
ReportData LoadReportData(const std::string& db_path, std::optional<int64_t> run, const ReportLimits& limits,
                          const std::optional<AcceptSet>& accept = std::nullopt);

}  // namespace gc::storage
