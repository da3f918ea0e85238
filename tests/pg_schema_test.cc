// The schema on PostgreSQL, against a real server started here (tests/pg_fixture.h): each step from an
// older release's schema moves its rows whole and is refused while an older worker crawls (links into sets
// at 10, results by URL id at 11, anchors and fragment links into sets and sitemaps' URLs by id at 12), and what --check-fragments
// stores reads back and reports as SQLite's does. Skipped (exit 77) where PostgreSQL 15 is not installed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage/result_store.h"
#include "storage/schema.h"
#include "tests/pg_fixture.h"
#include "tests/result_values.h"

using namespace gc::testing;
namespace sql = gc::sql;

TEST_CASE("schema 9's links on PostgreSQL become link sets: the links view reads as the table did; prune drops what no run uses") {
  const std::vector<std::string> urls = {"https://a.example/", "https://a.example/p?q=1&r=2", "https://b.example/\xC3\xA9",
                                         "https://a.example/style.css", "http://c.example:8080/x"};
  std::string db = pg->NewDatabase();
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    gc::storage::MigrateTo(d, 9);  // the schema today's release (schema 9) makes
    d.Exec("INSERT INTO runs (started_at, status, version) VALUES ('2026-01-01T00:00:00.000Z', 'completed', "
           "'t'), ('2026-01-02T00:00:00.000Z', 'completed', 't')");  // runs 1 and 2
    auto ins = d.Prepare("INSERT INTO links (run_id, from_url, to_url, nofollow, resource_kind) VALUES (?, ?, ?, ?, ?)");
    for (int64_t run : {1, 2}) {
      for (size_t i = 0; i < urls.size(); ++i) {
        for (size_t j = 0; j < urls.size(); ++j) {
          if (i == j || (run == 2 && (i == 4 || j == 4))) continue;  // the last URL: run 1's alone
          ins.Bind(1, run).Bind(2, urls[i]).Bind(3, urls[j]).Bind(4, int64_t(j == 1));
          ins.Bind(5, j == 3 ? std::optional<std::string>("style") : std::nullopt).Run();
        }
      }
    }
    // Results with each kind of value schema 11 converts, and those it keeps as text (or drops: a hash
    // not greencrawl's).
    d.Exec("INSERT INTO results (run_id, url, final_url, status, fetched_at, last_modified, content_hash, dns_ms, "
           "total_ms, source_kind, source) VALUES "
           "(1, 'https://a.example/', 'https://a.example/', 200, '2026-01-01T00:00:00.999Z', 'Thu, 01 Jan 1970 00:00:00 GMT', "
           "'ffffffffffffffff', 0.047, 1.25, 'link', 'https://b.example/\xC3\xA9'), "
           "(1, 'https://a.example/p?q=1&r=2', 'https://new.example/', 301, '1969-12-31T23:59:59.001Z', "
           "'Sunday, 06-Nov-94 08:49:37 GMT', '0123456789abcdef', 0, 30000, NULL, NULL), "
           "(2, 'https://a.example/', NULL, NULL, '2026-02-28T12:34:56.000Z', 'Tue, 29 Feb 2000 23:59:59 GMT', NULL, "
           "NULL, NULL, 'list', NULL)");
    // In the way of the migration's first new table: it fails half way, and must leave schema 9 whole.
    d.Exec("CREATE TABLE link_sets (blocker BIGINT)");
  }
  const std::string all = "SELECT run_id, from_url, to_url, nofollow, resource_kind FROM links";
  auto before = RowSet(db, all);
  REQUIRE(before.size() == 32);
  const std::string all_results = "SELECT * FROM results";
  auto results_before = RowSet(db, all_results);
  REQUIRE(results_before.size() == 3);
  CHECK_THROWS_AS(gc::storage::ResultStore{db}, sql::Error);
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == 9);
  CHECK(Scalar(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'urls'") == 0);
  CHECK(RowSet(db, all) == before);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    d.Exec("DROP TABLE link_sets");
    // A worker of the older release still crawling: it would write to the links table the step removes.
    d.Exec("INSERT INTO workers (run_id, started_at, lease_expires) VALUES (2, '2026-01-02T00:00:00.000Z', "
           "now() + interval '1 hour')");
  }
  try {
    gc::storage::ResultStore refused{db};
    FAIL("migrated while a worker of the older release was live");
  } catch (const sql::Error& e) {
    CHECK(std::string(e.what()).find("1 worker(s) of an older greencrawl are crawling it") != std::string::npos);
  }
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == 9);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    d.Exec("UPDATE workers SET stopped = 1");
  }
  gc::storage::ResultStore store(db);  // migrates
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == gc::storage::kSchemaVersion);
  CHECK(RowSet(db, all) == before);
  CHECK(RowSet(db, all_results) == results_before);  // every column's text as it was (schema 11)
  CHECK(Scalar(db, "SELECT count(*) FROM result_rows WHERE last_modified_text IS NOT NULL") == 1);  // the RFC 850 date
  // The results' URLs joined the links': one new (the redirect's target).
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == 6);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    d.Exec("DELETE FROM result_rows");  // what follows counts the links' URLs alone
  }
  CHECK(Scalar(db, "SELECT count(*) FROM page_link_sets") == 5 + 4);
  CHECK(Scalar(db, "SELECT count(*) FROM link_set_members") == 20 + 12);

  // New links name the known URLs by their ids; only a new URL takes one from the sequence.
  int64_t run = store.BeginRun("l", "{}", "t");
  gc::storage::WriteBatch b;
  b.links.push_back({urls[0], urls[2]});
  b.links.push_back({urls[0], "https://d.example/new"});
  b.links.push_back({urls[0], "https://d.example/new", true});  // twice in a page: the first stays
  for (size_t j : {0, 2, 3}) b.links.push_back({urls[1], urls[j], false, j == 3 ? std::optional<std::string>("style") : std::nullopt});
  store.Write(run, b);  // page 1 as run 2 had it: its set is shared
  CHECK(Scalar(db, "SELECT count(*) FROM link_sets") == 5 + 4 + 1);
  CHECK(Scalar(db, "SELECT max(id) FROM link_sets") == 10);  // no id spent on the set it had
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == 7);
  CHECK(Scalar(db, "SELECT max(id) FROM urls") == 7);  // no id spent on the URLs it had
  CHECK(RowSet(db, "SELECT from_url, to_url, nofollow FROM links WHERE run_id = " + std::to_string(run) + " AND from_url = '" +
                    urls[0] + "'") == std::set<std::string>{urls[0] + "|" + urls[2] + "|0", urls[0] + "|https://d.example/new|0"});
  CHECK(Scalar(db, "SELECT count(*) FROM links WHERE run_id = " + std::to_string(run)) == 5);
  CHECK(store.PruneRuns({1}) == 1);
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == 5);
  CHECK(Scalar(db, "SELECT count(*) FROM link_sets") == 4 + 1);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    // A worker crawling the new run: what run 2 alone used stays for now.
    d.Exec("UPDATE workers SET stopped = 0, run_id = " + std::to_string(run));
  }
  CHECK(store.PruneRuns({2}) == 1);
  CHECK(Scalar(db, "SELECT count(*) FROM link_sets") == 4 + 1);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    d.Exec("UPDATE workers SET stopped = 1");
  }
  CHECK(store.PruneRuns({}) == 0);  // none crawling: the next prune deletes it, even with no run to delete
  CHECK(Scalar(db, "SELECT count(*) FROM link_sets") == 2);
  CHECK(RowSet(db, "SELECT url FROM urls") ==
        std::set<std::string>{urls[0], urls[1], urls[2], urls[3], "https://d.example/new"});
  CHECK(Scalar(db, "SELECT count(*) FROM link_set_members") == 2 + 3);
}

TEST_CASE("schema 10 on PostgreSQL: the step to 11 waits for older workers, then moves the results whole") {
  std::string db = pg->NewDatabase();
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    gc::storage::MigrateTo(d, 10);  // the schema the release before this one makes
    d.Exec("INSERT INTO runs (started_at, status, version) VALUES ('2026-01-01T00:00:00.000Z', 'running', 't')");
    d.Exec("INSERT INTO results (run_id, url, status, fetched_at, total_ms) VALUES (1, 'https://a.example/', 200, "
           "'2026-01-01T00:00:01.250Z', 12.5)");
    d.Exec("INSERT INTO workers (run_id, started_at, lease_expires) VALUES (1, '2026-01-01T00:00:00.000Z', "
           "now() + interval '1 hour')");
  }
  const std::string all = "SELECT * FROM results";
  auto before = RowSet(db, all);
  try {
    gc::storage::ResultStore refused{db};
    FAIL("migrated while a worker of the older release was live");
  } catch (const sql::Error& e) {
    CHECK(std::string(e.what()).find("1 worker(s) of an older greencrawl are crawling it") != std::string::npos);
    CHECK(std::string(e.what()).find("schema 11") != std::string::npos);
  }
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == 10);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    d.Exec("UPDATE workers SET stopped = 1");
  }
  { gc::storage::ResultStore store(db); }
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == gc::storage::kSchemaVersion);
  CHECK(RowSet(db, all) == before);
  CHECK(Scalar(db, "SELECT count(*) FROM result_rows WHERE fetched_ms IS NOT NULL AND total_us = 12500") == 1);
}

TEST_CASE("schema 11 on PostgreSQL: times, dates, hashes and timings come back through the view as written") {
  CheckResultValuesRoundTrip(pg->NewDatabase());
}

TEST_CASE("schema 11's anchors, fragment links and sitemap URLs on PostgreSQL move to schema 12: the views read as the tables did") {
  std::string db = pg->NewDatabase();
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    gc::storage::MigrateTo(d, 11);  // the schema the release before this one makes
    d.Exec("INSERT INTO runs (started_at, status, version) VALUES ('2026-01-01T00:00:00.000Z', 'completed', "
           "'t'), ('2026-01-02T00:00:00.000Z', 'completed', 't')");
    // Two runs of three pages: /a's anchors the same both nights, /b's changed, /c capped with none kept.
    d.Exec("INSERT INTO anchor_pages (run_id, url, anchors, capped) VALUES (1, 'https://s.example/a', 2, 0), "
           "(1, 'https://s.example/b', 1, 0), (1, 'https://s.example/c', 0, 1), (2, 'https://s.example/a', 2, 0), "
           "(2, 'https://s.example/b', 2, 0), (2, 'https://s.example/c', 0, 1)");
    d.Exec("INSERT INTO anchors (run_id, url, anchor) VALUES (1, 'https://s.example/a', 'intro'), "
           "(1, 'https://s.example/a', 'caf\xC3\xA9'), (1, 'https://s.example/b', 'x'), (2, 'https://s.example/a', "
           "'intro'), (2, 'https://s.example/a', 'caf\xC3\xA9'), (2, 'https://s.example/b', 'x'), "
           "(2, 'https://s.example/b', 'y')");
    d.Exec("INSERT INTO fragment_links (run_id, from_url, to_url, fragment) VALUES "
           "(1, 'https://s.example/a', 'https://s.example/b', 'x'), (1, 'https://s.example/a', 'https://s.example/b', "
           "'gone'), (1, 'https://s.example/b', 'https://s.example/a', 'intro'), (2, 'https://s.example/a', "
           "'https://s.example/b', 'x'), (2, 'https://s.example/a', 'https://s.example/b', 'gone'), "
           "(2, 'https://s.example/b', 'https://other.example/', 'top2')");
    // Sitemaps' URLs: one listed by both runs, one only by run 1 (and a sitemap URL nothing else names).
    d.Exec("INSERT INTO sitemap_urls (run_id, url, sitemap, lastmod) VALUES (1, 'https://s.example/a', "
           "'https://s.example/sitemap.xml', '2026-01-01'), (1, 'https://s.example/old', 'https://s.example/old.xml', "
           "NULL), (2, 'https://s.example/a', 'https://s.example/sitemap.xml', '2026-01-02')");
    d.Exec("INSERT INTO workers (run_id, started_at, lease_expires) VALUES (2, '2026-01-02T00:00:00.000Z', "
           "now() + interval '1 hour')");
  }
  const std::vector<std::string> views = {"SELECT run_id, url, anchors, capped FROM anchor_pages",
                                          "SELECT run_id, url, anchor FROM anchors",
                                          "SELECT run_id, from_url, to_url, fragment FROM fragment_links",
                                          "SELECT run_id, url, sitemap, lastmod FROM sitemap_urls"};
  std::vector<std::set<std::string>> before;
  for (const auto& q : views) before.push_back(RowSet(db, q));
  REQUIRE(before[1].size() == 7);
  try {
    gc::storage::ResultStore refused{db};
    FAIL("migrated while a worker of the older release was live");
  } catch (const sql::Error& e) {
    CHECK(std::string(e.what()).find("schema 12") != std::string::npos);
  }
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == 11);
  {
    sql::Database d(db, sql::Database::Mode::kReadWrite);
    d.Exec("UPDATE workers SET stopped = 1");
  }
  gc::storage::ResultStore store(db);  // migrates
  CHECK(Scalar(db, "SELECT max(version) FROM greencrawl_schema") == gc::storage::kSchemaVersion);
  for (size_t i = 0; i < views.size(); ++i) {
    INFO(views[i]);
    CHECK(RowSet(db, views[i]) == before[i]);
  }
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_sets") == 4);     // {intro, café}, {x}, {}, {x, y}
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_set_members") == 5);
  CHECK(Scalar(db, "SELECT count(*) FROM fragment_sets") == 3);   // a's (both nights), b's of night 1, of night 2
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == 4 + 3);  // and sitemap.xml, old, old.xml
  CHECK(Scalar(db, "SELECT count(*) FROM pg_tables WHERE tablename IN ('anchors', 'anchor_pages', 'fragment_links', "
                   "'sitemap_urls')") == 0);

  // A worker's batch of sitemap URLs: one statement, and of a URL two sitemaps list the first one's row.
  {
    const int64_t run = store.BeginRun("l", "{}", "t");
    gc::storage::WriteBatch b;
    b.sitemap_urls.push_back({"https://s.example/a", "https://s.example/one.xml", "2026-03-01"});
    b.sitemap_urls.push_back({"https://s.example/new", "https://s.example/one.xml", std::nullopt});
    b.sitemap_urls.push_back({"https://s.example/a", "https://s.example/two.xml", "2026-03-02"});
    store.Write(run, b);
    CHECK(RowSet(db, "SELECT url, sitemap, coalesce(lastmod, '-') FROM sitemap_urls WHERE run_id = " +
                         std::to_string(run)) ==
          std::set<std::string>{"https://s.example/a|https://s.example/one.xml|2026-03-01",
                                "https://s.example/new|https://s.example/one.xml|-"});
    CHECK(store.PruneRuns({run}) == 1);
  }
  // prune: what only run 1 used goes, with the URLs nothing names any more.
  CHECK(store.PruneRuns({1}) == 1);
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_sets") == 3);
  CHECK(Scalar(db, "SELECT count(*) FROM fragment_sets") == 2);
  CHECK(RowSet(db, "SELECT anchor FROM anchors") == std::set<std::string>{"intro", "caf\xC3\xA9", "x", "y"});
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == 4 + 1);  // other.example and sitemap.xml are run 2's too
  CHECK(store.PruneRuns({2}) == 1);
  for (const char* table : {"anchor_sets", "anchor_set_members", "fragment_sets", "fragment_set_members", "sitemap_url_rows",
                            "urls"}) {
    INFO(table);
    CHECK(Scalar(db, std::string("SELECT count(*) FROM ") + table) == 0);
  }
}

TEST_CASE("--check-fragments and --sitemap on PostgreSQL: each page's anchors stored once over nights of 304s; the report as SQLite's") {
  // A ring of 12 pages: page i links to i+1 and to i+2's "#s<i % 3>"; page i has the anchors s0..s(i % 3),
  // so the links from pages 0 mod 3 to their targets' #s0... exist only where the target has them.
  const int pages = 12;
  TestServer server;
  std::atomic<int> not_modified{0};
  server.Handle("/f*", [&](const HttpRequest& req, Conn& c) {
    int i = std::atoi(req.path.substr(2).c_str());
    std::string etag = "\"f" + std::to_string(i) + "\"";
    if (req.Header("if-none-match") == etag) {
      ++not_modified;
      return (void)c.Respond(304, "", "", {{"ETag", etag}});
    }
    std::string body = "<title>F" + std::to_string(i) + "</title>";
    for (int k = 0; k <= i % 3; ++k) body += "<h2 id=s" + std::to_string(k) + ">S</h2>";
    body += "<a href=/f" + std::to_string((i + 1) % pages) + ">next</a>";
    body += "<a href=/f" + std::to_string((i + 2) % pages) + "#s" + std::to_string(i % 3) + ">sec</a>";
    c.Respond(200, body, "text/html", {{"ETag", etag}});
  });
  // A sitemap of every page but the last, and one the crawl never reaches (another host: listed only).
  std::string sitemap = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">";
  for (int i = 0; i + 1 < pages; ++i) sitemap += "<url><loc>" + server.Url("/f" + std::to_string(i)) + "</loc></url>";
  sitemap += "<url><loc>http://127.0.0.2:9/elsewhere</loc><lastmod>2026-12-01</lastmod></url></urlset>";
  server.Handle("/sitemap.xml", Static(sitemap, "application/xml"));
  TempDir dir;
  WriteFile(dir / "seed.txt", server.Url("/f0") + "\n");
  const std::string lite = dir / "f.db";
  const std::string pgdb = pg->NewDatabase();
  for (const std::string& db : {lite, pgdb}) {
    for (int night = 1; night <= 2; ++night) {
      auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "-r", "--depth", "20", "--check-fragments",
                "--sitemap", server.Url("/sitemap.xml"), "--quiet", dir / "seed.txt"}, "pg-frag");
      INFO(f.err);
      REQUIRE(f.exit_code == 0);
    }
  }
  CHECK(not_modified == 2 * pages);  // the second night of each engine
  for (const std::string& db : {lite, pgdb}) {
    INFO(db);
    CHECK(Scalar(db, "SELECT count(*) FROM anchors WHERE run_id = 2") == 24);  // 12 pages x (1 + 2 + 3) / 3
    CHECK(Scalar(db, "SELECT count(*) FROM fragment_links WHERE run_id = 2") == pages);
    CHECK(Scalar(db, "SELECT count(*) FROM anchor_sets") == 3);  // {s0}, {s0, s1}, {s0, s1, s2}: both nights
    CHECK(Scalar(db, "SELECT count(*) FROM page_anchor_sets") == 2 * pages);
    CHECK(Scalar(db, "SELECT count(*) FROM fragment_set_members") == pages);  // night 2 shares night 1's
    CHECK(Scalar(db, "SELECT count(*) FROM sitemap_urls WHERE run_id = 2") == pages);
    CHECK(Text(db, "SELECT lastmod FROM sitemap_urls WHERE url LIKE '%elsewhere'") == "2026-12-01");
  }
  // Page i links to (i + 2)'s #s(i % 3), which exists when i % 3 <= (i + 2) % 3: i % 3 == 0 only.
  // The report's fragment check (its timings differ between the two crawls; this part may not).
  auto fragments = [](const std::string& db, const std::string& run) {
    auto r = Run({GREENCRAWL_BIN, "report", "--db", db, "--json", "--run", run}, "frag-report");
    size_t from = r.out.find(R"("fragments":)"), to = r.out.find(R"(,"skipped_count")");
    return from != std::string::npos && to != std::string::npos && to > from ? r.out.substr(from, to - from) : r.out;
  };
  for (std::string run : {"1", "2"}) {
    INFO("run " << run);
    std::string on_lite = fragments(lite, run);
    CHECK_MESSAGE(on_lite.rfind(R"("fragments":{"links":12,"verified":12,"broken_count":8,)", 0) == 0, on_lite);
    CHECK(on_lite.find(R"({"url":")" + server.Url("/f0") + R"(","fragment":"s1","referrer_count":1,"referrers":[")" +
                       server.Url("/f10") + R"("]})") != std::string::npos);
    CHECK(fragments(pgdb, run) == on_lite);
  }
  // The sitemap's part of the report (listed, broken, not linked, not listed) alike too.
  auto sitemaps = [](const std::string& db) {
    auto r = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "sitemap-report");
    size_t from = r.out.find(R"("sitemaps":)"), to = r.out.find(R"(,"history")");
    return from != std::string::npos && to != std::string::npos && to > from ? r.out.substr(from, to - from) : r.out;
  };
  const std::string on_lite = sitemaps(lite);
  CHECK_MESSAGE(on_lite.find(R"("urls":12,)") != std::string::npos, on_lite);
  CHECK(sitemaps(pgdb) == on_lite);
}

int main(int argc, char** argv) { return gc::testing::PgTestMain(argc, argv); }
