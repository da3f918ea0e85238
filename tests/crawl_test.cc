// End to end: the real greencrawl binary, a real local server, a real SQLite file.
#include <doctest/doctest.h>

#include <atomic>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
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

#ifdef GC_SANITIZED
constexpr int kBigList = 20'000;  // ASan + UBSan make every request several times slower
#else
constexpr int kBigList = 100'000;
#endif


void ServeSite(TestServer& server, int delay_ms = 0) {
  server.Handle("/p*", [delay_ms](const HttpRequest& req, Conn& c) {
    if (delay_ms > 0 && !c.Sleep(delay_ms)) return;
    c.Respond(200, "<html><head><title>Page " + req.path.substr(2) + "</title></head><body>x</body></html>");
  });
  server.Handle("/missing", [](const HttpRequest&, Conn& c) { c.Respond(404, "<title>Not Found</title>"); });
  server.Handle("/broken", [](const HttpRequest&, Conn& c) { c.Respond(503, "down", "text/plain"); });
}

std::string ListOf(const TestServer& server, int n) {
  std::string list;
  for (int i = 0; i < n; ++i) list += server.Url("/p" + std::to_string(i)) + "\n";
  return list;
}

}  // namespace

TEST_CASE("a list with noise lines gives exactly one row per URL, and line-numbered errors") {
  TestServer server;
  ServeSite(server);
  TempDir dir;
  std::string base = server.Url("");
  WriteFile(dir / "list.txt", "# a comment\n"
                              "\n"
                              "   " + base + "/p1   \n"          // line 3: whitespace around
                              + base + "/p2\n"                   // line 4
                              + "HTTP://127.0.0.1:" + std::to_string(server.port()) + "/p2#frag\n"  // 5: duplicate
                              + base + "/missing\n"              // 6
                              + "ftp://example.com/file\n"       // 7
                              + "this is not a url\n"            // 8
                              + base + "/broken\n"               // 9
                              + "\t# indented comment\n"         // 10
                              + base + "/p1\n");                 // 11: duplicate
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", dir / "list.txt"}, "noise");
  CHECK(f.exit_code == 0);
  std::string db = dir / "r.db";
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 6);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == 6);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200 AND title LIKE 'Page %'") == 2);
  CHECK(Scalar(db, "SELECT status FROM results WHERE url LIKE '%/missing'") == 404);
  CHECK(Scalar(db, "SELECT status FROM results WHERE url LIKE '%/broken'") == 503);
  CHECK(Text(db, "SELECT error FROM results WHERE list_line = 7") == "unsupported_scheme");
  CHECK(Text(db, "SELECT error FROM results WHERE list_line = 8") == "invalid_url");
  CHECK(Text(db, "SELECT url FROM results WHERE list_line = 8") == "this is not a url");
  CHECK(Scalar(db, "SELECT list_line FROM results WHERE url LIKE '%/p1'") == 3);
  CHECK(Scalar(db, "SELECT lines_duplicate FROM runs") == 2);
  CHECK(Scalar(db, "SELECT lines_invalid FROM runs") == 2);
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
  CHECK(f.err.find("list.txt:7: unsupported_scheme") != std::string::npos);
  CHECK(f.err.find("list.txt:8: invalid_url") != std::string::npos);
  CHECK(Scalar(db, "SELECT count(*) FROM frontier") == 0);  // cleared once the run completed
}

TEST_CASE("the list can come from standard input, and --json prints a machine summary") {
  TestServer server;
  ServeSite(server);
  TempDir dir;
  WriteFile(dir / "stdin.txt", ListOf(server, 5));
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--json", "--quiet", "-"}, "stdin", dir / "stdin.txt");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(dir / "r.db", "SELECT count(*) FROM results WHERE status = 200") == 5);
  CHECK(f.out.find("\"status\":\"completed\"") != std::string::npos);
  CHECK(f.out.find("\"ok\":5") != std::string::npos);
  CHECK(f.err.empty());
}

TEST_CASE("an unreadable list or an unusable database is a clear error with exit code 2, and no file is made") {
  TempDir dir;
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", dir / "nope.txt"}, "nolist");
  CHECK(f.exit_code == 2);
  CHECK(f.err.find("cannot read") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "r.db"));
  WriteFile(dir / "junk.db", std::string(4096, 'j'));
  WriteFile(dir / "list.txt", "http://127.0.0.1:1/\n");
  auto g = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "junk.db", dir / "list.txt"}, "junkdb");
  CHECK(g.exit_code == 2);
  CHECK(g.err.find("not a database") != std::string::npos);
  auto h = Run({GREENCRAWL_BIN, "crawl", "--concurrency", "0", dir / "list.txt"}, "badopt");
  CHECK(h.exit_code == 2);
  auto r = Run({GREENCRAWL_BIN, "report", "--db", dir / "missing.db"}, "nodb");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("cannot open database") != std::string::npos);
}

TEST_CASE("killed with SIGKILL three times mid-crawl, --resume finishes the same run with exactly one row per URL") {
  TestServer server;
  ServeSite(server, 40);
  TempDir dir;
  const int n = 600;
  WriteFile(dir / "list.txt", ListOf(server, n));
  std::string db = dir / "r.db";
  int64_t partial = 0;
  for (int kill_no = 0; kill_no < 3; ++kill_no) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "10"};
    if (kill_no > 0) args.push_back("--resume");
    args.push_back(dir / "list.txt");
    auto child = Start(args, "kill9-" + std::to_string(kill_no));
    // Wait until more rows are committed, then kill without warning.
    REQUIRE(WaitForRows(db, partial + 20, std::chrono::seconds(120)));
    kill(child.pid, SIGKILL);
    auto killed = Wait(child);
    CHECK(killed.signal == SIGKILL);
    int64_t now = Scalar(db, "SELECT count(*) FROM results");
    CHECK(now > partial);
    partial = now;
    CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == partial);  // never a URL twice
    CHECK(Text(db, "SELECT status FROM runs") == "running");
  }
  CHECK(partial < n);

  auto resumed = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--concurrency", "50", dir / "list.txt"}, "resume");
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("resuming run 1") != std::string::npos);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
  CHECK(Scalar(db, "SELECT count(*) FROM results") == n);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == n);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == n);
}

// 100 distinct URLs on lines 1-100, then repeats of them to line 300,000, with one malformed line near the
// end: reading it takes far longer than the first requests.
std::string LongListOfRepeats(const TestServer& server) {
  std::string list;
  for (int line = 1; line <= 300'000; ++line) {
    if (line == 299'990) {
      list += "ftp://bad.example/x\n";
    } else {
      list += server.Url("/p" + std::to_string((line - 1) % 100)) + "\n";
    }
  }
  return list;
}

// The one run of LongListOfRepeats completed: its counts, and each URL exactly once.
void CheckLongListOfRepeatsDone(const std::string& db) {
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
  CHECK(Scalar(db, "SELECT urls_total FROM runs") == 100);
  CHECK(Scalar(db, "SELECT lines_invalid FROM runs") == 1);
  CHECK(Scalar(db, "SELECT lines_duplicate FROM runs") == 299'899);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 101);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == 101);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 100);
}

TEST_CASE("a long list is fetched while it is read: the first request comes before the list's end, each URL once") {
  TestServer server;
  TempDir dir;
  std::string db = dir / "r.db";
  // Whether the run's list count was still unknown (NULL: the list not read to its end) when the first
  // request arrived. Before the list was read while fetching, it never was.
  std::atomic<int> first_saw = -2;  // -2: no request yet; -1: NULL; else urls_total
  server.Handle("/p*", [&](const HttpRequest& req, Conn& c) {
    int expected = -2;
    if (first_saw.load() == -2) {
      int seen = int(Scalar(db, "SELECT urls_total FROM runs"));
      first_saw.compare_exchange_strong(expected, seen);
    }
    c.Respond(200, "<title>Page " + req.path.substr(2) + "</title>");
  });
  WriteFile(dir / "list.txt", LongListOfRepeats(server));
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "10", dir / "list.txt"}, "feed");
  CHECK(f.exit_code == 0);
  CHECK(first_saw.load() == -1);
  CHECK(f.err.find("while it is read") != std::string::npos);
  // The malformed line is named by its number, though it was read while the crawl ran.
  CHECK(f.err.find("list.txt:299990: unsupported_scheme: ftp://bad.example/x") != std::string::npos);
  CHECK(f.err.find("list.txt read: 100 URLs (1 invalid, 299899 duplicate lines)") != std::string::npos);
  CheckLongListOfRepeatsDone(db);
  CHECK(Scalar(db, "SELECT list_line FROM results WHERE error = 'unsupported_scheme'") == 299'990);
  CHECK(server.Requests() == 100);
  CHECK(Scalar(db, "SELECT count(*) FROM frontier") == 0);
}

TEST_CASE("a redirect to a non-public host the list names only near its end is followed, as when read whole") {
  // The private-address guard admits a redirect to a loopback host only when the list names that host.
  // Read while the crawl runs, the list has not named it yet when the redirect is fetched.
  TestServer server;             // 127.0.0.1
  TestServer other("127.0.0.2");  // loopback too: only the listed-hosts rule tells them apart
  ServeSite(server);
  ServeSite(other);
  server.Handle("/hop", [&other](const HttpRequest&, Conn& c) {
    c.Respond(302, "", "text/plain", {{"Location", other.Url("/p7")}});
  });
  TempDir dir;
  std::string list = server.Url("/hop") + "\n";
  for (int line = 2; line < 300'000; ++line) list += server.Url("/p" + std::to_string(line % 300)) + "\n";
  list += other.Url("/p1") + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "r.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "10", dir / "list.txt"}, "feed-guard");
  CHECK(f.exit_code == 0);
  CHECK(f.err.find("while it is read") != std::string::npos);
  CHECK(Text(db, "SELECT coalesce(error, 'none') FROM results WHERE url LIKE '%/hop'") == "none");
  CHECK(Scalar(db, "SELECT status FROM results WHERE url LIKE '%/hop'") == 200);
  CHECK(Text(db, "SELECT final_url FROM results WHERE url LIKE '%/hop'") == other.Url("/p7"));
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 302);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 302);
}

TEST_CASE("killed with SIGKILL while the list is still read, --resume reads it again and finishes every URL once") {
  TestServer server;
  ServeSite(server, 100);  // slow pages: the crawl outlasts the reading
  TempDir dir;
  WriteFile(dir / "list.txt", LongListOfRepeats(server));
  std::string db = dir / "r.db";
  auto child = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "2", dir / "list.txt"}, "feed-kill9");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(120)));
  int64_t total_at_kill = Scalar(db, "SELECT urls_total FROM runs");
  kill(child.pid, SIGKILL);
  CHECK(Wait(child).signal == SIGKILL);
  MESSAGE("killed with urls_total " << (total_at_kill < 0 ? std::string("unknown (the list still being read)")
                                                         : std::to_string(total_at_kill)));
  auto resumed = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--concurrency", "50", dir / "list.txt"},
                     "feed-resume");
  CHECK(resumed.exit_code == 0);
  CheckLongListOfRepeatsDone(db);
}

TEST_CASE("SIGINT stops gracefully: rows committed, run interrupted, exit code 3; a second run resumes it") {
  TestServer server;
  ServeSite(server, 100);
  TempDir dir;
  const int n = 300;
  WriteFile(dir / "list.txt", ListOf(server, n));
  std::string db = dir / "r.db";
  auto child = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "5", dir / "list.txt"}, "sigint");
  // Interrupt once some results are committed (not after a fixed time: a loaded machine starts slowly).
  REQUIRE(WaitForRows(db, 5, std::chrono::seconds(120)));
  auto t0 = std::chrono::steady_clock::now();
  kill(child.pid, SIGINT);
  auto f = Wait(child);
  double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(f.exit_code == 3);
  CHECK(stop_s < 60);  // a bound against hanging (the grace period is 5 s), not a speed test
  CHECK(f.err.find("SIGINT") != std::string::npos);
  CHECK(Text(db, "SELECT status FROM runs") == "interrupted");
  int64_t done = Scalar(db, "SELECT count(*) FROM results");
  CHECK(done > 0);
  CHECK(done < n);
  CHECK(Scalar(db, "SELECT count(*) FROM frontier WHERE done = 0") == n - done);

  auto again = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--concurrency", "100", dir / "list.txt"}, "after");
  CHECK(again.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == n);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == n);
}

TEST_CASE("another process can read the database while the crawl writes it") {
  // The server answers only as many pages as the test has allowed so far: the crawl is still running
  // at each of the test's reads, on any machine (not ~3 s of crawling that a starved reader could miss).
  // Before the server, so it outlives the server's handler threads.
  std::atomic<int> allowed{0};
  TestServer server;
  server.Handle("/p*", [&allowed](const HttpRequest&, Conn& c) {
    for (;;) {
      int left = allowed.load();
      if (left > 0 && allowed.compare_exchange_weak(left, left - 1)) break;
      if (!c.Sleep(2)) return;
    }
    c.Respond(200, "<title>p</title>");
  });
  TempDir dir;
  const int n = 300;
  WriteFile(dir / "list.txt", ListOf(server, n));
  std::string db = dir / "r.db";
  // --timeout: a page held back is not a slow one.
  auto child = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "4", "--timeout", "600", dir / "list.txt"},
                     "reader");
  std::set<int64_t> seen;
  for (int step = 1; step <= 3; ++step) {
    allowed += 50;
    // Read from this process while the crawl holds the database open for writing (WaitForRows reads too).
    CHECK(WaitForRows(db, step * 50 - 1, std::chrono::seconds(120)));
    seen.insert(Scalar(db, "SELECT count(*) FROM results"));
  }
  allowed += n;
  auto f = Wait(child);
  CHECK(f.exit_code == 0);
  CHECK(seen.size() == 3);  // progress was visible while it ran, step by step, not only at the end
  CHECK(*seen.rbegin() < n);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == n);
}

TEST_CASE("a large list against a fast local server: every URL recorded once, memory bounded") {
  TestServer server;
  ServeSite(server);
  TempDir dir;
  WriteFile(dir / "list.txt", ListOf(server, kBigList));
  std::string db = dir / "r.db";
  auto t0 = std::chrono::steady_clock::now();
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "32", "--quiet", dir / "list.txt"}, "big");
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == kBigList);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == kBigList);
  MESSAGE(kBigList << " URLs in " << wall << " s, peak RSS " << f.max_rss_kb / 1024 << " MB");
#ifndef GC_SANITIZED
  CHECK(f.max_rss_kb < 200 * 1024);
#endif
}

TEST_CASE("600 in flight, spread over several libcurl multi handles: every URL once, each with its own answer") {
  // Above 256 in flight the session splits its transfers over several Fetchers on one loop (crawl_session.cc,
  // kConnectionsPerShard). The server holds each answer 300 ms, so that far more than one shard's worth is
  // in flight at once; every row must carry its own URL's page.
  TestServer server;
  ServeSite(server, 300);
  TempDir dir;
  WriteFile(dir / "list.txt", ListOf(server, 1'800));
  std::string db = dir / "r.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "600", "--quiet", dir / "list.txt"}, "shards");
  CHECK(f.exit_code == 0);
  CHECK(server.PeakInFlight() > 256);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == 1'800);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200 AND "
                   "title = 'Page ' || substr(url, instr(url, '/p') + 2)") == 1'800);
  CHECK(Scalar(db, "SELECT count(*) FROM frontier") == 0);  // nothing left pending
}

TEST_CASE("--cookies keeps one jar for the run across those multi handles: robots.txt's cookie reaches every page") {
  // A recursive crawl fetches robots.txt first, on one of the session's Fetchers; 600 in flight spread the
  // index's 1,200 links over several. Each had its own libcurl share (and cookie jar) until they shared
  // the first one's: then only the pages on robots.txt's Fetcher carried its cookie.
  TestServer server;
  std::atomic<int> with_cookie{0}, without{0}, arrived{0};
  std::atomic<bool> enough{false};  // 300 pages asked for at once: more than one Fetcher's 256
  server.Handle("/robots.txt", [](const HttpRequest&, Conn& c) {
    c.Respond(200, "User-agent: *\nAllow: /\n", "text/plain", {{"Set-Cookie", "consent=yes; Path=/"}});
  });
  std::string index = "<title>index</title>";
  for (int i = 0; i < 1'200; ++i) index += "<a href=\"/p" + std::to_string(i) + "\">" + std::to_string(i) + "</a>\n";
  server.Handle("/index.html", [index](const HttpRequest&, Conn& c) { c.Respond(200, index); });
  server.Handle("/p*", [&](const HttpRequest& req, Conn& c) {
    (req.Header("cookie").find("consent=yes") != std::string::npos ? with_cookie : without)++;
    // Held until 300 are in flight (a gate, not a sleep: on a loaded machine 200 ms held only 218 once).
    if (++arrived >= 300) enough = true;
    if (!c.WaitUntil(enough)) return;
    c.Respond(200, "<title>Page " + req.path.substr(2) + "</title>");
  });
  TempDir dir;
  WriteFile(dir / "seed.txt", server.Url("/index.html") + "\n");
  std::string db = dir / "r.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--cookies", "--depth", "1", "--concurrency", "600", "--quiet",
                dir / "seed.txt"},
               "cookie-shards");
  CHECK(f.exit_code == 0);
  CHECK(server.PeakInFlight() > 256);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 1'201);
  CHECK(without.load() == 0);
  CHECK(with_cookie.load() == 1'200);
}

TEST_CASE("--per-host and --delay hold for each host, measured from the servers' own logs") {
  TestServer a("127.0.0.1"), b("127.0.0.2");
  for (TestServer* s : {&a, &b}) {
    s->Handle("/p*", [](const HttpRequest&, Conn& c) {
      c.Sleep(30);
      c.Respond(200, "<title>t</title>");
    });
  }
  TempDir dir;
  std::string list;
  for (int i = 0; i < 12; ++i) list += a.Url("/p" + std::to_string(i)) + "\n" + b.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--concurrency", "20", "--per-host", "2", "--delay",
                "100", "--quiet", dir / "list.txt"},
               "polite");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(dir / "r.db", "SELECT count(*) FROM results WHERE status = 200") == 24);
  for (TestServer* s : {&a, &b}) {
    auto log = s->Log();
    REQUIRE(log.size() == 12);
    std::sort(log.begin(), log.end(), [](auto& x, auto& y) { return x.start_s < y.start_s; });
    double min_gap2 = 1e9;
    for (size_t i = 2; i < log.size(); ++i) {
      // Arrivals at the server, two apart: a loaded machine can bunch two neighbours together (it delays
      // one arrival, never starts the crawler's requests earlier), but not three. Without --delay these
      // would be ~30 ms (2 in flight, 30 ms answers).
      min_gap2 = std::min(min_gap2, log[i].start_s - log[i - 2].start_s);
    }
    CHECK(s->PeakInFlight() <= 2);
    // 100 ms between request starts: 200 ms between every other one, minus what one late arrival can
    // take off, and 1.1 s for 12 starts, minus one late first arrival.
    CHECK(min_gap2 >= 0.100);
    CHECK(log.back().start_s - log.front().start_s >= 1.0);
  }
  // Both hosts were crawled side by side: 12 requests 100 ms apart take ~1.1 s per host, not 2.2 s in all.
  auto la = a.Log(), lb = b.Log();
  double a_end = 0, b_start = 1e9;
  for (auto& e : la) a_end = std::max(a_end, e.end_s);
  for (auto& e : lb) b_start = std::min(b_start, e.start_s);
  CHECK(b_start < a_end);
}
