// Schemas 10, 11 and 12 (links, then anchors and fragment links, stored by what changed, results by URL id:
// issue 29.1) on a database the schema-9
// release made: every read command prints the same before and after the migration, byte for byte, and
// every column of every result reads back as the same text.
// The database is tests/data/release_schema9.sql, a dump of what greencrawl at f11d13e (schema 9) wrote
// for two recursive runs with fragments, resources and sitemaps; its links are a table there.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "storage/schema.h"
#include "tests/e2e.h"
#include "tests/process.h"

using namespace gc::testing;

namespace {

// What each read command prints for the database at `db`: command line -> output. The HTML report's
// footer says when it was generated; that line is left out.
std::map<std::string, std::string> Outputs(const TempDir& dir, const std::string& db) {
  std::vector<std::vector<std::string>> commands = {{"runs"}, {"runs", "--json"}, {"diff", "1", "2"}, {"diff", "--json"}};
  for (std::string run : {"1", "2"}) {
    commands.push_back({"report", "--run", run});
    commands.push_back({"report", "--run", run, "--all"});
    for (std::string f : {"json", "html", "junit", "markdown"}) commands.push_back({"report", "--run", run, "--all", "--format", f});
    commands.push_back({"export", "--run", run, "--format", "csv"});
    commands.push_back({"export", "--run", run, "--format", "jsonl"});
  }
  std::map<std::string, std::string> out;
  for (auto& c : commands) {
    std::vector<std::string> args = {GREENCRAWL_BIN, c[0], "--db", db};
    args.insert(args.end(), c.begin() + 1, c.end());
    bool to_file = c[0] == "report";  // the HTML report goes to a file; all of them do, alike
    if (to_file) args.insert(args.end(), {"-o", dir / "report.out"});
    Finished f = Wait(Start(args, "migrate"));
    std::string line;
    for (auto& a : c) line += a + " ";
    INFO(line, f.err);
    CHECK(f.exit_code == 0);
    std::string text = to_file ? ReadFile(dir / "report.out") : f.out;
    CHECK(text.size() > 100);
    out[line] = std::regex_replace(text, std::regex("Generated [0-9T:.Z-]+"), "Generated (time)");
  }
  return out;
}

}  // namespace

TEST_CASE("a schema-9 database from today's release migrates in place; every read command prints the same") {
  TempDir dir;
  const std::string db = dir / "release.db";
  {
    gc::sql::Database d(db, gc::sql::Database::Mode::kReadWrite);
    d.Exec(ReadFile(std::string(GC_TEST_DATA_DIR) + "/release_schema9.sql"));
  }
  REQUIRE(Scalar(db, "PRAGMA user_version") == 9);
  REQUIRE(Text(db, "SELECT type FROM sqlite_master WHERE name = 'links'") == "table");
  const int64_t links = Scalar(db, "SELECT count(*) FROM links");
  const int64_t distinct = Scalar(db, "SELECT count(*) FROM (SELECT from_url FROM links UNION SELECT to_url FROM links "
                                     "UNION SELECT url FROM results UNION SELECT final_url FROM results WHERE final_url IS "
                                     "NOT NULL UNION SELECT source FROM results WHERE source IS NOT NULL)");
  CHECK(links == 592);  // the two runs' 296 each (the second's carried from the first by its 304s)
  const int64_t results = Scalar(db, "SELECT count(*) FROM results");
  CHECK(results == 76);
  // Every column of every result as text: the view of schema 11 gives back each value as written.
  const std::string kAllResults = "SELECT * FROM results ORDER BY id";
  const std::string rows_before = Rows(db, kAllResults);
  CHECK(rows_before.find("GMT\t") != std::string::npos);  // the fixture has Last-Modified dates to convert
  // --check-fragments' rows, which schema 12 moves into sets behind views of the same names, and the
  // sitemaps' URLs, which it names by id.
  const std::string kFragmentRows[] = {"SELECT run_id, url, anchors, capped FROM anchor_pages ORDER BY 1, 2",
                                       "SELECT run_id, url, anchor FROM anchors ORDER BY 1, 2, 3",
                                       "SELECT run_id, from_url, to_url, fragment FROM fragment_links ORDER BY 1, 2, 3, 4",
                                       "SELECT run_id, url, sitemap, lastmod FROM sitemap_urls ORDER BY 1, 2"};
  std::vector<std::string> fragments_before;
  for (const std::string& q : kFragmentRows) fragments_before.push_back(Rows(db, q));
  const int64_t anchors = Scalar(db, "SELECT count(*) FROM anchors");
  CHECK(anchors > 20);
  CHECK(Scalar(db, "SELECT count(*) FROM fragment_links") > 2);
  CHECK(Scalar(db, "SELECT count(*) FROM sitemap_urls WHERE lastmod IS NOT NULL") > 2);
  // Distinct lists of a page's anchors (the fixture's pages mostly have the one anchor "s1", or none).
  const int64_t anchor_lists = Scalar(
      db, "SELECT count(DISTINCT g) FROM (SELECT coalesce((SELECT group_concat(anchor, ' ') FROM (SELECT anchor FROM "
          "anchors a WHERE a.run_id = p.run_id AND a.url = p.url ORDER BY anchor)), '') AS g FROM anchor_pages p)");
  CHECK(anchor_lists >= 2);
  auto before = Outputs(dir, db);  // read commands do not migrate

  REQUIRE(Scalar(db, "PRAGMA user_version") == 9);
  Finished dry = Wait(Start({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "1", "--dry-run"}, "migrate-dry"));
  CHECK(dry.exit_code == 0);
  CHECK(dry.out == "would delete 1 run(s): 1\nand would upgrade " + db + " from schema 9 to " +
                       std::to_string(gc::storage::kSchemaVersion) + " (as the next crawl will)\n");
  CHECK(Scalar(db, "PRAGMA user_version") == 9);  // a dry run changes nothing, the schema neither
  Finished prune = Wait(Start({GREENCRAWL_BIN, "prune", "--db", db, "--older-than", "100000"}, "migrate-prune"));
  INFO(prune.err);
  REQUIRE(prune.exit_code == 0);  // a writer: it migrates, and deletes nothing
  CHECK(prune.err.find("upgrading " + db + " from schema 9 to " + std::to_string(gc::storage::kSchemaVersion)) !=
        std::string::npos);
  CHECK(Scalar(db, "PRAGMA user_version") == gc::storage::kSchemaVersion);
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'links'") == "view");
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'results'") == "view");
  CHECK(Scalar(db, "SELECT count(*) FROM result_rows") == results);
  CHECK(Scalar(db, "SELECT count(*) FROM result_rows WHERE last_modified_text IS NOT NULL") == 0);  // all as integers
  CHECK(Rows(db, kAllResults) == rows_before);
  CHECK(Scalar(db, "SELECT count(*) FROM links") == links);
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == distinct);
  // The second run's pages answered 304 and carried the first's links: they share its sets.
  CHECK(Scalar(db, "SELECT count(*) FROM link_set_members") == links / 2);
  CHECK(Scalar(db, "SELECT count(*) FROM page_link_sets WHERE run_id = 2") ==
        Scalar(db, "SELECT count(*) FROM page_link_sets WHERE run_id = 1"));
  for (size_t i = 0; i < fragments_before.size(); ++i) {
    INFO(kFragmentRows[i]);
    CHECK(Rows(db, kFragmentRows[i]) == fragments_before[i]);
  }
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'anchors'") == "view");
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'sitemap_urls'") == "view");
  // Each distinct list once, whichever pages and runs had it (the second run's 304s carried the first's).
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_sets") == anchor_lists);
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_set_members") < anchors / 2);
  CHECK(Scalar(db, "SELECT count(*) FROM page_anchor_sets WHERE run_id = 2") ==
        Scalar(db, "SELECT count(*) FROM page_anchor_sets WHERE run_id = 1"));

  auto after = Outputs(dir, db);
  REQUIRE(after.size() == before.size());
  for (const auto& entry : before) {  // not a structured binding: clang 14 cannot capture one (INFO)
    const std::string& command = entry.first;
    INFO(command);
    CHECK(after[command] == entry.second);
  }
}

namespace {
// True once the child has exited (not reaped: Wait() collects it).
bool Exited(const Child& c) {
  siginfo_t info{};
  return waitid(P_PID, id_t(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c.pid;
}

// Every link of `db` in one string, in a fixed order: the links table's or the view's alike.
std::string AllLinks(const std::string& db) {
  gc::sql::Database d(db, gc::sql::Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT run_id, from_url, to_url, nofollow FROM links ORDER BY run_id, from_url, to_url");
  std::string out;
  while (st.Step()) out += st.Text(0) + " " + st.Text(1) + " " + st.Text(2) + " " + st.Text(3) + "\n";
  return out;
}
}  // namespace

TEST_CASE("a migration killed half way (SIGKILL) leaves schema 9 whole; the next writer does it again, completely") {
  TempDir dir;
  const std::string db = dir / "big.db";
  constexpr int kPages = 2000, kLinks = 200;  // 400,000 links: the migration writes to the WAL for seconds
  {
    gc::sql::Database d(db, gc::sql::Database::Mode::kReadWrite);
    d.Exec("PRAGMA journal_mode = WAL");
    gc::storage::MigrateTo(d, 9);
    d.Exec("INSERT INTO runs (id, started_at, status, version) VALUES (1, '2026-01-01T00:00:00.000Z', 'completed', 't')");
    d.Exec("WITH RECURSIVE p(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM p WHERE i + 1 < " + std::to_string(kPages) +
           "), k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < " + std::to_string(kLinks) +
           ") INSERT INTO links (run_id, from_url, to_url, nofollow) SELECT 1, 'https://site.example/page/' || i || "
           "'.html', 'https://site.example/page/' || ((i * 7 + j * 13) % 5000) || '.html?from=' || (j % 3), j % 2 "
           "FROM p, k");
  }
  REQUIRE(Scalar(db, "SELECT count(*) FROM links") == kPages * kLinks);
  const std::string before = AllLinks(db);

  // Killed once the migration has written a few megabytes to the WAL: well inside its one transaction.
  Child c = Start({GREENCRAWL_BIN, "prune", "--db", db, "--older-than", "100000"}, "migrate-kill");
  bool writing = false;
  for (int i = 0; i < 60'000 && !writing && !Exited(c); ++i) {  // bounded: at most ~5 minutes
    std::error_code ec;
    auto size = std::filesystem::file_size(db + "-wal", ec);
    writing = !ec && size > (4u << 20);
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(writing);  // (if this fails, the migration ended before it wrote 4 MB: make the database larger)
  kill(c.pid, SIGKILL);
  Finished killed = Wait(c);
  CHECK(killed.signal == SIGKILL);

  CHECK(Scalar(db, "PRAGMA user_version") == 9);
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'links'") == "table");
  CHECK(Scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'urls'") == 0);
  CHECK(AllLinks(db) == before);

  Finished again = Wait(Start({GREENCRAWL_BIN, "prune", "--db", db, "--older-than", "100000"}, "migrate-again"));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(Scalar(db, "PRAGMA user_version") == gc::storage::kSchemaVersion);
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'links'") == "view");
  CHECK(AllLinks(db) == before);
  CHECK(Scalar(db, "SELECT count(*) FROM page_link_sets") == kPages);
}
