// `greencrawl report` for people: the run's report (storage/report_data.h) as plain text, every section
// that applies — headline, outcomes, timings, broken and blocked URLs by where they came from (most
// severe first, with their referrers), broken fragments, sitemaps, redirects, changes, history.
#pragma once

#include <ostream>

#include "storage/report_data.h"

namespace gc {

// `all`: the data was read without limits, so "N more" lines point nowhere else; else they name --all.
void WriteReportText(const storage::ReportData& r, bool all, std::ostream& out);

}  // namespace gc
