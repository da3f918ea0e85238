// `greencrawl report --json`: the run's report (storage/report_data.h) as one JSON document for
// scripts. "run" and "headline" are two views of the same counts (kept for older scripts), filled from
// the one model; every list is in the model's order (broken and blocked: most severe first).
#pragma once

#include <string>

#include "storage/report_data.h"

namespace gc {

std::string ReportJson(const storage::ReportData& r);

// The `runs --json` object of one run, and the report's "run".
std::string RunJson(const storage::RunSummary& r);

}  // namespace gc
