// The inspect commands behind `greencrawl runs | report | export | diff`. Each returns an exit code and
// throws (sql::Error, std::runtime_error) for a database it cannot use; cli.cc prints those as one line.
#pragma once

#include <cstdint>
#include <optional>
#include <iostream>
#include <ostream>
#include <string>

#include "app/reports/request.h"
#include "storage/accept_set.h"
#include "storage/report_data.h"

namespace gc {

// The report model of run `run_id` (storage/report_data.h) over `in`'s connection, with the status
// `runs` shows (a dead process's run is "killed", an abandoned one "abandoned") in run and headline alike.
// What every report format renders.
storage::ReportData LoadShownReport(storage::Inspector& in, const std::string& db, int64_t run_id,
                                    const storage::ReportLimits& limits);

int ShowRuns(const std::string& db, bool json, std::ostream& out);
// top: rows of the slowest/largest lists; all: every broken URL and referrer (else the first 100 and 5).
// accept (report --accept): judges broken instead of the run's own accept set.
int ShowReport(const std::string& db, std::optional<int64_t> run, size_t top, bool all, bool json,
               std::ostream& out, const std::optional<storage::AcceptSet>& accept = std::nullopt);
// `report`: `request` rendered in its format to `out` or its output file (html's note on `err`).
int WriteReport(const ReportRequest& request, std::ostream& out, std::ostream& err);
// output "" or "-": standard output.
int ExportResults(const std::string& db, std::optional<int64_t> run, const std::string& format,
                  const std::string& output, std::ostream& out);
// Without both runs: the newest two. Two runs of different lists are compared, with a warning on `err`.
int ShowDiff(const std::string& db, std::optional<int64_t> a, std::optional<int64_t> b, double size_threshold_pct,
             bool json, std::ostream& out,
             std::ostream& err = std::cerr);

// Deletes runs beyond the newest `keep`, or started more than `older_than_days` ago; never the running one.
// When that is every run of the database, refuses (exit 2, saying which) unless `yes`.
int PruneRuns(const std::string& db, std::optional<int> keep, std::optional<double> older_than_days, bool dry_run,
              bool yes,
              double wait_lock_s, std::ostream& out, std::ostream& err);

}  // namespace gc
