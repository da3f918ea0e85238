// `greencrawl report --format markdown`: a run in GitHub-flavoured Markdown, short enough for a pull-request
// comment or a CI step summary (as lychee's `--format markdown`): the counts, the broken URLs and the
// blocked ones by where they came from (most severe first), broken fragments, sitemaps, redirects, changes
// and history, each table capped at kMarkdownRows rows with a line saying how many were left out.
// Every crawled value is escaped: it cannot break a table, start a heading, open HTML or a link.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "storage/report_data.h"

namespace gc {

inline constexpr size_t kMarkdownRows = 50;  // rows per table: ~15 kB at most, under a comment's 64 KiB
inline constexpr size_t kMarkdownShortRows = 10;  // redirects: a sample, not the point of the comment

// The limits WriteMarkdown's tables need (storage/report_data.h).
storage::ReportLimits MarkdownLimits();
// Writes the report `r`. `db` names the database in the command that lists everything.
void WriteMarkdown(const storage::ReportData& r, const std::string& db, std::ostream& out);

// Text for a table cell: ASCII punctuation backslash-escaped (CommonMark 2.4: so `|`, `*`, `<`, `[`, `&`
// and the like stay literal), line breaks and other controls as spaces, cut at `max_bytes` on a
// character boundary.
std::string MarkdownText(std::string_view s, size_t max_bytes = 300);
// A code span for a cell (URLs): a fence longer than any run of backticks inside, `|` escaped (GFM
// tables split on it even inside code spans), line breaks as spaces.
std::string MarkdownCode(std::string_view s, size_t max_bytes = 300);

}  // namespace gc
