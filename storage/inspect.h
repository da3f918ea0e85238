// The read side of the results database, for `greencrawl runs | report | export | diff`. Opens the file
// read-only; never writes. Errors (missing, locked, corrupt, not greencrawl, unknown run) throw
// sql::Error with a one-line message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "storage/accept_set.h"
#include "storage/sql.h"

namespace gc::storage {

struct RunSummary {
  int64_t id = 0;
  std::string started_at, status, list_file, version;
  std::optional<std::string> finished_at;
  std::optional<double> duration_s;  // finished runs: the sessions' active time (schema 4), else wall time
  // How its results ended: one definition for the crawl summary, `runs`, `report` and --fail-on.
  int64_t results = 0;    // result rows: one per URL (malformed list lines included)
  int64_t responses = 0;  // with an HTTP status, whatever it was (even if the body then failed)
  int64_t ok = 0;         // an answer with an accepted status and no error class (storage/run_queries.h)
  int64_t errors = 0;     // with an error class (docs/errors.md)
  int64_t broken = 0;     // an error class other than blocked, or a status outside the accept set
  int64_t blocked = 0;    // error class `blocked`: a bot wall or challenge, kept apart from broken
  int64_t skipped = 0;    // no HTTP answer, neither broken nor blocked: a robots.txt exclusion the set accepts
  std::string accept;     // the accept set these counts used ("100-399": the default)
  std::optional<int64_t> urls_total;     // NULL until the list was read in full
  std::optional<int64_t> lines_invalid;  // list lines that were not crawlable URLs
  std::optional<int64_t> pid;            // the process that ran it last
  // Unfinished runs only: a later run of the same list that completed. Such a run is abandoned: --resume
  // does not continue it (its results would land after the newer run's), and `runs` shows it so.
  std::optional<int64_t> superseded_by;
};

// How a run's results ended. The one definition, for every place that shows these counts: the crawl's
// summary, `runs`, `report` (every format) and --fail-on. ok + broken + blocked + skipped = results; the
// words are defined in storage/run_queries.h, which computes them.
struct OutcomeCounts {
  int64_t results = 0;    // result rows: one per URL (malformed list lines included)
  int64_t responses = 0;  // with an HTTP status, whatever it was (even if the body then failed)
  int64_t ok = 0;         // an answer with a status the accept set takes, no error class
  int64_t errors = 0;     // with an error class (docs/errors.md)
  int64_t broken = 0;     // an error class other than blocked, or a status outside `accept` (AcceptSet)
  int64_t blocked = 0;    // error class `blocked` (also in errors, never in broken)
  int64_t skipped = 0;    // no answer and neither broken nor blocked: an accepted robots.txt exclusion
};
OutcomeCounts CountOutcomes(sql::Database& db, int64_t run_id, const AcceptSet& accept);

struct CountRow {
  std::string key;  // a status ("200"), an error class, ...
  int64_t count = 0;
};

// How one result ended, typed: a status (NULL when no response) and an error class (NULL on success).
struct Outcome {
  std::optional<int64_t> status;
  std::optional<std::string> error;
  bool operator==(const Outcome&) const = default;
};

// "404", "error:dns", "none": an outcome in one word, for people.
std::string OutcomeText(const Outcome& o);

struct BrokenLink {
  std::string url;
  std::string outcome;                  // OutcomeText: "404" or "error:CLASS"
  Outcome typed;                        // the same, for JSON
  std::optional<std::string> error_message;
  std::optional<int64_t> list_line;     // NULL for discovered URLs
  std::vector<std::string> referrers;   // pages linking to it (at most kReferrersListed, unless all)
  int64_t referrer_count = 0;
  std::optional<std::string> source_kind;  // results.source_kind: list, link, sitemap, external (NULL: older)
  std::optional<std::string> source;       // the sitemap that listed it, or the first page linking to it
  std::string group;                       // its section: page, external, sitemap, resource (run_queries.h)
  std::optional<std::string> resource_kind;  // a resource's kind: image, script, style, frame, media (schema 8)
};

inline constexpr size_t kBrokenListed = 100;   // broken URLs a report lists unless asked for all
// A LIMIT no run reaches, for "all" (SQLite's LIMIT -1 is an error in PostgreSQL).
inline constexpr int64_t kNoLimit = int64_t(1) << 62;
inline constexpr size_t kReferrersListed = 5;  // referrers listed per broken URL unless asked for all

// Every result of a run counted once by status, by status class and by depth, and (those with one) by
// error class. Ties: "none" first, then by key.
struct Breakdown {
  std::vector<CountRow> by_status;   // "200", "404", "none" (no response); most frequent first
  std::vector<CountRow> by_error;    // results with an error class only; most frequent first
  std::vector<CountRow> by_class;    // "1xx".."5xx" (no error class), "error": in that order, non-empty only
  std::vector<CountRow> by_depth;    // "0", "1", ... ascending
};

struct SitemapFindings;  // storage/sitemap_report.h
struct ReportData;       // storage/report_data.h
struct ReportLimits;

struct Change {
  std::string url;
  std::string kind;  // added | removed | status | redirect | size | title | content
  // As text: an OutcomeText, a redirect's target URL ("" when the URL answered without redirecting), a
  // size, a title, a content hash.
  std::string before, after;
  Outcome before_outcome, after_outcome;           // kind status
  std::optional<int64_t> before_size, after_size;  // kinds size and content
};

class Inspector {
 public:
  explicit Inspector(const std::string& db_path);

  // Judges every run with `accept` (report --accept) instead of the set each run was crawled with.
  void OverrideAccept(std::optional<AcceptSet> accept) { accept_override_ = std::move(accept); }
  // The set run `run_id` is judged with: the override, else its own (RunAcceptSet).
  AcceptSet AcceptFor(int64_t run_id);
  // Every result of a run in list order, for per-URL reports (JUnit): bounded memory.
  struct ResultLine {
    std::string url;
    std::optional<int64_t> status;
    std::optional<std::string> error, error_message;
    std::optional<double> total_ms;
    std::optional<std::string> resource_kind;  // --check-resources: image, script, style, frame, media
  };
  void ForEachResult(int64_t run_id, const std::function<void(const ResultLine&)>& row);

  std::vector<RunSummary> Runs();
  // The run `id`, or the newest when empty; throws for an unknown id or an empty database.
  int64_t ResolveRun(std::optional<int64_t> id);
  // The run `--resume` continues: the newest that did not complete, except one that failed before its
  // list was read (there is nothing of it to continue).
  std::optional<RunSummary> ResumableRun();
  // What a bare `diff` compares: the newest run, and the newest completed run of the same list before it
  // (older first). Throws, saying which, when there is no such pair.
  std::pair<int64_t, int64_t> DefaultDiffRuns();
  // The report of run `run_id` (storage/report_data.h), over this Inspector's connection, judged by
  // AcceptFor. Defined in storage/report_data.cc.
  ReportData LoadReport(int64_t run_id, const ReportLimits& limits);
  // The run's row and counts (throws for an unknown id), and its breakdown: what the crawl's end summary
  // prints, computed as `report` computes it.
  RunSummary Summary(int64_t run_id);
  // The run's stored options (runs.options, JSON), or "" when none.
  std::string RunOptions(int64_t run_id);
  Breakdown Break(int64_t run_id);
  struct Value {
    std::optional<std::string> text;  // nullopt for NULL
    bool number = false;              // INTEGER or REAL
  };
  // Streams every result row of a run: `header` gets the column names once, then `row` each row.
  void ExportRows(int64_t run_id, const std::function<void(const std::vector<std::string>&)>& header,
                  const std::function<void(const std::vector<Value>&)>& row);
  // The runs `prune` deletes: beyond the newest `keep` (newest first), or started more than
  // `older_than_days` ago (oldest first). One of the two is given.
  std::vector<int64_t> PruneCandidates(std::optional<int> keep, std::optional<double> older_than_days);
  // Changes from run a to run b. A size change counts when it differs by more than size_threshold_pct.
  // One URL may have several (status or size, redirect, title and content); they come one after another.
  // A redirect added, removed or pointing elsewhere is a change (kind redirect) even when the final page
  // answers as before; a 304 recorded as unchanged without a final_url is not a removed redirect. A URL an unfinished
  // run still holds pending is neither added nor removed by it.
  void Diff(int64_t a, int64_t b, double size_threshold_pct, const std::function<void(const Change&)>& out);
  // URLs the run holds pending (not fetched yet): 0 for a completed run, whose frontier is cleared.
  int64_t Unfetched(int64_t run_id);
  // The URLs with at least one change: what `changed` and --fail-on changed>N count.
  int64_t ChangedUrls(int64_t a, int64_t b, double size_threshold_pct);
  // The run's sitemaps against its crawl (storage/sitemap_report.h); `limit` rows per list (kNoLimit: all).
  // Broken by AcceptFor(run_id), as the rest of the report.
  SitemapFindings Sitemaps(int64_t run_id, int64_t limit);

 private:
  sql::Database db_;
  int version_ = 0;  // the file's schema version
  std::string run_columns_;
  std::optional<AcceptSet> accept_override_;
};

}  // namespace gc::storage
