// The queries every report of a run is built from, each written once: the run's row, the previous run
// of its list, the words ok / broken / blocked / skipped, how severe an outcome is, and the broken and
// blocked URLs grouped by where they came from. storage/report_data.h puts them together into the one
// model that text, JSON, HTML, Markdown and JUnit render. Read-only; the caller's thread.
//
// The four words partition a run's results (README, "What the counts mean"):
//   blocked  error class `blocked`: a bot wall or challenge answered (never broken);
//   broken   otherwise, AcceptSet::Broken: an error class, or a status outside the accept set;
//   skipped  otherwise, no HTTP answer: not fetched by choice (a robots.txt exclusion the set accepts);
//   ok       the rest: an answer with an accepted status and no error class.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/accept_set.h"
#include "storage/inspect.h"
#include "storage/sql.h"

namespace gc::storage {

// The word for one result, as the SQL below counts it.
enum class Verdict { kOk, kBroken, kBlocked, kSkipped };
Verdict Judge(const AcceptSet& accept, const std::optional<int64_t>& status, const std::optional<std::string>& error);

// SQL boolean expressions over results.status and results.error for each word; bind the broken ones'
// parameters with accept.BindBroken (OkSql and SkippedSql hold one BrokenSql each).
std::string OkSql(const AcceptSet& accept);
std::string SkippedSql(const AcceptSet& accept);
inline constexpr const char* kBlockedSql = "error = 'blocked'";

// How bad an outcome is, for the one sort order of every list of broken URLs: 0 for no HTTP answer (a
// network error) or a 5xx, 1 for a 4xx, 2 for the rest (an error on an answer that arrived, a status a
// narrowed accept set refuses). Lower is more severe. SeveritySql is the same over status.
int Severity(const Outcome& o);
std::string SeveritySql(const std::string& table = "");

// The run's row with its counts (runs, report, the crawl's summary): one SELECT on runs, one pass over
// its results. Throws sql::Error for an unknown run.
RunSummary ReadRunSummary(sql::Database& db, int64_t run_id, const AcceptSet& accept);

// The pieces of it that `runs` and --resume use for many runs: the SELECT (append WHERE/ORDER BY), the
// row it returns, and the counts.
std::string RunColumnsSql(int schema_version);
RunSummary ReadRunRow(sql::Statement& st);
void FillCounts(sql::Database& db, const AcceptSet& accept, RunSummary& s);

// Breakdown (storage/inspect.h) of a run in one pass over its rows: counted here rather than by GROUP
// BY, which would sort a million rows (no index covers status, error and depth) for a few hundred groups.
Breakdown ReadBreakdown(sql::Database& db, int64_t run_id);

// The newest completed run of the same list before `run_id`, if any: what `diff`, "changed" and the
// report's comparison use.
std::optional<int64_t> PreviousCompletedRun(sql::Database& db, int64_t run_id);

// Where a result's URL came from, grouped for the reports: "page" (the list, or a link within scope),
// "external" (a link to another site, checked once), "sitemap" (listed in a sitemap), "resource" (an
// image, script, style, frame or media file of a page; crawl --check-resources). In this order.
inline constexpr const char* kSourceGroups[] = {"page", "external", "sitemap", "resource"};
std::string SourceGroupSql(int schema_version);  // a results.source_kind CASE giving one of those

struct LinkSection {
  std::string group;              // one of kSourceGroups
  int64_t total = 0;              // all of them
  std::vector<BrokenLink> rows;   // the first `limit`, most severe first, then most referred, then URL
};

// A run's broken results (by `accept`) and its blocked ones, one section per source group that has any.
// Each row keeps up to `referrers` of the pages linking to it (by URL) and the count of them all.
struct LinkSections {
  std::vector<LinkSection> broken, blocked;
};
LinkSections ReadLinkSections(sql::Database& db, int64_t run_id, const AcceptSet& accept, int64_t limit,
                              int64_t referrers);

}  // namespace gc::storage
