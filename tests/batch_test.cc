// Scheduled batch runs, end to end: conditional re-crawls, diff, --fail-on, the run lock, prune,
// retries with backoff, and job files.
#include <doctest/doctest.h>

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
using gc::sql::Database;
namespace fs = std::filesystem;

namespace {

// A site whose pages change between "nights"; it honours conditional requests like a real server.
struct ChangingSite {
  TestServer server;
  std::atomic<int> night{1};
  std::mutex mu;
  std::map<std::string, std::string> conditional_headers;  // path -> what the request carried

  ChangingSite() {
    const std::string big(50'000, 'x');
    server.Handle("/removed", [this](const HttpRequest&, Conn& c) {
      if (night == 1) c.Respond(200, "<title>Removed soon</title>");
      else c.Respond(404, "<title>Not Found</title>");
    });
    server.Handle("/grown", [this](const HttpRequest&, Conn& c) {
      c.Respond(200, "<title>Grown</title>" + std::string(night == 1 ? 1000 : 5000, 'g'));
    });
    server.Handle("/retitled", [this](const HttpRequest&, Conn& c) {
      c.Respond(200, std::string("<title>") + (night == 1 ? "Old title" : "New title") + "</title>");
    });
    server.Handle("/etag", [this, big](const HttpRequest& req, Conn& c) {
      Remember("/etag", req.Header("if-none-match"));
      if (req.Header("if-none-match") == "\"v1\"") return (void)c.Respond(304, "", "", {{"ETag", "\"v1\""}});
      c.Respond(200, "<title>With ETag</title>" + big, "text/html", {{"ETag", "\"v1\""}});
    });
    server.Handle("/lastmod", [this, big](const HttpRequest& req, Conn& c) {
      Remember("/lastmod", req.Header("if-modified-since"));
      const std::string lm = "Tue, 01 Sep 2026 10:00:00 GMT";
      if (req.Header("if-modified-since") == lm) return (void)c.Respond(304, "", "");
      c.Respond(200, "<title>With Last-Modified</title>" + big, "text/html", {{"Last-Modified", lm}});
    });
    // An obsolete date form (RFC 850), which the database keeps as text (schema 11): sent back as it came.
    server.Handle("/oldlastmod", [this, big](const HttpRequest& req, Conn& c) {
      Remember("/oldlastmod", req.Header("if-modified-since"));
      const std::string lm = "Tuesday, 01-Sep-26 10:00:00 GMT";
      if (req.Header("if-modified-since") == lm) return (void)c.Respond(304, "", "");
      c.Respond(200, "<title>With an old date</title>" + big, "text/html", {{"Last-Modified", lm}});
    });
  }
  void Remember(const std::string& path, const std::string& value) {
    std::lock_guard lock(mu);
    conditional_headers[path] = value;
  }
  std::string List() const {
    std::string list;
    for (const char* p : {"/removed", "/grown", "/retitled", "/etag", "/lastmod", "/oldlastmod"}) list += server.Url(p) + "\n";
    return list;
  }
};

}  // namespace

TEST_CASE("a second run sends conditional requests, records 304s as unchanged, and diff lists exactly the changes") {
  ChangingSite site;
  TempDir dir;
  WriteFile(dir / "list.txt", site.List());
  std::string db = dir / "nightly.db";
  auto first = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--fail-on", "changed>0", dir / "list.txt"}, "night1");
  CHECK(first.exit_code == 0);  // no previous run: nothing can have changed
  CHECK(site.conditional_headers["/etag"].empty());

  site.night = 2;
  auto second = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--fail-on", "changed>0", dir / "list.txt"}, "night2");
  CHECK(second.exit_code == 5);
  CHECK(second.err.find("--fail-on changed>0") != std::string::npos);
  CHECK(site.conditional_headers["/etag"] == "\"v1\"");
  CHECK(site.conditional_headers["/lastmod"] == "Tue, 01 Sep 2026 10:00:00 GMT");
  CHECK(site.conditional_headers["/oldlastmod"] == "Tuesday, 01-Sep-26 10:00:00 GMT");
  CHECK(Scalar(db, "SELECT unchanged FROM results WHERE run_id = 2 AND url LIKE '%/oldlastmod'") == 1);
  CHECK(Scalar(db, "SELECT status FROM results WHERE run_id = 2 AND url LIKE '%/etag'") == 304);
  CHECK(Scalar(db, "SELECT unchanged FROM results WHERE run_id = 2 AND url LIKE '%/etag'") == 1);
  CHECK(Scalar(db, "SELECT unchanged FROM results WHERE run_id = 2 AND url LIKE '%/lastmod'") == 1);
  // The carried size keeps reports whole, and the bytes on the wire show what was saved.
  CHECK(Scalar(db, "SELECT size FROM results WHERE run_id = 2 AND url LIKE '%/etag'") ==
        Scalar(db, "SELECT size FROM results WHERE run_id = 1 AND url LIKE '%/etag'"));
  int64_t wire1 = Scalar(db, "SELECT sum(wire_bytes) FROM results WHERE run_id = 1 AND (url LIKE '%/etag' OR url LIKE '%/lastmod')");
  int64_t wire2 = Scalar(db, "SELECT sum(wire_bytes) FROM results WHERE run_id = 2 AND (url LIKE '%/etag' OR url LIKE '%/lastmod')");
  MESSAGE("conditional re-crawl of two 50 KB pages: " << wire1 << " bytes on the wire, then " << wire2);
  CHECK(wire1 > 100'000);
  CHECK(wire2 < 1'000);

  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "diff");
  CHECK(diff.exit_code == 0);
  std::string base = site.server.Url("");
  for (std::string expected :
       {R"({"url":")" + base + R"(/removed","kind":"status","before":{"status":200,"error":null},)"
                                R"("after":{"status":404,"error":null}})",
        R"({"url":")" + base + R"(/grown","kind":"size","before":1020,"after":5020})",
        R"({"url":")" + base + R"(/retitled","kind":"title","before":"Old title","after":"New title"})"}) {
    CHECK_MESSAGE(diff.out.find(expected) != std::string::npos, diff.out);
  }
  CHECK(diff.out.find("/etag") == std::string::npos);
  CHECK(diff.out.find("/lastmod") == std::string::npos);

  auto third = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--fail-on", "changed>0", "--json", dir / "list.txt"}, "night3");
  CHECK(third.exit_code == 0);  // nothing changed since night 2
  CHECK(third.out.find("\"changed\":0") != std::string::npos);
}

namespace {

// True once process `pid` has `path` open: a crawl that has opened the lock file has tried (or holds) the lock.
bool HasOpen(pid_t pid, const std::string& path) {
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    if (fs::read_symlink(fd.path(), ec) == path) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a second crawl of the same database is refused while one runs; --wait-lock waits; a killed run's lock is gone") {
  // The pages wait for the test's gate: the holder is mid-crawl, holding the lock, for as long as the
  // test needs, on any machine (no sleep guessing how long a busy machine takes to start it). Declared
  // before the server, so it outlives the server's handler threads.
  std::atomic<bool> open{false};
  TestServer server;
  server.Handle("/p*", [&open](const HttpRequest&, Conn& c) {
    if (c.WaitUntil(open)) c.Respond(200, "<title>held</title>");
  });
  TempDir dir;
  std::string list;
  for (int i = 0; i < 30; ++i) list += server.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "r.db";
  // --timeout: a held page is not a slow one; the gate, not the transfer timeout, decides when it ends.
  auto running = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "2", "--timeout", "600", dir / "list.txt"},
                       "holder");
  // A request has arrived: the holder has its lock. Bounded polls, only a guard against a hang.
  for (int i = 0; i < 12'000 && server.Received() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(server.Received() > 0);
  // Refused without waiting: the holder cannot end while the gate is shut, so a refusal that waited for
  // the lock would never come, and the bound (a safety net, not a measure) would kill it.
  auto refused = WaitAtMost(Start({GREENCRAWL_BIN, "crawl", "--db", db, dir / "list.txt"}, "refused"), std::chrono::seconds(120));
  CHECK(refused.exit_code == 4);
  CHECK(refused.err.find("in use by another crawl") != std::string::npos);
  // At once, not after some wait: the default wait is none (said, rather than timed).
  CHECK(Run({GREENCRAWL_BIN, "crawl", "--print-config"}, "config").out.find("wait-lock = 0.0\n") != std::string::npos);
  // --wait-lock waits: it is started, seen to have opened the lock file while the holder still holds the
  // lock (so its first try failed), and only then is the holder let go.
  auto waiting = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--wait-lock", "600", "--quiet", dir / "list.txt"}, "waited");
  std::string lock_file = fs::weakly_canonical(db).string() + ".lock";
  for (int i = 0; i < 12'000 && !HasOpen(waiting.pid, lock_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(HasOpen(waiting.pid, lock_file));
  open = true;
  CHECK(Wait(running).exit_code == 0);
  CHECK(Wait(waiting).exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 2);

  open = false;
  size_t before = server.Received();
  auto killed = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", "--timeout", "600", dir / "list.txt"},
                      "killed");
  for (int i = 0; i < 12'000 && server.Received() == before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(server.Received() > before);  // it is crawling, so it holds the lock when it is killed
  kill(killed.pid, SIGKILL);
  Wait(killed);
  open = true;
  auto after = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--quiet", "--concurrency", "30", dir / "list.txt"}, "after");
  CHECK(after.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 3") == 30);
}

TEST_CASE("prune keeps the newest runs intact and queryable, and reclaims space") {
  TestServer server;
  server.Handle("/p*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>" + std::string(2000, 'p')); });
  TempDir dir;
  std::string list;
  for (int i = 0; i < 300; ++i) list += server.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "r.db";
  for (int i = 0; i < 3; ++i) CHECK(Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", dir / "list.txt"}, "p").exit_code == 0);
  auto dry = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "1", "--dry-run"}, "dry");
  CHECK(dry.out.find("would delete 2 run(s): 2 1") != std::string::npos);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 3);
  auto pruned = Run({GREENCRAWL_BIN, "prune", "--db", db, "--keep", "1"}, "prune");
  CHECK(pruned.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(Scalar(db, "SELECT id FROM runs") == 3);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 300);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 3 AND status = 200") == 300);
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db}, "report");
  CHECK(report.exit_code == 0);
  CHECK(report.out.find("Run 3: completed, 300 results") != std::string::npos);
  CHECK(Run({GREENCRAWL_BIN, "prune", "--db", db}, "noarg").exit_code == 2);
}

TEST_CASE("transient failures are retried with backoff and the attempts recorded; permanent ones are not") {
  TestServer server;
  std::atomic<int> flaky_calls{0}, busy_calls{0}, gone_calls{0};
  server.Handle("/flaky", [&](const HttpRequest&, Conn& c) {
    if (++flaky_calls < 3) return (void)c.Respond(503, "busy", "text/plain", {{"Retry-After", "0"}});
    c.Respond(200, "<title>finally</title>");
  });
  server.Handle("/busy", [&](const HttpRequest&, Conn& c) { ++busy_calls, c.Respond(429, "slow down", "text/plain"); });
  server.Handle("/gone", [&](const HttpRequest&, Conn& c) { ++gone_calls, c.Respond(404, "no"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/flaky") + "\n" + server.Url("/busy") + "\n" + server.Url("/gone") + "\n");
  std::string db = dir / "r.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--retries", "2", "--retry-delay", "50", dir / "list.txt"}, "retry");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT status FROM results WHERE url LIKE '%/flaky'") == 200);
  CHECK(Scalar(db, "SELECT attempts FROM results WHERE url LIKE '%/flaky'") == 3);
  CHECK(Scalar(db, "SELECT status FROM results WHERE url LIKE '%/busy'") == 429);
  CHECK(Scalar(db, "SELECT attempts FROM results WHERE url LIKE '%/busy'") == 3);
  CHECK(busy_calls == 3);
  CHECK(gone_calls == 1);
  CHECK(Scalar(db, "SELECT attempts FROM results WHERE url LIKE '%/gone'") == 1);
  // Backoff: 50 ms then 100 ms between the /busy attempts (the host waits; others may go on).
  auto log = server.Log();
  std::vector<double> busy;
  for (auto& e : log) {
    if (e.path == "/busy") busy.push_back(e.start_s);
  }
  REQUIRE(busy.size() == 3);
  CHECK(busy[1] - busy[0] >= 0.035);  // 50 ms, less arrival jitter on a loaded machine
  CHECK(busy[2] - busy[1] >= 0.075);  // 100 ms
  CHECK(busy[2] - busy[0] >= 0.145);  // together: 150 ms
}

TEST_CASE("a job file holds the settings; the command line wins; errors name the file and line") {
  TestServer server;
  server.Handle("/p*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p1") + "\n" + server.Url("/p2") + "\n");
  WriteFile(dir / "nightly.toml", "# nightly job\nlist = \"" + (dir / "list.txt") + "\"\ndb = \"" + (dir / "job.db") +
                                      "\"\nconcurrency = 3\nper-host = 2\nheader = [\"X-Job: nightly\"]\n"
                                      "fail-on = [\"errors>50%\"]\n");
  auto printed = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "nightly.toml", "--concurrency", "7", "--print-config"}, "print");
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.find("concurrency = 7") != std::string::npos);  // the command line wins
  CHECK(printed.out.find("per-host = 2") != std::string::npos);
  CHECK(printed.out.find("X-Job: nightly") != std::string::npos);
  CHECK(printed.out.find("resume = false") != std::string::npos);
  auto run = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "nightly.toml", "--quiet"}, "job");
  CHECK(run.exit_code == 0);
  CHECK(Scalar(dir / "job.db", "SELECT count(*) FROM results WHERE status = 200") == 2);

  WriteFile(dir / "bad.toml", "db = \"x.db\"\n\nconcurency = 3\n");
  auto bad = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "bad.toml"}, "bad");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.toml:3: unknown setting 'concurency'") != std::string::npos);
  WriteFile(dir / "type.toml", "concurrency = \"many\"\n");
  auto type = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "type.toml"}, "type");
  CHECK(type.err.find("type.toml:1: concurrency: must be an integer from 1 to 100000 (not 'many')") != std::string::npos);
  WriteFile(dir / "syntax.toml", "list = \"a\"\ndb = = 3\n");
  auto syntax = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "syntax.toml"}, "syntax");
  CHECK(syntax.exit_code == 2);
  CHECK(syntax.err.find("syntax.toml:2:") != std::string::npos);
}

TEST_CASE("'changed' compares with the previous run of the same list, not with another list's run") {
  TestServer server;
  server.Handle("/p*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "one.txt", server.Url("/p1") + "\n");
  WriteFile(dir / "two.txt", server.Url("/p2") + "\n" + server.Url("/p3") + "\n");
  std::string db = dir / "r.db";
  CHECK(Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", dir / "one.txt"}, "one").exit_code == 0);
  auto two = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--json", "--fail-on", "changed>0", dir / "two.txt"}, "two");
  CHECK(two.exit_code == 0);
  CHECK(two.out.find("\"previous_run\":null") != std::string::npos);
  auto again = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--json", "--fail-on", "changed>0", dir / "two.txt"}, "again");
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("\"previous_run\":2,\"changed\":0") != std::string::npos);
}
