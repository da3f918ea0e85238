// A completed run of any size written straight into a results database (no crawl): the HTML report's
// test renders a small one, bench/report_html.sh a million rows. The same rows every time (a fixed
// xorshift seed): ~2% fetch errors, 4% 404s, 1% 500s, 3% redirects, log-uniform sizes, one hour of
// fetch times, and referrers for some broken pages.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "storage/result_rows.h"
#include "storage/result_store.h"
#include "storage/url_ids.h"
#include "storage/sql.h"

namespace gc::testing {

// "2026-01-01T00:MM:SS.mmmZ" for a time `ms` milliseconds into the first hour of 2026.
inline std::string FetchedAt(int64_t ms) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-01-01T00:%02d:%02d.%03dZ", int(ms / 60000 % 60), int(ms / 1000 % 60),
                int(ms % 1000));
  return buf;
}

// Creates `db` with greencrawl's schema and one completed run of `rows` results; returns the run's id.
inline int64_t WriteSyntheticRun(const std::string& db, int64_t rows) {
  int64_t run = 0;
  {
    storage::ResultStore store(db);  // the schema
    run = store.BeginRun("big.txt", "{}", "t");
  }
  sql::Database d(db, sql::Database::Mode::kReadWrite);  // rows straight in, faster than a crawl
  sql::Transaction tx(d);
  auto ins = d.Prepare(
      "INSERT INTO result_rows (run_id, url_id, final_url_id, status, size, title, error, depth, fetched_ms, "
      "redirects, wire_bytes, total_us, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  storage::UrlIds ids(d);
  std::vector<storage::LinkRow> links;
  uint64_t x = 88172645463325252ull;  // xorshift: the same data every time
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int64_t i = 0; i < rows; ++i) {
    std::string url = "https://site" + std::to_string(i % 97) + ".example/page/" + std::to_string(i);
    uint64_t r = next() % 1000;
    ins.Bind(1, run).Bind(2, ids.Id(url));
    bool redirected = r >= 900 && r < 930;
    if (redirected) {
      ins.Bind(3, ids.Id(url + "/"));
    } else {
      ins.BindNull(3);
    }
    if (r < 20) {
      ins.BindNull(4).BindNull(5).BindNull(6).Bind(7, r < 10 ? "timeout" : "dns");
    } else {
      ins.Bind(4, int64_t(r < 60 ? 404 : r < 70 ? 500 : 200))
          .Bind(5, int64_t(std::exp(double(next() % 1400) / 100.0)))  // 1 B to ~1.2 MB, log-uniform
          .Bind(6, "Page " + std::to_string(i))
          .BindNull(7);
    }
    ins.Bind(8, int64_t(i % 4))
        .Bind(9, storage::EpochMs(FetchedAt(i * 3600 / rows * 1000 + i % 1000)))  // over one hour
        .Bind(10, int64_t(redirected ? 1 : 0))
        .Bind(11, int64_t(next() % 100000))
        .Bind(12, storage::Micros(double(next() % 300000) / 100.0 + (r < 10 ? 30000 : 0)))
        .Bind(13, int64_t(r % 50 == 0 ? 2 : 1));
    ins.Run();
    if (r < 60 && i % 7 == 0) {  // some broken pages have referrers
      for (int k = 0; k < 3; ++k) {
        links.push_back({"https://site0.example/page/" + std::to_string(k), url});
      }
    }
  }
  storage::LinkSets(d).Write(run, links);
  d.Exec("UPDATE runs SET status = 'completed', started_at = '2026-01-01T00:00:00.000Z', "
         "finished_at = '2026-01-01T01:00:00.000Z' WHERE id = " + std::to_string(run));
  tx.Commit();
  return run;
}

}  // namespace gc::testing
