// Times the history of a run's broken links (storage/history.h) on an existing database: what `report`,
// `diff` and --fail-on new-broken / broken-for add. Run with bench/history.sh, which makes the database.
//   history_bench DB RUN
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "storage/history.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: history_bench DB RUN\n");
    return 2;
  }
  gc::sql::Database db(argv[1], gc::sql::Database::Mode::kReadOnly);
  // Three times in full (report, diff), then as --fail-on broken-for>3 reads it (streaks up to 4 runs).
  for (int i = 0; i < 4; ++i) {
    auto start = std::chrono::steady_clock::now();
    gc::storage::BrokenHistory h =
        gc::storage::ReadBrokenHistory(db, std::atoll(argv[2]), std::nullopt, 100, i < 3 ? 0 : 4);
    if (i == 3) std::printf("with streaks followed up to 4 runs (--fail-on broken-for>3): ");
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("history of run %lld (%zu runs): %lld broken, %lld new, %lld fixed, longest %lld: %.1f ms\n",
                static_cast<long long>(h.run_id), h.runs.size(), static_cast<long long>(h.broken),
                static_cast<long long>(h.new_broken), static_cast<long long>(h.fixed),
                static_cast<long long>(h.longest), ms);
  }
  return 0;
}
