// The SQLite schema's steps: a new file made in one transaction as the steps make it one by one, files of
// older releases read unmigrated and moved forward with their rows (schemas 1, 3, 4, 9 and 11), in bounded
// chunks, and files that are not greencrawl's refused. (Split from storage_test.cc; PostgreSQL's steps are
// in pg_schema_test.cc, a real release's file in migrate_test.cc.)
#include <doctest/doctest.h>
#include <xxhash.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "app/inspect_commands.h"
#include "storage/inspect.h"
#include "storage/result_store.h"
#include "storage/schema.h"
#include "tests/e2e.h"
#include "tests/result_values.h"
#include "tests/storage_fixture.h"

using namespace gc;
using namespace gc::storage;
using gc::sql::Database;
using gc::testing::Row;
using gc::testing::Rows;
using gc::testing::Scalar;
using gc::testing::TempDb;

TEST_CASE("a new file gets the current schema in WAL mode; a v0 (empty) file is migrated forward") {
  TempDb t;
  { ResultStore store(t.path); }
  CHECK(Scalar(t.path, "PRAGMA user_version") == kSchemaVersion);
  {
    Database d(t.path, Database::Mode::kReadOnly);
    auto st = d.Prepare("PRAGMA journal_mode");
    REQUIRE(st.Step());
    CHECK(st.Text(0) == "wal");
  }
  TempDb v0;
  { Database d(v0.path, Database::Mode::kReadWrite); }  // an empty SQLite file: version 0
  CHECK(Scalar(v0.path, "PRAGMA user_version") == 0);
  { ResultStore store(v0.path); }
  CHECK(Scalar(v0.path, "PRAGMA user_version") == kSchemaVersion);
  CHECK(Scalar(v0.path, "SELECT count(*) FROM sqlite_master WHERE name IN ('runs','results','frontier','links')") == 4);
}

TEST_CASE("a new file's schema, made in one transaction, is the one the steps make one by one") {
  TempDb whole;
  { ResultStore store(whole.path); }  // version 0: every step in one transaction
  TempDb steps;
  for (int v = 1; v <= kSchemaVersion; ++v) {
    Database d(steps.path, Database::Mode::kReadWrite);
    MigrateTo(d, v);  // from v - 1: a transaction of its own, as an older release's file moves up
    CHECK(Scalar(steps.path, "PRAGMA user_version") == v);
  }
  const std::string schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";
  CHECK(Rows(whole.path, schema) == Rows(steps.path, schema));
  CHECK(Rows(whole.path, schema).size() > 1000);  // the whole schema, not an empty answer twice
  const std::string stats = "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx";
  CHECK(Rows(whole.path, stats) == Rows(steps.path, stats));
  CHECK(Scalar(whole.path, "PRAGMA user_version") == kSchemaVersion);
}

TEST_CASE("a database that is not greencrawl's, or is newer, is refused with a clear reason") {
  TempDb other;
  {
    Database d(other.path, Database::Mode::kReadWrite);
    d.Exec("CREATE TABLE customers (id INTEGER)");
  }
  CHECK_THROWS_WITH_AS(ResultStore(other.path), doctest::Contains("not a greencrawl one"), sql::Error);
  CHECK_THROWS_WITH_AS(Inspector(other.path), doctest::Contains("not a greencrawl one"), sql::Error);
  TempDb newer;
  {
    Database d(newer.path, Database::Mode::kReadWrite);
    d.Exec("PRAGMA user_version = 99");
  }
  CHECK_THROWS_WITH_AS(ResultStore(newer.path), doctest::Contains("newer greencrawl"), sql::Error);
  TempDb junk;
  std::ofstream(junk.path) << std::string(2048, 'x');
  CHECK_THROWS_AS(Inspector(junk.path), sql::Error);
}

TEST_CASE("a version-1 file is migrated to the current schema with its rows intact") {
  TempDb t;
  {
    Database d(t.path, Database::Mode::kReadWrite);
    d.Exec("CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,"
           " list_file TEXT, options TEXT, version TEXT NOT NULL, pid INTEGER, urls_total INTEGER, lines_invalid INTEGER,"
           " lines_duplicate INTEGER, ok_count INTEGER, error_count INTEGER);"
           "CREATE TABLE results (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, url TEXT NOT NULL, final_url TEXT,"
           " status INTEGER, size INTEGER, content_type TEXT, title TEXT, error TEXT, error_message TEXT,"
           " depth INTEGER NOT NULL DEFAULT 0, fetched_at TEXT, redirects INTEGER, wire_bytes INTEGER, ip TEXT, etag TEXT,"
           " last_modified TEXT, content_hash TEXT, dns_ms REAL, connect_ms REAL, tls_ms REAL, ttfb_ms REAL, total_ms REAL,"
           " list_line INTEGER, attempts INTEGER NOT NULL DEFAULT 1, UNIQUE (run_id, url));"
           "CREATE TABLE frontier (run_id INTEGER NOT NULL, url TEXT NOT NULL, seq INTEGER NOT NULL,"
           " depth INTEGER NOT NULL DEFAULT 0, list_line INTEGER, done INTEGER NOT NULL DEFAULT 0,"
           " PRIMARY KEY (run_id, url)) WITHOUT ROWID;"
           "CREATE TABLE links (run_id INTEGER NOT NULL, from_url TEXT NOT NULL, to_url TEXT NOT NULL,"
           " nofollow INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, from_url, to_url)) WITHOUT ROWID;"
           "INSERT INTO runs (id, started_at, status, version) VALUES (1, '2026-01-01T00:00:00.000Z', 'running', '0.1.0');"
           "INSERT INTO frontier (run_id, url, seq) VALUES (1, 'http://x/pending', 1);"
           "PRAGMA user_version = 1;");
  }
  ResultStore store(t.path);
  CHECK(Scalar(t.path, "PRAGMA user_version") == kSchemaVersion);
  auto pending = store.PendingAfter(1, 0, 10);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].url == "http://x/pending");
  CHECK_FALSE(pending[0].root.has_value());
}

TEST_CASE("the inspect commands read a schema-3 file (no active_s yet) without migrating it") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("l", "{}", "t");
    store.Record(run, Row("http://x/a", 200, 10, 1.0));
    store.Flush();
    store.FinishRun(run, "completed");
  }
  {
    Database d(t.path, Database::Mode::kReadWrite);
    d.Exec("ALTER TABLE runs DROP COLUMN active_s; ALTER TABLE runs DROP COLUMN session_started_at; "
           "PRAGMA user_version = 3;");
  }
  std::ostringstream out;
  CHECK(ShowRuns(t.path, false, out) == 0);
  CHECK(out.str().find("completed") != std::string::npos);
  CHECK(Scalar(t.path, "PRAGMA user_version") == 3);
}

TEST_CASE("a page's list of links hashes as the bytes of schema 10's first writer did: stored sets are found again") {
  std::vector<LinkRow> links = {{"http://x/p", "http://x/b", false, std::string("image")},
                                {"http://x/p", "http://x/a", true},
                                {"http://x/p", "http://x/b", true},  // a repeat: the first stays
                                {"http://x/q", ""}};
  const uint64_t seed = 0x1234567890abcdefull;
  auto pages = GroupByPage(links, seed);
  REQUIRE(pages.size() == 2);
  // The bytes as one string, hashed in one call (what the writers of databases made so far did).
  std::string p = std::string("http://x/a") + '\0' + "1" + '\0' + "http://x/b" + '\0' + "0" + "kimage" + '\0';
  XXH128_hash_t h = XXH3_128bits_withSeed(p.data(), p.size(), seed);
  CHECK(pages[0].hash_hi == h.high64);
  CHECK(pages[0].hash_lo == h.low64);
  std::string q = std::string("") + '\0' + "0" + '\0';
  h = XXH3_128bits_withSeed(q.data(), q.size(), seed);
  CHECK(pages[1].hash_hi == h.high64);
  CHECK(pages[1].hash_lo == h.low64);
}

TEST_CASE("schema 11 keeps times, dates, hashes and timings as integers, and the view gives each text back") {
  TempDb t;
  gc::testing::CheckResultValuesRoundTrip(t.path);
}

TEST_CASE("a schema-4 file: report reads it unmigrated (no sitemaps); writing migrates it to the latest") {
  TempDb t;
  {
    Database d(t.path, Database::Mode::kReadWrite);
    gc::storage::MigrateTo(d, 4);  // the schema as release 4 made it (a released step is never edited)
    d.Exec("INSERT INTO runs (id, started_at, finished_at, status, version) VALUES (1, '2026-01-01T00:00:00.000Z', "
           "'2026-01-01T00:00:01.000Z', 'completed', 't'); INSERT INTO results (run_id, url, status, size, depth, "
           "fetched_at, total_ms, last_modified, content_hash) VALUES (1, 'http://x/a', 200, 10, 0, "
           "'2026-01-01T00:00:00.500Z', 1.25, 'Thu, 01 Jan 2026 00:00:00 GMT', 'ffffffffffffff01');");
  }
  std::ostringstream json;
  CHECK(ShowReport(t.path, std::nullopt, 3, false, true, json) == 0);
  CHECK(json.str().find("\"sitemaps\":null,") != std::string::npos);
  CHECK(Scalar(t.path, "PRAGMA user_version") == 4);
  {
    ResultStore store(t.path);  // opening for writing migrates
  }
  CHECK(Scalar(t.path, "PRAGMA user_version") == gc::storage::kSchemaVersion);
  CHECK(Scalar(t.path, "SELECT count(*) FROM results WHERE source_kind IS NULL AND source IS NULL") == 1);
  CHECK(Scalar(t.path, "SELECT count(*) FROM results WHERE resource_kind IS NULL") == 1);  // schema 8's column
  CHECK(Scalar(t.path, "SELECT count(*) FROM runs WHERE host_lanes IS NULL") == 1);  // schema 9's: one lane
  CHECK(Scalar(t.path, "SELECT count(*) FROM sitemap_urls") == 0);
  CHECK(Scalar(t.path, "SELECT count(*) FROM sitemaps") == 0);
  // Schema 11: the row moved into result_rows, and the view gives its text back.
  CHECK(Scalar(t.path, "SELECT count(*) FROM results WHERE url = 'http://x/a' AND fetched_at = '2026-01-01T00:00:00.500Z' "
                       "AND total_ms = 1.25 AND last_modified = 'Thu, 01 Jan 2026 00:00:00 GMT' AND content_hash = "
                       "'ffffffffffffff01'") == 1);
  CHECK(Scalar(t.path, "SELECT count(*) FROM result_rows WHERE last_modified_text IS NULL AND total_us = 1250") == 1);
}

TEST_CASE("schema 9's links become link sets: the links view reads as the table did; an unchanged run adds no links; prune drops what no run uses") {
  TempDb t;
  const std::vector<std::string> urls = {"https://a.example/", "https://a.example/p?q=1&r=2", "https://b.example/é",
                                         "https://a.example/style.css", "http://c.example:8080/x#y"};
  {
    Database d(t.path, Database::Mode::kReadWrite);
    MigrateTo(d, 9);  // the schema today's release (schema 9) makes
    d.Exec("INSERT INTO runs (id, started_at, status, version) VALUES (1, '2026-01-01T00:00:00.000Z', 'completed', "
           "'t'), (2, '2026-01-02T00:00:00.000Z', 'completed', 't'), (3, '2026-01-03T00:00:00.000Z', 'completed', 't')");
    auto ins = d.Prepare("INSERT INTO links (run_id, from_url, to_url, nofollow, resource_kind) VALUES (?, ?, ?, ?, ?)");
    for (int64_t run : {1, 2, 3}) {  // run 3 has run 2's links
      for (size_t i = 0; i < urls.size(); ++i) {
        for (size_t j = 0; j < urls.size(); ++j) {
          if (i == j || (run > 1 && (i == 4 || j == 4))) continue;  // the last URL: run 1's alone
          ins.Bind(1, run).Bind(2, urls[i]).Bind(3, urls[j]).Bind(4, int64_t(j == 1));
          ins.Bind(5, j == 3 ? std::optional<std::string>("style") : std::nullopt).Run();
        }
      }
    }
    // A page whose URL is empty: no crawl writes one, but a migration moves every row there is.
    ins.Bind(1, int64_t(1)).Bind(2, "").Bind(3, urls[0]).Bind(4, int64_t(0)).BindNull(5).Run();
    d.Exec("PRAGMA user_version = 9");
  }
  const std::string kAll = "SELECT run_id, from_url, to_url, nofollow, resource_kind FROM links ORDER BY 1, 2, 3";
  const std::string before = Rows(t.path, kAll);
  CHECK(Scalar(t.path, "SELECT count(*) FROM links") == 20 + 12 + 12 + 1);

  // A migration that fails half way (here: a table in the way of its second) leaves schema 9 whole, and
  // is done again.
  {
    Database d(t.path, Database::Mode::kReadWrite);
    d.Exec("CREATE TABLE link_sets (blocker INTEGER)");
  }
  CHECK_THROWS_AS(ResultStore(t.path), gc::sql::Error);
  CHECK(Scalar(t.path, "PRAGMA user_version") == 9);
  CHECK(Scalar(t.path, "SELECT count(*) FROM sqlite_master WHERE name = 'urls'") == 0);
  CHECK(Rows(t.path, kAll) == before);
  {
    Database d(t.path, Database::Mode::kReadWrite);
    d.Exec("DROP TABLE link_sets");
  }

  {
    ResultStore store(t.path);  // migrates
    CHECK(Scalar(t.path, "PRAGMA user_version") == kSchemaVersion);
    CHECK(Rows(t.path, kAll) == before);
    CHECK(Scalar(t.path, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'links'") == 1);
    CHECK(Scalar(t.path, "SELECT count(*) FROM urls") == 5 + 1);
    CHECK(Scalar(t.path, "SELECT count(*) FROM page_link_sets") == 5 + 1 + 4 + 4);
    CHECK(Scalar(t.path, "SELECT count(*) FROM link_sets") == 5 + 1 + 4);  // run 3 shares run 2's
    CHECK(Scalar(t.path, "SELECT count(*) FROM link_set_members") == 20 + 1 + 12);

    // New links name the known URLs by their ids; a new URL gets one; a page's set is shared by runs.
    int64_t run = store.BeginRun("l", "{}", "t");
    WriteBatch b;
    b.links.push_back({urls[0], urls[2]});
    b.links.push_back({urls[0], "https://d.example/new"});
    b.links.push_back({urls[0], "https://d.example/new", true});  // twice in a page: the first stays
    b.links.push_back({urls[1], urls[0]});
    b.links.push_back({urls[1], urls[2]});
    b.links.push_back({urls[1], urls[3], false, "style"});  // page 1's links as runs 2 and 3 had them: shared
    store.Write(run, b);
    CHECK(Scalar(t.path, "SELECT count(*) FROM urls") == 7);
    CHECK(Scalar(t.path, "SELECT count(*) FROM link_sets") == 5 + 1 + 4 + 1);
    CHECK(Rows(t.path, "SELECT from_url, to_url, nofollow, resource_kind FROM links WHERE run_id = " + std::to_string(run) +
                       " ORDER BY 1, 2") ==
          urls[0] + "\t" + urls[2] + "\t0\t\\N\n" + urls[0] + "\thttps://d.example/new\t0\t\\N\n" + urls[1] + "\t" +
              urls[0] + "\t0\t\\N\n" + urls[1] + "\t" + urls[3] + "\t0\tstyle\n" + urls[1] + "\t" + urls[2] + "\t0\t\\N\n");

    // Prune: a set and a URL go with the last run that uses them.
    CHECK(store.PruneRuns({1}) == 1);
    CHECK(Scalar(t.path, "SELECT count(*) FROM urls") == 5);  // urls[4] and "" were run 1's alone
    CHECK(Scalar(t.path, "SELECT count(*) FROM urls WHERE url = '" + urls[4] + "'") == 0);
    CHECK(Scalar(t.path, "SELECT count(*) FROM link_sets") == 4 + 1);
    CHECK(Scalar(t.path, "SELECT count(*) FROM link_set_members") == 12 + 2);
    CHECK(store.PruneRuns({2, 3}) == 2);
    CHECK(Rows(t.path, "SELECT url FROM urls ORDER BY url") ==
          urls[0] + "\n" + urls[1] + "\n" + urls[3] + "\n" + urls[2] + "\nhttps://d.example/new\n");
    CHECK(Scalar(t.path, "SELECT count(*) FROM link_set_members") == 2 + 3);
  }
}

TEST_CASE("the step to schema 10 moves links in chunks of at most 100,000: pages with many each keep them all") {
  TempDb t;
  // 35,000 + 35,000 + 35,000 + 2 + 40,000 links: chunks of pages 0-1, then 2-4 (the bound is 100,000 links,
  // a chunk is whole pages); run 2 has page 0 alone, a chunk of one; run 3 has 2,500 pages of 2 links: chunks
  // of 1,000 pages, listed 1,000 at a time.
  constexpr int kLinks = 35'000;
  {
    Database d(t.path, Database::Mode::kReadWrite);
    MigrateTo(d, 9);
    d.Exec("INSERT INTO runs (id, started_at, status, version) VALUES (1, '2026-01-01T00:00:00.000Z', 'completed', "
           "'t'), (2, '2026-01-02T00:00:00.000Z', 'completed', 't'), (3, '2026-01-03T00:00:00.000Z', 'completed', 't')");
    d.Exec("WITH RECURSIVE p(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM p WHERE i + 1 < 2500) INSERT INTO links "
           "(run_id, from_url, to_url) SELECT 3, 'https://m.example/' || i, 'https://t.example/' || (i % 2 + j) "
           "FROM p, (SELECT 0 AS j UNION ALL SELECT 1)");
    d.Exec("WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < " + std::to_string(kLinks) +
           "), p(i) AS (VALUES (0), (1), (2)) INSERT INTO links (run_id, from_url, to_url, nofollow, resource_kind) "
           "SELECT 1, 'https://s.example/' || i, 'https://t.example/' || j || '-' || i, j % 2, "
           "CASE WHEN j % 7 = 0 THEN 'image' END FROM p, k");
    d.Exec("INSERT INTO links (run_id, from_url, to_url) VALUES (1, 'https://s.example/3', 'https://t.example/a'), "
           "(1, 'https://s.example/3', 'https://t.example/b'), (2, 'https://s.example/0', 'https://t.example/0-0')");
    d.Exec("WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < 40000) INSERT INTO links "
           "(run_id, from_url, to_url) SELECT 1, 'https://s.example/4', 'https://t.example/' || j FROM k");
    d.Exec("PRAGMA user_version = 9");
  }
  const std::string kPerPage =
      "SELECT run_id, from_url, count(*), min(to_url), max(to_url), sum(nofollow), count(resource_kind), "
      "sum(length(to_url)) FROM links GROUP BY run_id, from_url ORDER BY 1, 2";
  const std::string per_page = Rows(t.path, kPerPage);
  REQUIRE(Scalar(t.path, "SELECT count(*) FROM links") == 3 * kLinks + 2 + 40'000 + 1 + 5'000);
  { ResultStore store(t.path); }  // migrates
  CHECK(Scalar(t.path, "PRAGMA user_version") == kSchemaVersion);
  CHECK(Rows(t.path, kPerPage) == per_page);
  CHECK(Scalar(t.path, "SELECT count(*) FROM links") == 3 * kLinks + 2 + 40'000 + 1 + 5'000);
  // Run 2's page 0 has a list of its own; run 3's pages have two lists between them ({0, 1} and {1, 2}).
  CHECK(Scalar(t.path, "SELECT count(*) FROM link_sets") == 6 + 2);
  CHECK(Scalar(t.path, "SELECT count(*) FROM page_link_sets WHERE run_id = 3") == 2'500);
}

TEST_CASE("the step to schema 12 moves anchors in chunks of at most 100,000: pages with many each keep them all") {
  TempDb t;
  constexpr int kPages = 4, kAnchors = 35'000;  // 140,000 anchors: chunks of pages 0-2 and 3
  {
    Database d(t.path, Database::Mode::kReadWrite);
    MigrateTo(d, 11);  // the schema the release before this one makes
    d.Exec("INSERT INTO runs (id, started_at, status, version) VALUES (1, '2026-01-01T00:00:00.000Z', 'completed', 't')");
    d.Exec("WITH RECURSIVE p(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM p WHERE i + 1 < " + std::to_string(kPages) +
           ") INSERT INTO anchor_pages (run_id, url, anchors, capped) SELECT 1, 'https://s.example/' || i, " +
           std::to_string(kAnchors) + ", i % 2 FROM p");
    d.Exec("WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < " + std::to_string(kAnchors) +
           ") INSERT INTO anchors (run_id, url, anchor) SELECT 1, p.url, 'a' || j || '-' || substr(p.url, -1) "
           "FROM anchor_pages p, k");
  }
  const std::string kPerPage = "SELECT url, count(*), min(anchor), max(anchor), sum(length(anchor)) FROM anchors GROUP BY url ORDER BY url";
  const std::string kPageRows = "SELECT url, anchors, capped FROM anchor_pages ORDER BY url";
  const std::string per_page = Rows(t.path, kPerPage), page_rows = Rows(t.path, kPageRows);
  REQUIRE(Scalar(t.path, "SELECT count(*) FROM anchors") == kPages * kAnchors);
  { ResultStore store(t.path); }  // migrates
  CHECK(Scalar(t.path, "PRAGMA user_version") == kSchemaVersion);
  CHECK(Rows(t.path, kPerPage) == per_page);
  CHECK(Rows(t.path, kPageRows) == page_rows);
  CHECK(Scalar(t.path, "SELECT count(*) FROM anchor_sets") == kPages);  // each page's list its own
}
