// The memory of flaky links, end to end: one list crawled again and again against a local server whose
// answers change between runs; `report`, `diff` and --fail-on new-broken / broken-for read the history.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "app/thresholds.h"
#include "storage/history.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

// Status of each path in each phase (0-based). Phase 9: every path answers 200 (another list's run).
const std::map<std::string, std::vector<int>> kAnswers = {
    {"/a", {200, 404, 404, 404, 404}},  // broken since phase 1: 3 runs in a row at phase 3
    {"/b", {404, 404, 500, 200, 200}},  // fixed at phase 3
    {"/c", {200, 200, 200, 404, 404}},  // new breakage at phase 3
    {"/d", {404, 404, 404, 404, 404}},  // always broken: 4 runs in a row at phase 3
    {"/e", {404, 200, 404, 404, 404}},  // broken again after a good run: 2 in a row at phase 3
    {"/f", {200, 200, 200, 200, 200}},  // never broken
};

struct FlakySite {
  TestServer server;
  std::atomic<int> phase{0};
  FlakySite() {
    server.Handle("/*", [this](const HttpRequest& req, Conn& c) {
      auto it = kAnswers.find(req.path);
      int p = phase.load();
      int status = it == kAnswers.end() ? 404 : p == 9 ? 200 : it->second[size_t(p)];
      c.Respond(status, "<title>" + req.path + "</title>");
    });
  }
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("report and diff tell new breakage, fixed links and links broken for N runs in a row") {
  FlakySite site;
  TempDir dir;
  std::string db = dir / "h.db", list = dir / "list.txt", other = dir / "other.txt";
  std::string urls;
  for (const auto& [path, answers] : kAnswers) urls += site.server.Url(path) + "\n";
  WriteFile(list, urls);
  WriteFile(other, site.server.Url("/a") + "\n" + site.server.Url("/d") + "\n");
  auto crawl = [&](const std::string& which, std::vector<std::string> extra, const std::string& tag) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--quiet", "--retries", "0", "--db", db};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(which);
    return Run(args, tag);
  };

  REQUIRE(crawl(list, {}, "r1").exit_code == 0);  // run 1 (phase 0)
  site.phase = 1;
  REQUIRE(crawl(list, {}, "r2").exit_code == 0);  // run 2
  // Another list's run in between, where every URL answers 200: it is not this list's history, so it
  // must not break /a's and /d's streaks.
  site.phase = 9;
  REQUIRE(crawl(other, {}, "other").exit_code == 0);  // run 3
  site.phase = 2;
  auto third = crawl(list, {"--fail-on", "broken-for>3"}, "r3");  // run 4: /d broken 3 in a row, not more
  CHECK(third.exit_code == 0);
  site.phase = 3;
  auto fourth = crawl(list, {"--fail-on", "broken-for>3", "--fail-on", "new-broken>0"}, "r4");  // run 5
  CHECK(fourth.exit_code == 5);
  CHECK(Has(fourth.err, "--fail-on broken-for>3: 1 URL(s) broken for more than 3 runs in a row\n"));
  CHECK(Has(fourth.err, "--fail-on new-broken>0: new-broken is 1"));

  auto json = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "rj");
  REQUIRE(json.exit_code == 0);
  CHECK(Has(json.out, "\"history\":{\"compared_with\":4,\"runs\":[5,4,2,1],\"broken\":4,\"new_broken\":1,"
                      "\"fixed\":1,\"longest\":4,\"by_streak\":{\"1\":1,\"2\":1,\"3\":1,\"4\":1}"));
  CHECK(Has(json.out, "\"new\":[{\"url\":\"" + site.server.Url("/c") +
                          "\",\"status\":404,\"error\":null,\"before\":{\"status\":200,\"error\":null},\"streak\":1}]"));
  CHECK(Has(json.out, "\"fixed_links\":[{\"url\":\"" + site.server.Url("/b") +
                          "\",\"status\":200,\"error\":null,\"before\":{\"status\":500,\"error\":null},\"streak\":0}]"));
  // Longest first: /d (4), /a (3), /e (2).
  size_t lasting = json.out.find("\"lasting\":[");
  REQUIRE(lasting != std::string::npos);
  auto at = [&](const std::string& path) { return json.out.find("{\"url\":\"" + site.server.Url(path), lasting); };
  size_t d = at("/d"), a = at("/a"), e = at("/e");
  CHECK(at("/c") == std::string::npos);  // broken for one run only
  CHECK(d != std::string::npos);
  CHECK(d < a);
  CHECK(a < e);

  auto text = Run({GREENCRAWL_BIN, "report", "--db", db}, "rt");
  CHECK(Has(text.out, "History (4 run(s) of this list, compared with run 4):"));
  CHECK(Has(text.out, "new broken:   1\n  fixed:        1\n  still broken: 3 (longest 4 runs in a row)"));
  CHECK(Has(text.out, "    4 runs  404              " + site.server.Url("/d")));
  CHECK(Has(text.out, "    2 runs  404              " + site.server.Url("/e")));
  CHECK(Has(text.out, site.server.Url("/b") + "  (was 500)"));

  // The HTML report's section: the same counts, and the lists.
  auto html = Run({GREENCRAWL_BIN, "report", "--db", db, "--html", "-o", dir / "r.html"}, "rh");
  REQUIRE(html.exit_code == 0);
  std::string page = ReadFile(dir / "r.html");
  CHECK(Has(page, "<a href=\"#history\">Flaky</a>"));
  CHECK(Has(page, "data-history=\"new_broken\" data-count=\"1\""));
  CHECK(Has(page, "data-history=\"fixed\" data-count=\"1\""));
  CHECK(Has(page, "data-history=\"lasting\" data-count=\"3\""));
  CHECK(Has(page, "<tr><td>broken 4 runs in a row</td><td class=\"url\">" + site.server.Url("/d") + "</td>"));

  // A bare diff compares the same two runs; diff 1 5 tells breakage new since run 1.
  auto bare = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "dj");
  CHECK(Has(bare.out, "\"run_a\":4,\"run_b\":5"));
  CHECK(Has(bare.out, "\"new_broken\":1,\"fixed\":1,\"longest\":4"));
  auto wide = Run({GREENCRAWL_BIN, "diff", "--db", db, "1", "5"}, "dt");
  CHECK(Has(wide.out, "compared with run 1"));
  CHECK(Has(wide.out, "new broken:   2\n  fixed:        1"));  // /a and /c; /b fixed; /d and /e were broken in run 1
  CHECK(Has(wide.out, site.server.Url("/a") + "  (was 200)"));

  // A file from before schema 3 had no index by URL (results_by_url; now result_rows_by_url): the
  // streaks come from key lookups, the same.
  std::filesystem::copy_file(db, dir / "old.db");
  {
    gc::sql::Database old(dir / "old.db", gc::sql::Database::Mode::kReadWrite);
    old.Exec("DROP INDEX result_rows_by_url");
    old.Exec("PRAGMA user_version = 2");
    gc::storage::BrokenHistory h = gc::storage::ReadBrokenHistory(old, 5, std::nullopt, -1);
    CHECK(h.by_streak == std::map<int64_t, int64_t>{{1, 1}, {2, 1}, {3, 1}, {4, 1}});
    CHECK(h.new_broken == 1);
    CHECK(h.fixed == 1);
  }

  // The next run: /c is no longer new.
  auto fifth = crawl(list, {"--fail-on", "new-broken>0"}, "r5");
  CHECK(fifth.exit_code == 0);
  auto after = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "rj2");
  CHECK(Has(after.out, "\"new_broken\":0,\"fixed\":0,\"longest\":5"));
}

TEST_CASE("history judges each run by its own accept set (or report --accept), and a blocked result is never broken") {
  TestServer s;
  s.Handle("/ok", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>ok</title>"); });
  s.Handle("/gone", [](const HttpRequest&, Conn& c) { c.Respond(404, "<title>Not Found</title>"); });
  s.Handle("/forbidden", [](const HttpRequest&, Conn& c) { c.Respond(403, "<title>403 Forbidden</title>"); });
  s.Handle("/cf", [](const HttpRequest&, Conn& c) {
    c.Respond(403, "<title>x</title>", "text/html", {{"cf-mitigated", "challenge"}});  // a bot wall: blocked
  });
  TempDir dir;
  std::string db = dir / "a.db", list = dir / "list.txt";
  WriteFile(list, s.Url("/ok") + "\n" + s.Url("/gone") + "\n" + s.Url("/forbidden") + "\n" + s.Url("/cf") + "\n");
  auto crawl = [&](std::vector<std::string> extra, const std::string& tag) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--quiet", "--retries", "0", "--db", db};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(list);
    return Run(args, tag);
  };
  auto history = [&](std::vector<std::string> extra, const std::string& tag) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "report", "--db", db, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Run(args, tag);
    size_t at = r.out.find("\"history\":");
    return at == std::string::npos ? r.out + r.err : r.out.substr(at);
  };
  const std::vector<std::string> accept_403 = {"--accept", "200-399,403"};

  // Runs 1 and 2 accept 403: only /gone is broken, twice in a row, so nothing is new.
  REQUIRE(crawl(accept_403, "a1").exit_code == 0);
  auto second = crawl({"--accept", "200-399,403", "--fail-on", "new-broken>0"}, "a2");
  CHECK(second.exit_code == 0);
  CHECK(second.err == "");
  std::string h2 = history({}, "a2-report");
  CHECK(Has(h2, "\"runs\":[2,1],\"broken\":1,\"new_broken\":0,\"fixed\":0,\"longest\":2,\"by_streak\":{\"2\":1}"));

  // Run 3 takes the default set: /forbidden is broken now and was not in run 2, by run 2's own set.
  auto third = crawl({"--fail-on", "new-broken>0"}, "a3");
  CHECK(third.exit_code == 5);
  CHECK(Has(third.err, "--fail-on new-broken>0: new-broken is 1"));
  std::string h3 = history({}, "a3-report");
  CHECK(Has(h3, "\"broken\":2,\"new_broken\":1,\"fixed\":0,\"longest\":3,\"by_streak\":{\"1\":1,\"3\":1}"));
  CHECK(Has(h3, "\"new\":[{\"url\":\"" + s.Url("/forbidden") +
                    "\",\"status\":403,\"error\":null,\"before\":{\"status\":403,\"error\":null},\"streak\":1}]"));
  // report --accept judges every run of the history by that one set, as it judges the headline.
  std::string h3_accepting = history(accept_403, "a3-report-accept");
  CHECK(Has(h3_accepting, "\"broken\":1,\"new_broken\":0,\"fixed\":0,\"longest\":3,\"by_streak\":{\"3\":1}"));
  auto page = Run({GREENCRAWL_BIN, "report", "--db", db, "--accept", "200-399,403", "--html", "-o", "-"}, "a3-html");
  CHECK(Has(page.out, "data-history=\"new_broken\" data-count=\"0\""));

  // Run 4 accepts 403 again: /forbidden, broken in run 3 by run 3's set, is fixed.
  REQUIRE(crawl(accept_403, "a4").exit_code == 0);
  std::string h4 = history({}, "a4-report");
  CHECK(Has(h4, "\"broken\":1,\"new_broken\":0,\"fixed\":1,\"longest\":4,\"by_streak\":{\"4\":1}"));
  CHECK(Has(h4, "\"fixed_links\":[{\"url\":\"" + s.Url("/forbidden") +
                    "\",\"status\":403,\"error\":null,\"before\":{\"status\":403,\"error\":null},\"streak\":0}]"));
  // diff has no --accept: each run is judged by its own set there too.
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "a4-diff");
  CHECK(Has(diff.out, "\"broken\":1,\"new_broken\":0,\"fixed\":1,\"longest\":4"));
}

TEST_CASE("a first run has no history: all its breakage is new") {
  FlakySite site;
  TempDir dir;
  WriteFile(dir / "list.txt", site.server.Url("/d") + "\n" + site.server.Url("/f") + "\n");
  auto f = Run({GREENCRAWL_BIN, "crawl", "--quiet", "--db", dir / "h.db", "--fail-on", "new-broken>0", dir / "list.txt"},
               "first");
  CHECK(f.exit_code == 5);
  auto r = Run({GREENCRAWL_BIN, "report", "--db", dir / "h.db"}, "first-report");
  CHECK(Has(r.out, "History (1 run(s) of this list; no earlier completed run, so all breakage is new):"));
  CHECK(Has(r.out, "new broken:   1"));
}

TEST_CASE("--fail-on parses new-broken and broken-for; broken-for is never a percentage") {
  std::string why;
  auto nb = gc::ParseThreshold("new-broken>0", &why);
  REQUIRE(nb);
  CHECK(nb->metric == "new-broken");
  auto bf = gc::ParseThreshold("broken-for>3", &why);
  REQUIRE(bf);
  CHECK(bf->limit == 3);
  CHECK_FALSE(gc::ParseThreshold("broken-for>3%", &why));
  CHECK(Has(why, "runs in a row"));
  gc::RunMetrics m;
  m.results = 10;
  m.broken_streaks = {{1, 2}, {3, 1}};
  CHECK(gc::Crossed({*bf}, m).empty());  // 3 is not more than 3
  m.broken_streaks[4] = 2;
  auto crossed = gc::Crossed({*bf}, m);
  REQUIRE(crossed.size() == 1);
  CHECK(crossed[0] == "--fail-on broken-for>3: 2 URL(s) broken for more than 3 runs in a row");
  CHECK(gc::StreakNeeded({*nb}) == 1);  // new-broken needs no walk back
  CHECK(gc::StreakNeeded({*nb, *bf}) == 4);
}
