// `greencrawl report --html` and `crawl --report-html`: one self-contained HTML page per run — headline
// numbers, SVG charts (app/svg.h) with table fallbacks, sortable tables, and what changed since the
// previous completed run of the same list. Inline CSS and SVG and one small inline script (table
// sorting); a Content-Security-Policy forbids every fetch, so the page works offline from a mail
// attachment or a CI artifact. Everything from the database is escaped (app/html_escape.h).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "storage/report_data.h"

namespace gc {

// The page for `data`. `db_label` names the database in the footer; `generated_at` is a UTC time.
std::string RenderReportHtml(const storage::ReportData& data, const std::string& db_label,
                             const std::string& generated_at);

// Writes the report of run `run` (the newest when empty). `output`: "" for report-run-N.html in the
// current directory, "-" for `out`, else a path in which "{run}" is replaced by the run id. Written by
// WriteOutput (app/output_file.h): a file is replaced atomically, so a reader never sees half a page, a
// device or FIFO is written in place; `note` gets one line saying
// where it went. Returns kExitOk; throws sql::Error for an unusable database or run and
// std::runtime_error when the file cannot be written. `accept` (report --accept) judges broken instead of
// the run's own accept set.
int WriteReportHtml(const std::string& db, std::optional<int64_t> run, const std::string& output, std::ostream& out,
                    std::ostream& note, const std::optional<storage::AcceptSet>& accept = std::nullopt);

// For `crawl --report-html`: WriteReportHtml for the run just finished, the note unless `quiet`. A
// failure is one line on `err` and false; the crawl then exits 1 (the run's results are all stored).
bool WriteCrawlReport(const std::string& db, int64_t run_id, const std::string& output, bool quiet, std::ostream& err);

// The headline as a JSON object, for `report --json`: the numbers the page shows, from the same code.
std::string HeadlineJson(const storage::Headline& h);

}  // namespace gc
