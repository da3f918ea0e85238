// `greencrawl report --format junit`: a run as a JUnit XML report for CI (as lychee's and muffet's
// `--format junit`): one <testcase> per result, classname = the URL's host, a <failure> for each broken
// one and for each broken fragment, <skipped> for each blocked or skipped one (storage/run_queries.h's
// words); the report's other sections as <properties>. Results are streamed row by row: constant memory
// for any run. Everything from the database is escaped for XML 1.0.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "storage/report_data.h"

#include "storage/inspect.h"

namespace gc {

// What WriteJunit needs of the model: the counts and every broken fragment, no top lists.
storage::ReportLimits JunitLimits();
// Writes the report `data` to `out`: its counts and sections from `data`, one testcase per result
// streamed from `in` (the Inspector `data` was read with: the same accept set), one per broken fragment.
void WriteJunit(const storage::ReportData& data, storage::Inspector& in, std::ostream& out);

}  // namespace gc
