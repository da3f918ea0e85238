// The results database: schema and migration, batched writes seen by a second connection, and the
// inspect commands (report, export, diff) on hand-built data.
#include <doctest/doctest.h>
#include <xxhash.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/inspect_commands.h"
#include "storage/inspect.h"
#include "storage/report_data.h"
#include "storage/result_store.h"
#include "storage/schema.h"
#include "tests/e2e.h"
#include "tests/storage_fixture.h"
#include "tests/result_values.h"

using namespace gc;
using namespace gc::storage;
using gc::sql::Database;
using gc::testing::Row;
using gc::testing::Rows;
using gc::testing::Scalar;
using gc::testing::TempDb;
namespace fs = std::filesystem;

namespace {

// RFC 4180 reader for the round-trip test.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, field_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      field_started = false;
      rows.emplace_back();
      ++i;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace

TEST_CASE("each flushed batch is visible to a second connection while the writer goes on") {
  TempDb t;
  ResultStore store(t.path);
  int64_t run = store.BeginRun("list.txt", "{}", "test");
  Database reader(t.path, Database::Mode::kReadOnly);
  auto count = reader.Prepare("SELECT count(*) FROM results");
  std::vector<int64_t> seen;
  for (int batch = 0; batch < 3; ++batch) {
    for (int i = 0; i < 100; ++i) store.Record(run, Row("http://x/" + std::to_string(batch * 100 + i), 200, 10, 1));
    count.Step();
    seen.push_back(count.Int(0));  // not yet flushed
    count.Reset();
    CHECK(store.Flush() == 100);
    count.Step();
    seen.push_back(count.Int(0));
    count.Reset();
  }
  CHECK(seen == std::vector<int64_t>{0, 100, 100, 200, 200, 300});
}

TEST_CASE("a result and its frontier entry commit together; a re-recorded URL keeps one row") {
  TempDb t;
  ResultStore store(t.path);
  int64_t run = store.BeginRun("list.txt", "{}", "test");
  store.BeginBulk();
  CHECK(store.AddToFrontier(run, {"http://x/a", 1, 0, 1, std::nullopt}));
  CHECK(store.AddToFrontier(run, {"http://x/b", 2, 0, 2, std::nullopt}));
  CHECK_FALSE(store.AddToFrontier(run, {"http://x/a", 3, 0, 3, std::nullopt}));
  store.CommitBulk();
  CHECK(store.PendingCount(run) == 2);
  auto a = Row("http://x/a", 200, 5, 1);
  a.in_frontier = true;
  store.Record(run, a);
  store.Flush();
  CHECK(store.PendingCount(run) == 1);
  CHECK(store.PendingAfter(run, 0, 10).front().url == "http://x/b");
  store.Record(run, a);  // as a resumed run would if it redid a URL
  store.Flush();
  CHECK(Scalar(t.path, "SELECT count(*) FROM results WHERE url = 'http://x/a'") == 1);
}

TEST_CASE("clearing a finished run's frontier leaves the other runs' rows, whichever side of it they are") {
  TempDb t;
  ResultStore store(t.path);
  int64_t a = store.BeginRun("a.txt", "{}", "test");
  int64_t b = store.BeginRun("b.txt", "{}", "test");
  int64_t c = store.BeginRun("c.txt", "{}", "test");
  store.BeginBulk();
  for (int64_t run : {a, b, c}) {
    for (int i = 1; i <= 3; ++i) store.AddToFrontier(run, {"http://x/" + std::to_string(i), i, 0, i, std::nullopt});
  }
  store.CommitBulk();
  store.ClearFrontier(b);  // runs on both sides: row by row
  CHECK(Scalar(t.path, "SELECT count(*) FROM frontier") == 6);
  CHECK(Scalar(t.path, "SELECT count(*) FROM frontier WHERE run_id = " + std::to_string(b)) == 0);
  store.ClearFrontier(a);  // a run after it only
  CHECK(Scalar(t.path, "SELECT count(*) FROM frontier WHERE run_id = " + std::to_string(c)) == 3);
  CHECK(Scalar(t.path, "SELECT count(*) FROM frontier") == 3);
  store.ClearFrontier(c);  // the last: the whole table at once
  CHECK(Scalar(t.path, "SELECT count(*) FROM frontier") == 0);
  store.BeginBulk();
  CHECK(store.AddToFrontier(c, {"http://x/again", 1, 0, 1, std::nullopt}));  // the table still works
  store.CommitBulk();
  CHECK(store.PendingCount(c) == 1);
  // ... and foreign keys are enforced again after the whole-table delete turned them off for a moment.
  CHECK_THROWS(store.AddToFrontier(c + 100, {"http://x/orphan", 1, 0, 1, std::nullopt}));
}

TEST_CASE("a run that failed before storing any of its list is not resumable; one that failed while reading it is") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("list.txt", "{}", "test");
    store.FinishRun(run, "failed");  // e.g. the list could not be read at all
  }
  CHECK_FALSE(Inspector(t.path).ResumableRun().has_value());
  int64_t second;
  {
    ResultStore store(t.path);
    second = store.BeginRun("list.txt", "{}", "test");
    store.BeginBulk();
    store.AddToFrontier(second, {"http://x/a", 1, 0, 1, std::nullopt});  // the list's first chunk
    store.CommitBulk();
    store.FinishRun(second, "failed");  // a full disk while the rest was read: urls_total stays NULL
  }
  auto resumable = Inspector(t.path).ResumableRun();
  REQUIRE(resumable.has_value());
  CHECK(resumable->id == second);
  CHECK_FALSE(resumable->urls_total.has_value());
}

TEST_CASE("SQL-injection-shaped titles and URLs are stored and exported verbatim") {
  TempDb t;
  const std::string evil_title = "Robert'); DROP TABLE results;--";
  const std::string evil_url = "http://x/?q=1' OR '1'='1";
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("l'; DELETE FROM runs;--", "{}", "test");
    store.Record(run, Row(evil_url, 200, 1, 1, evil_title));
    store.Flush();
    store.FinishRun(run, "completed");
  }
  Database d(t.path, Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT url, title FROM results");
  REQUIRE(st.Step());
  CHECK(st.Text(0) == evil_url);
  CHECK(st.Text(1) == evil_title);
  CHECK(Scalar(t.path, "SELECT count(*) FROM runs") == 1);
}

TEST_CASE("export round-trips CSV quoting and escapes JSON lines") {
  TempDb t;
  const std::vector<std::string> titles = {"plain", "comma, inside", "quote \"inside\"", "new\nline",
                                           "caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad", " padded "};
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("list.txt", "{}", "test");
    for (size_t i = 0; i < titles.size(); ++i) store.Record(run, Row("http://x/" + std::to_string(i), 200, 7, 1.5, titles[i]));
    store.Flush();
    store.FinishRun(run, "completed");
  }
  std::ostringstream csv;
  CHECK(ExportResults(t.path, std::nullopt, "csv", "", csv) == 0);
  auto rows = ParseCsv(csv.str());
  REQUIRE(rows.size() == titles.size() + 1);
  size_t title_col = 0;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    if (rows[0][i] == "title") title_col = i;
  }
  for (size_t i = 0; i < titles.size(); ++i) {
    REQUIRE(rows[i + 1].size() == rows[0].size());
    CHECK(rows[i + 1][title_col] == titles[i]);
  }
  std::ostringstream jsonl;
  ExportResults(t.path, 1, "jsonl", "", jsonl);
  std::string out = jsonl.str();
  CHECK(std::count(out.begin(), out.end(), '\n') == int(titles.size()));
  CHECK(out.find(R"("title":"quote \"inside\"")") != std::string::npos);
  CHECK(out.find(R"("title":"new\nline")") != std::string::npos);
  CHECK(out.find(R"("status":200,"size":7)") != std::string::npos);  // numbers stay numbers
  CHECK(out.find(R"("error":null)") != std::string::npos);
  // To a file: complete, and no partial file left behind.
  std::ostringstream none;
  ExportResults(t.path, 1, "csv", t.dir + "/out.csv", none);
  CHECK(none.str().empty());
  CHECK(fs::file_size(t.dir + "/out.csv") == csv.str().size());
  CHECK_FALSE(fs::exists(t.dir + "/out.csv.partial"));
  CHECK_THROWS(ExportResults(t.path, 7, "csv", "", none));  // unknown run
}

TEST_CASE("diff lists added, removed, status, size, title and content changes between two runs") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t a = store.BeginRun("l", "{}", "t");
    store.Record(a, Row("http://x/same", 200, 100, 1, "Same", std::nullopt, "00000000000000aa"));
    store.Record(a, Row("http://x/gone", 200, 100, 1, "Gone"));
    store.Record(a, Row("http://x/broke", 200, 100, 1, "Broke"));
    store.Record(a, Row("http://x/dns", 200, 100, 1, "Dns"));
    store.Record(a, Row("http://x/grew", 200, 100, 1, "Grew", std::nullopt, "00000000000000a1"));
    store.Record(a, Row("http://x/tiny", 200, 100, 1, "Tiny", std::nullopt, "00000000000000b1"));
    store.Record(a, Row("http://x/retitled", 200, 100, 1, "Old", std::nullopt, "00000000000000c1"));
    store.Flush();
    store.FinishRun(a, "completed");
    int64_t b = store.BeginRun("l", "{}", "t");
    store.Record(b, Row("http://x/same", 200, 100, 9, "Same", std::nullopt, "00000000000000aa"));
    store.Record(b, Row("http://x/new", 200, 100, 1, "New"));
    store.Record(b, Row("http://x/broke", 404, 20, 1, "Not Found"));
    store.Record(b, Row("http://x/dns", std::nullopt, std::nullopt, 1, std::nullopt, "dns"));
    store.Record(b, Row("http://x/grew", 200, 300, 1, "Grew", std::nullopt, "00000000000000a2"));
    store.Record(b, Row("http://x/tiny", 200, 101, 1, "Tiny", std::nullopt, "00000000000000b1"));
    store.Record(b, Row("http://x/retitled", 200, 100, 1, "New title", std::nullopt, "00000000000000c1"));
    store.Flush();
    store.FinishRun(b, "completed");
  }
  Inspector in(t.path);
  CHECK(in.DefaultDiffRuns() == std::pair<int64_t, int64_t>{1, 2});
  CHECK(in.ChangedUrls(1, 2, 10.0) == 6);  // grew has two changes (size, content): one URL
  std::set<std::string> changes;
  in.Diff(1, 2, 10.0, [&](const Change& c) { changes.insert(c.kind + " " + c.url + " " + c.before + "->" + c.after); });
  CHECK(changes == std::set<std::string>{
                       "added http://x/new ->",
                       "removed http://x/gone ->",
                       "status http://x/broke 200->404",
                       "status http://x/dns 200->error:dns",
                       "size http://x/grew 100->300",
                       "content http://x/grew 00000000000000a1->00000000000000a2",
                       "title http://x/retitled Old->New title",
                   });
  std::ostringstream json;
  ShowDiff(t.path, std::nullopt, std::nullopt, 10.0, true, json);
  CHECK(json.str().find("\"run_a\":1,\"run_b\":2") != std::string::npos);
  CHECK(json.str().find(R"({"url":"http://x/broke","kind":"status","before":{"status":200,"error":null},)"
                        R"("after":{"status":404,"error":null}})") != std::string::npos);
  CHECK(json.str().find(R"({"url":"http://x/dns","kind":"status","before":{"status":200,"error":null},)"
                        R"("after":{"status":null,"error":"dns"}})") != std::string::npos);
  CHECK(json.str().find(R"({"url":"http://x/grew","kind":"size","before":100,"after":300})") != std::string::npos);
  CHECK(json.str().find(R"({"url":"http://x/grew","kind":"content","before":{"hash":"00000000000000a1","size":100},)"
                        R"("after":{"hash":"00000000000000a2","size":300}})") != std::string::npos);
  CHECK(json.str().find("\"changed_urls\":6}") != std::string::npos);
  std::ostringstream text;
  ShowDiff(t.path, std::nullopt, std::nullopt, 10.0, false, text);
  CHECK(text.str().find("http://x/grew  100 -> 300 bytes (+200%), hash 00000000000000a1 -> 00000000000000a2") != std::string::npos);
  CHECK(text.str().find("6 URL(s) changed (7 change(s))") != std::string::npos);
}

TEST_CASE("report numbers on a known data set: counts, nearest-rank percentiles, top lists, broken links") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("l", "{}", "t");
    for (int i = 1; i <= 100; ++i) {
      store.Record(run, Row("http://x/p" + std::to_string(i), i <= 90 ? 200 : 404, i * 10, double(i)));
    }
    store.Record(run, Row("http://x/dead", std::nullopt, std::nullopt, 500, std::nullopt, "timeout"));
    store.AddLink(run, "http://x/p1", "http://x/p95", false);
    store.AddLink(run, "http://x/p2", "http://x/p95", false);
    store.AddLink(run, "http://x/p3", "http://x/dead", true);
    store.Flush();
    store.FinishRun(run, "completed");
  }
  ReportLimits limits;
  limits.top = 3;
  ReportData r = LoadReportData(t.path, std::nullopt, limits);
  CHECK(r.run.results == 101);
  CHECK(r.run.ok == 90);  // accepted answers without an error: the 404s are responses, not ok
  CHECK(r.run.responses == 100);
  CHECK(r.run.broken == 11);
  CHECK(r.run.errors == 1);
  REQUIRE(r.by_status.size() == 3);
  CHECK(r.by_status[0].key == "200");
  CHECK(r.by_status[0].count == 90);
  CHECK(r.by_status[1].key == "404");
  CHECK(r.by_status[1].count == 10);
  CHECK(r.by_status[2].key == "none");
  REQUIRE(r.by_error.size() == 1);
  CHECK(r.by_error[0].key == "timeout");
  CHECK(*r.size_bytes.p50 == 500);   // sizes 10..1000: rank 50 -> 500
  CHECK(*r.size_bytes.p90 == 900);
  CHECK(*r.size_bytes.p99 == 990);
  CHECK(*r.time_ms.p50 == 51);    // times 1..100 plus 500: 101 values, rank ceil(50.5) = 51
  CHECK(*r.time_ms.p99 == 100);   // rank ceil(99.99) = 100
  REQUIRE(r.slowest.size() == 3);
  CHECK(r.slowest[0].url == "http://x/dead");
  CHECK(r.slowest[1].url == "http://x/p100");
  CHECK(r.largest[0].url == "http://x/p100");
  REQUIRE(r.broken.size() == 1);  // one section: every URL is the list's
  CHECK(r.broken[0].rows.size() == 11);
  CHECK(r.broken[0].rows[0].url == "http://x/dead");  // most severe first: no answer before a 404
  bool found = false;
  for (auto& b : r.broken[0].rows) {
    if (b.url == "http://x/p95") {
      found = true;
      CHECK(b.outcome == "404");
      CHECK(b.referrer_count == 2);
      CHECK(b.referrers == std::vector<std::string>{"http://x/p1", "http://x/p2"});
    }
  }
  CHECK(found);
  std::ostringstream text;
  ShowReport(t.path, std::nullopt, 3, false, false, text);
  CHECK(text.str().find("linked from 2 page(s): http://x/p1 http://x/p2") != std::string::npos);
  std::ostringstream json;
  ShowReport(t.path, std::nullopt, 3, false, true, json);
  CHECK(json.str().find(R"({"url":"http://x/p95","status":404,"error":null,)") != std::string::npos);
  CHECK(json.str().find(R"({"url":"http://x/dead","status":null,"error":"timeout",)") != std::string::npos);
}

TEST_CASE("report's broken list shows each URL's error message and list line") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("l", "{}", "t");
    ResultRow r = Row("http://nope.invalid/", std::nullopt, std::nullopt, 1.0, std::nullopt, "dns");
    r.error_message = "Could not resolve host: nope.invalid";
    r.list_line = 7;
    store.Record(run, r);
    store.Flush();
    store.FinishRun(run, "completed");
  }
  std::ostringstream text;
  ShowReport(t.path, std::nullopt, 3, false, false, text);
  CHECK(text.str().find("http://nope.invalid/  (list line 7)\n      Could not resolve host: nope.invalid") !=
        std::string::npos);
  std::ostringstream json;
  ShowReport(t.path, std::nullopt, 3, false, true, json);
  CHECK(json.str().find(R"("error_message":"Could not resolve host: nope.invalid","list_line":7)") != std::string::npos);
}

TEST_CASE("a bare diff compares the newest run with the previous completed run of the same list") {
  TempDb t;
  {
    ResultStore store(t.path);
    for (const char* list : {"/lists/a", "/lists/a", "/lists/b"}) {
      int64_t run = store.BeginRun(list, "{}", "t");
      store.Record(run, Row("http://x/" + std::string(list).substr(7) + std::to_string(run), 200, 1, 1.0));
      store.Flush();
      store.FinishRun(run, "completed");
    }
  }
  Inspector in(t.path);
  CHECK_THROWS_WITH(in.DefaultDiffRuns(), doctest::Contains("no earlier completed run of the same list"));
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("/lists/a", "{}", "t");
    store.Flush();
    store.FinishRun(run, "completed");
  }
  Inspector again(t.path);
  CHECK(again.DefaultDiffRuns() == std::pair<int64_t, int64_t>{2, 4});
}

TEST_CASE("report: --top 0 still counts and lists every broken URL; --all lists every referrer") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("l", "{}", "t");
    for (int i = 1; i <= 10; ++i) store.Record(run, Row("http://x/gone" + std::to_string(i), 404, 10, 1.0));
    store.Record(run, Row("http://x/ok", 200, 10, 1.0));
    for (int i = 1; i <= 8; ++i) store.AddLink(run, "http://x/from" + std::to_string(i), "http://x/gone1", false);
    store.Flush();
    store.FinishRun(run, "completed");
  }
  std::ostringstream top0;
  ShowReport(t.path, std::nullopt, 0, false, false, top0);
  CHECK(top0.str().find("Broken (10):") != std::string::npos);
  CHECK(top0.str().find("http://x/gone10") != std::string::npos);
  CHECK(top0.str().find("Broken (10):\n  (none)") == std::string::npos);
  CHECK(top0.str().find("linked from 8 page(s): http://x/from1 http://x/from2 http://x/from3 http://x/from4 "
                        "http://x/from5 ... 3 more (--all)") != std::string::npos);
  std::ostringstream all;
  ShowReport(t.path, std::nullopt, 0, true, false, all);
  CHECK(all.str().find("http://x/from5 http://x/from6 http://x/from7 http://x/from8\n") != std::string::npos);
  ReportLimits limits;
  limits.top = 0;
  ReportData r = LoadReportData(t.path, std::nullopt, limits);
  CHECK(r.run.broken == 10);
  REQUIRE(r.broken.size() == 1);
  CHECK(r.broken[0].rows.size() == 10);
}

TEST_CASE("export includes the unchanged column") {
  TempDb t;
  {
    ResultStore store(t.path);
    int64_t run = store.BeginRun("l", "{}", "t");
    ResultRow r = Row("http://x/same", 304, 10, 1.0);
    r.unchanged = 1;
    store.Record(run, r);
    store.Flush();
    store.FinishRun(run, "completed");
  }
  std::ostringstream csv;
  ExportResults(t.path, std::nullopt, "csv", "", csv);
  std::string header = csv.str().substr(0, csv.str().find("\r\n"));
  const std::string tail = ",unchanged,source_kind,source,resource_kind";  // columns are added at the end
  REQUIRE(header.size() > tail.size());
  CHECK(header.substr(header.size() - tail.size()) == tail);
  std::ostringstream jsonl;
  ExportResults(t.path, std::nullopt, "jsonl", "", jsonl);
  CHECK(jsonl.str().find("\"unchanged\":1,\"source_kind\":null,\"source\":null,\"resource_kind\":null}") !=
        std::string::npos);
}

TEST_CASE("prune keeps every URL a remaining run's results name (url, final_url, source), and drops the rest") {
  TempDb t;
  ResultStore store(t.path);
  auto row = [](const std::string& url, std::optional<std::string> final_url, std::optional<std::string> source) {
    ResultRow r = Row(url, 200, 10, 1.0);
    r.final_url = final_url;
    r.source = source;
    if (source) r.source_kind = "link";
    return r;
  };
  int64_t a = store.BeginRun("l", "{}", "t");
  store.Record(a, row("http://x/shared", "http://x/shared/", "http://x/from-a"));
  store.Record(a, row("http://x/only-a", "http://x/only-a/", std::nullopt));
  store.Flush();
  store.FinishRun(a, "completed");
  int64_t b = store.BeginRun("l", "{}", "t");
  store.Record(b, row("http://x/shared", "http://x/moved", "http://x/from-b"));
  store.Record(b, row("http://x/only-b", std::nullopt, "http://x/only-a"));  // run a's URL as b's referrer
  store.Flush();
  store.FinishRun(b, "completed");
  const std::string kB = "SELECT url, coalesce(final_url, '-'), source FROM results WHERE run_id = " + std::to_string(b) +
                         " ORDER BY url";
  const std::string before = Rows(t.path, kB);
  CHECK(before == "http://x/only-b\t-\thttp://x/only-a\nhttp://x/shared\thttp://x/moved\thttp://x/from-b\n");
  CHECK(Scalar(t.path, "SELECT count(*) FROM urls") == 8);
  CHECK(store.PruneRuns({a}) == 1);
  CHECK(Rows(t.path, kB) == before);
  CHECK(Rows(t.path, "SELECT url FROM urls ORDER BY url") ==
        "http://x/from-b\nhttp://x/moved\nhttp://x/only-a\nhttp://x/only-b\nhttp://x/shared\n");
}

TEST_CASE("anchors, fragment links and sitemap URLs by what changed (schema 12): shared across runs, the views as written, prune keeps what a run names") {
  TempDb t;
  ResultStore store(t.path);
  auto night = [&](const std::vector<std::string>& b_anchors, const std::string& listed) {
    int64_t run = store.BeginRun("l", "{}", "t");
    WriteBatch w;
    w.anchor_pages.push_back({"http://x/a", {"intro", "caf\xC3\xA9"}, false});
    w.anchor_pages.push_back({"http://x/b", {"first"}, false});
    w.anchor_pages.push_back({"http://x/b", b_anchors, true});  // fetched again in the run: its anchors now
    w.fragment_links.push_back({"http://x/a", "http://x/b", "later"});
    w.fragment_links.push_back({"http://x/a", "http://x/b", "later"});  // twice on the page: once
    w.fragment_links.push_back({"http://x/b", "http://x/" + listed, "top2"});
    w.sitemap_urls.push_back({"http://x/" + listed, "http://x/sitemap.xml", std::nullopt});
    w.sitemap_urls.push_back({"http://x/" + listed, "http://x/other.xml", "2026-12-01"});  // the first sitemap wins
    store.Write(run, w);
    store.FinishRun(run, "completed");
    return run;
  };
  int64_t one = night({"x"}, "old");
  int64_t two = night({"y"}, "new");
  auto rows_of = [&](int64_t run) {
    std::string out;
    for (std::string q : {"SELECT url, anchors, capped FROM anchor_pages WHERE run_id = ? ORDER BY 1",
                          "SELECT url, anchor FROM anchors WHERE run_id = ? ORDER BY 1, 2",
                          "SELECT from_url, to_url, fragment FROM fragment_links WHERE run_id = ? ORDER BY 1, 2, 3",
                          "SELECT url, sitemap, coalesce(lastmod, '-') FROM sitemap_urls WHERE run_id = ? ORDER BY 1"}) {
      out += Rows(t.path, q.replace(q.find('?'), 1, std::to_string(run)));
    }
    return out;
  };
  const std::string two_rows = rows_of(two);
  CHECK(two_rows ==
        "http://x/a\t2\t0\nhttp://x/b\t1\t1\n"
        "http://x/a\tcaf\xC3\xA9\nhttp://x/a\tintro\nhttp://x/b\ty\n"
        "http://x/a\thttp://x/b\tlater\nhttp://x/b\thttp://x/new\ttop2\n"
        "http://x/new\thttp://x/sitemap.xml\t-\n");
  // Shared between the nights: a's anchors and a's fragment links; b's {first} was never stored.
  CHECK(Scalar(t.path, "SELECT count(*) FROM anchor_sets") == 1 + 2);
  CHECK(Scalar(t.path, "SELECT count(*) FROM fragment_sets") == 1 + 2);
  CHECK(store.PruneRuns({one}) == 1);
  CHECK(rows_of(two) == two_rows);
  CHECK(Scalar(t.path, "SELECT count(*) FROM anchor_sets") == 2);
  CHECK(Scalar(t.path, "SELECT count(*) FROM fragment_sets") == 2);
  CHECK(Rows(t.path, "SELECT url FROM urls ORDER BY url") == "http://x/a\nhttp://x/b\nhttp://x/new\nhttp://x/sitemap.xml\n");
}
