// Times ResultStore::ClaimWork, a scale-out worker's claim (storage/result_store_shared.cc), on a
// PostgreSQL database whose frontier bench/claim_cost.sh filled with SQL.
//   claim_bench URI setup               the schema and an empty run; prints the run's id
//   claim_bench URI claim RUN [CLAIMS]  joins RUN as a worker and claims 1,000 URLs CLAIMS times (6),
//                                       recording each claim's URLs as fetched (200) before the next, as a
//                                       crawl would (untimed): prints the first 3 and the median of the
//                                       last 10
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "storage/result_store.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: claim_bench URI setup | claim_bench URI claim RUN [CLAIMS]\n");
    return 2;
  }
  gc::storage::ResultStore store(argv[1]);
  std::string mode = argv[2];
  if (mode == "setup") {
    int64_t run = store.BeginRun("bench-list.txt", "{}", "bench");
    std::printf("%lld\n", static_cast<long long>(run));
    return 0;
  }
  if (mode != "claim" || argc < 4) return 2;
  int64_t run = std::atoll(argv[3]);
  int claims = argc > 4 ? std::atoi(argv[4]) : 6;
  store.JoinAsWorker(run, 300);
  std::vector<double> later;
  for (int i = 0; i < claims; ++i) {
    auto start = std::chrono::steady_clock::now();
    gc::storage::ResultStore::Claim c = store.ClaimWork(run, 1000, false);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (i < 3 || i + 1 == claims) {
      std::printf("claim %d: %zu URLs, %lld hosts held, pending %lld: %.1f ms\n", i + 1, c.items.size(),
                  static_cast<long long>(c.hosts), static_cast<long long>(c.pending), ms);
    }
    if (i + 10 >= claims) later.push_back(ms);
    gc::storage::WriteBatch batch;
    for (const gc::storage::FrontierItem& item : c.items) {
      gc::storage::ResultRow r;
      r.url = item.url;
      r.status = 200;
      r.seq = item.seq;
      r.list_line = item.list_line;
      r.fetched_at = gc::storage::UtcNow();
      batch.results.push_back(std::move(r));
    }
    store.Write(run, batch);
  }
  if (!later.empty()) {
    std::sort(later.begin(), later.end());
    std::printf("median of the last %zu claims: %.1f ms\n", later.size(), later[later.size() / 2]);
  }
  return 0;
}
