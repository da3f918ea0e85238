// Times ResultStore::ClaimWork, a scale-out worker's claim (storage/result_store_shared.cc), on a
// PostgreSQL database whose frontier bench/claim_cost.sh filled with SQL.
//   claim_bench URI setup               the schema and an empty run; prints the run's id
//   claim_bench URI claim RUN [CLAIMS]  joins RUN as a worker and claims 1,000 URLs CLAIMS times (6),
//                                       recording each claim's URLs as fetched (200) before the next, as a
//                                       crawl would (untimed): prints the first 3 and the median of the
//                                       last 10
//   claim_bench URI write RUN BATCH GO  joins RUN as a worker, waits for the file GO to exist (the other
//                                       writers have joined: the hosts are shared fairly from the first
//                                       claim), then claims 1,000 URLs at a time and records them as
//                                       fetched in batches of BATCH results, each ResultStore::Write a
//                                       crawl's batch (one transaction, the host fence, a multi-row
//                                       statement); stops when a claim comes back empty: prints the
//                                       results written, claims and seconds (bench/pg_write_rate.sh)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/result_store.h"

namespace {
// A row as a crawl of an HTML page writes it: every column a 200 fills.
gc::storage::ResultRow Fetched(const gc::storage::FrontierItem& item) {
  gc::storage::ResultRow r;
  r.url = item.url;
  r.status = 200;
  r.size = 10240;
  r.content_type = "text/html; charset=utf-8";
  r.title = "Page " + std::to_string(item.seq) + " of the bench site";
  r.fetched_at = gc::storage::UtcNow();
  r.redirects = 0;
  r.wire_bytes = 10480;
  r.ip = "127.0.0.1";
  r.etag = "\"5f3a-" + std::to_string(item.seq) + "\"";
  r.last_modified = "Sat, 05 Dec 2026 10:00:00 GMT";
  r.content_hash = "9f86d081884c7d65";
  r.dns_ms = 0.1;
  r.connect_ms = 0.3;
  r.ttfb_ms = 200.5;
  r.total_ms = 201.2;
  r.seq = item.seq;
  r.list_line = item.list_line;
  r.source_kind = "list";
  return r;
}

int Write(gc::storage::ResultStore& store, int64_t run, int batch_size, const std::string& go) {
  if (batch_size < 1) return 2;
  store.JoinAsWorker(run, 300);
  for (int i = 0; i < 1200 && !std::filesystem::exists(go); ++i) {  // bounded: 2 minutes
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto start = std::chrono::steady_clock::now();
  int64_t written = 0, claims = 0;
  for (;;) {
    gc::storage::ResultStore::Claim c = store.ClaimWork(run, 1000, false);
    ++claims;
    if (c.items.empty()) break;
    for (size_t i = 0; i < c.items.size(); i += size_t(batch_size)) {
      gc::storage::WriteBatch batch;
      for (size_t j = i; j < std::min(c.items.size(), i + size_t(batch_size)); ++j) {
        batch.results.push_back(Fetched(c.items[j]));
      }
      store.Write(run, batch);
      written += int64_t(batch.results.size());
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  store.LeaveRun();
  std::printf("%lld results %lld claims %.3f s\n", static_cast<long long>(written), static_cast<long long>(claims), s);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: claim_bench URI setup | claim_bench URI claim RUN [CLAIMS] | claim_bench URI write RUN BATCH GO\n");
    return 2;
  }
  gc::storage::ResultStore store(argv[1]);
  std::string mode = argv[2];
  if (mode == "setup") {
    int64_t run = store.BeginRun("bench-list.txt", "{}", "bench");
    std::printf("%lld\n", static_cast<long long>(run));
    return 0;
  }
  if (mode == "write" && argc > 5) return Write(store, std::atoll(argv[3]), std::atoi(argv[4]), argv[5]);
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
