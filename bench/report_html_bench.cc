// Times the HTML report of a large run: a synthetic completed run of ROWS results (tests/synthetic_run.h,
// the rows report_html_test renders at a small size) is written to a temporary database, then the report
// is built from it three times. Run with bench/report_html.sh; figures in bench/RESULTS.md.
//   report_html_bench [ROWS]   (default 1000000)
// The report's own cost is the CPU time: on a busy machine the wall clock says more about the neighbours.
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "app/reports/html.h"
#include "storage/report_data.h"
#include "tests/synthetic_run.h"

namespace {

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  if (argc > 2 || rows <= 0) {
    std::fprintf(stderr, "usage: report_html_bench [ROWS]\n");
    return 2;
  }
  char tmpl[] = "/tmp/gc-report-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  std::string dir = tmpl;
  std::string db = dir + "/big.db";
  auto t0 = std::chrono::steady_clock::now();
  gc::testing::WriteSyntheticRun(db, rows);
  std::printf("%lld rows written in %.1f s, database %.0f MB\n", static_cast<long long>(rows), SecondsSince(t0),
              double(std::filesystem::file_size(db)) / 1e6);
  int status = 0;
  for (int i = 0; i < 3; ++i) {
    auto w = std::chrono::steady_clock::now();
    double c = CpuSeconds();
    std::string page = gc::RenderReportHtml(gc::storage::LoadReportData(db, std::nullopt, gc::storage::ReportLimits()), db, "now");
    double cpu_s = CpuSeconds() - c;
    std::printf("report %d: page %zu bytes, built in %.2f s CPU, %.2f s wall\n", i + 1, page.size(), cpu_s,
                SecondsSince(w));
    if (page.size() >= 5'000'000) status = 1;  // the page must stay small however large the run
  }
  std::filesystem::remove_all(dir);
  if (status) std::printf("FAIL: the page is 5 MB or more\n");
  return status;
}
