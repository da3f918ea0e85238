// What `report` was asked for: one run of one database, in one format, to one place. cli.cc builds it from
// --format, --json, --html and -o FILE's name (which overlap, so they are settled there, once); WriteReport
// (app/inspect_commands.h) renders it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/accept_set.h"

namespace gc {

enum class ReportFormat { kText, kJson, kHtml, kMarkdown, kJunit };

struct ReportRequest {
  std::string db;
  std::optional<int64_t> run;  // nullopt: the newest
  ReportFormat format = ReportFormat::kText;
  size_t top = 10;   // rows of the slowest/largest lists (text and json)
  bool all = false;  // every broken URL and referrer, else the first 100 and 5 (text and json)
  std::optional<storage::AcceptSet> accept;  // --accept: judges broken instead of the run's own set
  std::string output;                        // "" or "-": standard output, else a file written whole
};

// "text", "json", "html", "markdown", "junit" (--format's words), or nullopt.
inline std::optional<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "html") return ReportFormat::kHtml;
  if (name == "markdown") return ReportFormat::kMarkdown;
  if (name == "junit") return ReportFormat::kJunit;
  return std::nullopt;
}

}  // namespace gc
