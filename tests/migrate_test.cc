// Schema 10 (links stored by what changed, issue 29.1) on a database today's release made: every read command
// prints the same before and after the migration, byte for byte.
// The database is tests/data/release_schema9.sql, a dump of what greencrawl at f11d13e (schema 9) wrote
// for two recursive runs with fragments, resources and sitemaps; its links are a table there.
#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

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
  const int64_t distinct = Scalar(db, "SELECT count(*) FROM (SELECT from_url FROM links UNION SELECT to_url FROM links)");
  CHECK(links == 592);  // the two runs' 296 each (the second's carried from the first by its 304s)
  auto before = Outputs(dir, db);  // read commands do not migrate

  REQUIRE(Scalar(db, "PRAGMA user_version") == 9);
  Finished prune = Wait(Start({GREENCRAWL_BIN, "prune", "--db", db, "--older-than", "100000"}, "migrate-prune"));
  INFO(prune.err);
  REQUIRE(prune.exit_code == 0);  // a writer: it migrates, and deletes nothing
  CHECK(Scalar(db, "PRAGMA user_version") == 10);
  CHECK(Text(db, "SELECT type FROM sqlite_master WHERE name = 'links'") == "view");
  CHECK(Scalar(db, "SELECT count(*) FROM links") == links);
  CHECK(Scalar(db, "SELECT count(*) FROM urls") == distinct);
  // The second run's pages answered 304 and carried the first's links: they share its sets.
  CHECK(Scalar(db, "SELECT count(*) FROM link_set_members") == links / 2);
  CHECK(Scalar(db, "SELECT count(*) FROM page_link_sets WHERE run_id = 2") ==
        Scalar(db, "SELECT count(*) FROM page_link_sets WHERE run_id = 1"));

  auto after = Outputs(dir, db);
  REQUIRE(after.size() == before.size());
  for (const auto& entry : before) {  // not a structured binding: clang 14 cannot capture one (INFO)
    const std::string& command = entry.first;
    INFO(command);
    CHECK(after[command] == entry.second);
  }
}
