// Values a result row keeps in another form than it has them (schema 11: storage/result_rows.h), written
// through the store and read back through the view `results`: each must come back as the text written, on
// SQLite (storage_test) and PostgreSQL (pg_test) alike. A thousand timestamps and HTTP dates spread over
// every millisecond digit, weekday, month and 150 years, the edges of a 64-bit hash, and the texts that
// are not in the stored form (kept as they are, or, for a timestamp or hash not greencrawl's, not kept).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "storage/result_rows.h"
#include "storage/result_store.h"
#include "storage/sql.h"

namespace gc::testing {

// greencrawl's timestamp text (as UtcNow writes it) of `ms` since 1970, ms >= 0, by the C library.
inline std::string IsoMs(int64_t ms) {
  int64_t s = ms / 1000;
  char buf[64];
  std::time_t t = std::time_t(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

inline void CheckResultValuesRoundTrip(const std::string& target) {
  struct Expect {
    std::string url;
    std::optional<std::string> fetched_at, last_modified, hash, final_url, source;
    std::optional<double> ms;
  };
  std::vector<storage::ResultRow> rows;
  std::vector<Expect> expect;
  auto add = [&](storage::ResultRow r, Expect e) {
    r.in_frontier = false;
    e.url = r.url;
    rows.push_back(std::move(r));
    expect.push_back(std::move(e));
  };
  for (int i = 0; i < 1000; ++i) {
    storage::ResultRow r;
    r.url = "http://x/" + std::to_string(i);
    // From 1900 on, a step of ~55 days and 1,001 ms: each millisecond digit, weekday and month.
    const int64_t ms = -2'208'988'800'000 + int64_t(i) * (4'730'000'000 + 1'001);
    r.fetched_at = IsoMs(1'796'652'431'000 + int64_t(i) * 1'001);
    r.last_modified = storage::FormatHttpDate(ms / 1000);
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", (unsigned long long)(uint64_t(i) * 0x9e3779b97f4a7c15ull));
    r.content_hash = hash;
    r.total_ms = double(i * 977) / 1000.0;
    if (i % 3 == 0) r.final_url = r.url;
    if (i % 3 == 1) r.final_url = r.url + "/";
    if (i % 5 == 0) r.source = "http://x/" + std::to_string(i / 2), r.source_kind = "link";
    add(r, {"", r.fetched_at, r.last_modified, r.content_hash, r.final_url, r.source, r.total_ms});
  }
  auto odd = [&](const std::string& url, std::optional<std::string> lm, std::optional<std::string> hash,
                 std::optional<std::string> hash_back, std::optional<double> ms, std::string fetched_at,
                 std::optional<std::string> fetched_back) {
    storage::ResultRow r;
    r.url = url;
    r.last_modified = lm;
    r.content_hash = hash;
    r.total_ms = ms;
    r.fetched_at = fetched_at;
    add(r, {"", fetched_back, lm, hash_back, std::nullopt, std::nullopt, ms});
  };
  const std::string now = "2026-12-07T14:07:11.633Z";
  odd("http://odd/rfc850", "Sunday, 06-Nov-94 08:49:37 GMT", "ffffffffffffffff", "ffffffffffffffff", 0.0, now, now);
  odd("http://odd/asctime", "Sun Nov  6 08:49:37 1994", "8000000000000000", "8000000000000000", 30000.0, now, now);
  odd("http://odd/weekday", "Mon, 06 Nov 1994 08:49:37 GMT", "7fffffffffffffff", "7fffffffffffffff", 0.001, now, now);
  odd("http://odd/feb31", "Sun, 31 Feb 2026 00:00:00 GMT", "0000000000000000", "0000000000000000", 1234.567, now, now);
  odd("http://odd/year0", "Sat, 01 Jan 0000 00:00:00 GMT", std::nullopt, std::nullopt, std::nullopt, now, now);  // no year 0 in PostgreSQL
  odd("http://odd/empty", "", "not a hash", std::nullopt, std::nullopt, "", std::nullopt);
  odd("http://odd/upper", "garbage", "ABCDEF0123456789", std::nullopt, std::nullopt, "2026-12-07 14:07:11", std::nullopt);
  odd("not a url at all", std::nullopt, std::nullopt, std::nullopt, std::nullopt, "1970-01-01T00:00:00.000Z",
      "1970-01-01T00:00:00.000Z");

  int64_t run = 0;
  {
    storage::ResultStore store(target);
    run = store.BeginRun("l", "{}", "t");
    for (const auto& r : rows) store.Record(run, r);
    store.Flush();
    store.FinishRun(run, "completed");
  }
  sql::Database d(target, sql::Database::Mode::kReadOnly);
  auto st = d.Prepare(
      "SELECT fetched_at, last_modified, content_hash, final_url, source, total_ms FROM results WHERE run_id = ? AND url = ?");
  auto opt = [&](int c) { return st.IsNull(c) ? std::nullopt : std::optional<std::string>(st.Text(c)); };
  int checked = 0;
  for (const Expect& e : expect) {
    st.Bind(1, run).Bind(2, e.url);
    REQUIRE(st.Step());
    INFO(e.url);
    CHECK(opt(0) == e.fetched_at);
    CHECK(opt(1) == e.last_modified);
    CHECK(opt(2) == e.hash);
    CHECK(opt(3) == e.final_url);
    CHECK(opt(4) == e.source);
    CHECK((st.IsNull(5) ? std::nullopt : std::optional<double>(st.Real(5))) == e.ms);
    st.Reset();
    ++checked;
  }
  CHECK(checked == 1008);
  // Stored as integers, the odd dates apart (kept as their text).
  auto count = [&](const std::string& sql) {
    auto c = d.Prepare(sql);
    c.Bind(1, run);
    c.Step();
    return c.Int(0);
  };
  CHECK(count("SELECT count(*) FROM result_rows WHERE run_id = ? AND last_modified_s IS NOT NULL") == 1000);
  CHECK(count("SELECT count(*) FROM result_rows WHERE run_id = ? AND last_modified_text IS NOT NULL") == 7);
}

}  // namespace gc::testing
