// Retries, end to end (issue 12.3): a transient failure delays its own URL only; a host slows down only
// when its server asks (429, 503, Retry-After). Everything is read from the test server's own log, by
// order and count, never by how long the crawl took.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

std::string List(TestServer& s, int n, const std::string& dir) {
  std::string text;
  for (int i = 0; i < n; ++i) text += s.Url("/p/" + std::to_string(i)) + "\n";
  WriteFile(dir + "/list.txt", text);
  return dir + "/list.txt";
}

}  // namespace

TEST_CASE("a reset delays only its URL: the host's other URLs go on during its backoff") {
  TestServer s;
  std::mutex mu;
  std::map<std::string, int> seen;
  s.Handle("/p/*", [&](const HttpRequest& req, Conn& c) {
    int n;
    {
      std::lock_guard lock(mu);
      n = ++seen[req.path];
    }
    int i = std::atoi(req.path.c_str() + 3);
    // One request per connection: libcurl retries a request that dies on a *reused* connection by
    // itself, and this test is about greencrawl's own retries.
    c.CloseAfter();
    if (i % 50 == 7 && n == 1) return c.Reset();  // 2 % of the URLs break their first connection
    if (!c.Sleep(5)) return;
    c.Respond(200, "<title>p" + std::to_string(i) + "</title>");
  });
  TempDir dir;
  std::string list = List(s, 300, dir.path);
  std::string db = dir / "r.db";
  // A 3 s backoff: long enough that a whole-host pause would stop everything else in the log.
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "10", "--retry-delay", "3000", list},
               "reset");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 300);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == 300);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200 AND error IS NULL") == 300);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE attempts = 2") == 6);
  auto log = s.Log();
  // For each reset URL: how many other requests started between its reset and its retry.
  for (int i = 7; i < 300; i += 50) {
    std::string path = "/p/" + std::to_string(i);
    double reset_at = -1, retry_at = -1;
    for (auto& e : log) {
      if (e.path != path) continue;
      if (reset_at < 0) {
        reset_at = e.end_s;
      } else {
        retry_at = e.start_s;
      }
    }
    REQUIRE(reset_at >= 0);
    REQUIRE(retry_at > reset_at);
    int others = 0;
    for (auto& e : log) others += e.path != path && e.start_s > reset_at && e.start_s < retry_at;
    // 10 in flight keep going; the whole list is fetched while one URL waits (unless it is near the end).
    if (i < 200) CHECK(others >= 50);
  }
}

TEST_CASE("429 with Retry-After slows the whole host; the URL is retried after it and recorded once") {
  TestServer s;
  std::atomic<int> hits{0};
  s.Handle("/p/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/p/3" && hits++ == 0) {
      return (void)c.Respond(429, "slow down", "text/plain", {{"Retry-After", "2"}});
    }
    if (!c.Sleep(5)) return;
    c.Respond(200, "<title>ok</title>");
  });
  TempDir dir;
  std::string list = List(s, 40, dir.path);
  std::string db = dir / "r.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "2", "--retry-delay", "100", list},
               "429");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 40);
  CHECK(Scalar(db, "SELECT attempts FROM results WHERE url LIKE '%/p/3'") == 2);
  auto log = s.Log();
  double told = -1;
  for (auto& e : log) {
    if (e.path == "/p/3") {
      told = e.end_s;
      break;
    }
  }
  REQUIRE(told >= 0);
  // The host waits (Retry-After: 2) once the crawler has read the 429: in the next 1.5 s at most the one
  // request the other worker sent before that can start. Without the wait, the remaining URLs (5 ms
  // each, 2 at a time) would all be done within those 1.5 s, and none would start after.
  int started = 0, after = 0;
  for (auto& e : log) {
    started += e.start_s > told && e.start_s < told + 1.5;
    after += e.start_s >= told + 1.5;
  }
  CHECK(started <= 1);
  CHECK(after >= 30);
}

TEST_CASE("a transfer that was receiving its body when the total timeout hit is not retried (it would only time out again)") {
  TestServer s;
  s.Handle("/slow", [](const HttpRequest&, Conn& c) {
    if (!c.Send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000000\r\n\r\n")) return;
    // 40 KB/s for up to 2 minutes: steady progress, far from done when the 1 s timeout hits, however late
    // a busy machine lets the crawler see it.
    for (int i = 0; i < 4800 && c.Send(std::string(1024, 'x')); ++i) {
      if (!c.Sleep(25)) return;
    }
  });
  s.Handle("/silent", [](const HttpRequest&, Conn& c) { c.Sleep(120'000); });  // ends at once when the server stops
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/slow") + "\n" + s.Url("/silent") + "\n");
  std::string db = dir / "t.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--timeout", "1", "--retries", "2", "--retry-delay",
                "10", dir / "list.txt"},
               "progress-timeout");
  CHECK(f.exit_code == 0);
  CHECK(Text(db, "SELECT error FROM results WHERE url LIKE '%/slow'") == "timeout");
  CHECK(Scalar(db, "SELECT attempts FROM results WHERE url LIKE '%/slow'") == 1);
  // A server that sent nothing at all is still retried.
  CHECK(Text(db, "SELECT error FROM results WHERE url LIKE '%/silent'") == "timeout");
  CHECK(Scalar(db, "SELECT attempts FROM results WHERE url LIKE '%/silent'") == 3);
  int slow = 0;
  for (auto& e : s.Log()) slow += e.path == "/slow";
  CHECK(slow == 1);
}
