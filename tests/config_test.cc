// Small things that each cost a user time (issue 26), end to end through the binary: --print-config
// loads back, export -o picks its format by name, a job file's relative paths, --report-html checked
// first, prune's messages and --yes, --include/--exclude syntax, an empty run's report, diff across lists,
// the HTML navigation, --fail-on help, and the summary's first line on a narrow terminal.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/progress.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("--print-config loads back as a job file, and prints the same again") {
  TempDir dir;
  WriteFile(dir / "ca.pem", "not checked until a TLS connection\n");
  for (std::vector<std::string> extra : std::vector<std::vector<std::string>>{
           {},  // defaults: no proxy, no CA file, no report, the default agent
           {"--proxy", "http://127.0.0.1:3128", "--cacert", dir / "ca.pem", "-A", "bot/1", "--report-html",
            dir / "r.html", "-r", "--exclude", "[0-9]+", dir / "list.txt"}}) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--print-config");
    auto first = Run(args, "print1");
    REQUIRE(first.exit_code == 0);
    if (extra.empty()) {
      CHECK(Has(first.out, "user-agent = 'greencrawl/"));  // the agent sent, not ''
      CHECK(!Has(first.out, "proxy = ''"));
      CHECK(!Has(first.out, "cacert = ''"));
      CHECK(Has(first.out, "# not set: "));
    }
    WriteFile(dir / "printed.toml", first.out);
    auto again = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "printed.toml", "--print-config"}, "print2");
    INFO(first.out);
    CHECK(again.err == "");
    REQUIRE(again.exit_code == 0);
    CHECK(again.out == first.out);
  }
}

TEST_CASE("export -o FILE.jsonl writes JSON lines; --format still wins; other names stay CSV") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  std::string db = dir / "e.db";
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--quiet", "--db", db, dir / "list.txt"}, "crawl").exit_code == 0);
  REQUIRE(Run({GREENCRAWL_BIN, "export", "--db", db, "-o", dir / "e.jsonl"}, "jsonl").exit_code == 0);
  CHECK(ReadFile(dir / "e.jsonl").rfind("{\"", 0) == 0);
  REQUIRE(Run({GREENCRAWL_BIN, "export", "--db", db, "-o", dir / "e.csv"}, "csv").exit_code == 0);
  CHECK(ReadFile(dir / "e.csv").rfind("run_id,", 0) == 0);
  REQUIRE(Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv", "-o", dir / "f.jsonl"}, "forced").exit_code == 0);
  CHECK(ReadFile(dir / "f.jsonl").rfind("run_id,", 0) == 0);
}

TEST_CASE("a job file's relative list and db are read from its folder, and a missing one says where") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  std::filesystem::create_directories(dir / "jobs");
  WriteFile(dir / "jobs/list.txt", server.Url("/p") + "\n");
  WriteFile(dir / "jobs/job.toml", "list = \"list.txt\"\ndb = \"out.db\"\n");
  // Started elsewhere (the test's own directory), as cron starts jobs in $HOME.
  auto run = Run({GREENCRAWL_BIN, "crawl", "--quiet", "--config", dir / "jobs/job.toml"}, "job");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(Scalar(dir / "jobs/out.db", "SELECT count(*) FROM results WHERE status = 200") == 1);
  // The command line's relative paths stay relative to the current directory (it wins over the file).
  auto printed = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "jobs/job.toml", "--db", "here.db", "--print-config"},
                     "print");
  CHECK(Has(printed.out, "db = '" + (std::filesystem::current_path() / "here.db").string() + "'"));
  CHECK(Has(printed.out, "list = '" + dir / "jobs/list.txt" + "'"));

  WriteFile(dir / "jobs/missing.toml", "list = \"nope.txt\"\ndb = \"out.db\"\n");
  auto missing = Run({GREENCRAWL_BIN, "crawl", "--quiet", "--config", dir / "jobs/missing.toml"}, "missing");
  CHECK(missing.exit_code == 2);
  CHECK(Has(missing.err, dir / "jobs/nope.txt"));
}

TEST_CASE("prune: clear messages for bad values, and --yes before deleting every run") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  std::string db = dir / "p.db";
  for (const char* tag : {"c1", "c2"}) {
    REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--quiet", "--db", db, dir / "list.txt"}, tag).exit_code == 0);
  }
  auto days = Run({GREENCRAWL_BIN, "prune", "--db", db, "--older-than", "abc"}, "days");
  CHECK(days.exit_code == 2);
  CHECK(Has(days.err, "--older-than: 'abc' is not a number of days"));
  CHECK(!Has(days.err, "not in range"));
  auto keep = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "-1"}, "keep");
  CHECK(keep.exit_code == 2);
  CHECK(Has(keep.err, "--keep: '-1' is not a number of runs"));
  auto all = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "0"}, "all");
  CHECK(all.exit_code == 2);
  CHECK(Has(all.err, "prune would delete every run in " + db + " (2 run(s): 2 1); add --yes"));
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 2);
  auto dry = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "0", "--dry-run"}, "dry");
  CHECK(dry.exit_code == 0);
  CHECK(Has(dry.out, "would delete 2 run(s): 2 1"));
  auto some = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "1"}, "some");  // not all: no --yes needed
  CHECK(some.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  auto yes = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "0", "--yes"}, "yes");
  CHECK(yes.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 0);
}

TEST_CASE("--include/--exclude refuse Perl syntax that POSIX would read as something else") {
  // Pairs, not structured bindings: clang-14 cannot capture those in doctest's message lambdas.
  for (const auto& refused : std::vector<std::pair<std::string, std::string>>{
           {"\\d+", "\\d is not POSIX extended regex syntax (it would match the letter 'd'); write [0-9]"},
           {"/page\\w", "\\w is a GNU extension"},
           {"(?:a|b)", "(?...) groups"},
           {"a.*?b", "lazy quantifiers"},
           {"[\\d]", "inside [...] a backslash is a plain backslash"}}) {
    const std::string& pattern = refused.first;
    const std::string& why = refused.second;
    auto r = Run({GREENCRAWL_BIN, "crawl", "-r", "--exclude", pattern, "x.txt"}, "re");
    CHECK_MESSAGE(r.exit_code == 2, pattern);
    CHECK_MESSAGE(Has(r.err, "--exclude: '" + pattern + "': " + why), pattern << ": " << r.err);
  }
  // In a job file too.
  TempDir dir;
  WriteFile(dir / "job.toml", "include = ['\\d+']\n");
  auto file = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "job.toml", "x.txt"}, "refile");
  CHECK(file.exit_code == 2);
  CHECK(Has(file.err, "job.toml:1: include: '\\d+': \\d is not POSIX"));
  // What POSIX means plainly is accepted: escapes of punctuation, classes, brackets.
  auto ok = Run({GREENCRAWL_BIN, "crawl", "-r", "--exclude", "\\.pdf$", "--exclude", "[[:digit:]]+", "--exclude",
                 "/(a|b)[0-9]{2}", "--print-config", "x.txt"},
                "reok");
  CHECK(ok.exit_code == 0);
}

TEST_CASE("--report-html that cannot be written is refused before the crawl") {
  TempDir dir;
  WriteFile(dir / "list.txt", "http://127.0.0.1:9/\n");
  auto r = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--report-html", dir / "no/such/r.html",
                dir / "list.txt"},
               "rh");
  CHECK(r.exit_code == 2);
  CHECK(Has(r.err, "--report-html: cannot write " + dir / "no/such/r.html" + ": no folder " + dir / "no/such"));
  CHECK(!std::filesystem::exists(dir / "r.db"));  // nothing crawled, nothing created
}

TEST_CASE("an empty run's report says (none) under every heading; diff of two lists warns") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "empty.txt", "# nothing yet\n");
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  std::string db = dir / "r.db";
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--quiet", "--db", db, dir / "empty.txt"}, "empty").exit_code == 0);
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db}, "report");
  REQUIRE(report.exit_code == 0);
  CHECK(Has(report.out, "By status:\n  (none)\n"));
  CHECK(Has(report.out, "Slowest:\n  (none)\n"));
  CHECK(Has(report.out, "Largest:\n  (none)\n"));

  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--quiet", "--db", db, dir / "list.txt"}, "other").exit_code == 0);
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "1", "2", "--json"}, "diff");
  CHECK(diff.exit_code == 0);
  CHECK(Has(diff.err, "warning: run 1 and run 2 are of different lists"));
  CHECK(diff.out.rfind("{\"run_a\":1", 0) == 0);  // stdout stays one JSON document
  auto same = Run({GREENCRAWL_BIN, "diff", "--db", db, "2", "2"}, "same");
  CHECK(same.err.empty());
}

TEST_CASE("crawl --help names every --fail-on metric") {
  auto help = Run({GREENCRAWL_BIN, "crawl", "--help"}, "help");
  for (const char* metric : {"errors>", "broken>", "blocked>", "changed>", "new-broken>", "broken-for>"}) {
    CHECK_MESSAGE(Has(help.out, metric), metric);
  }
}

TEST_CASE("the summary's first line breaks between words on a narrow terminal, and stays one line in a log") {
  const std::string line =
      "greencrawl: run 12 completed: 1204 results: 1180 ok (2xx/3xx), 20 broken, 4 errors; 1204 fetched in "
      "12.41 s (97/s), 3 changed\n";
  CHECK(gc::WrapForTerminal(line, 0) == line);
  CHECK(gc::WrapForTerminal(line, 200) == line);
  std::string wrapped = gc::WrapForTerminal(line, 80);
  CHECK(wrapped ==
        "greencrawl: run 12 completed: 1204 results: 1180 ok (2xx/3xx), 20 broken, 4\n"
        "    errors; 1204 fetched in 12.41 s (97/s), 3 changed\n");
  size_t start = 0;
  for (size_t nl; (nl = wrapped.find('\n', start)) != std::string::npos; start = nl + 1) CHECK(nl - start < 80);
}
