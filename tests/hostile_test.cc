// Hostile pages against a recursive crawl (issue 15): amplification through long URLs, endless generated
// sites (traps), and a Crawl-delay meant to stall the run. Real binary, real server on 127.0.0.1.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "storage/sqlite.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

int64_t FileBytes(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : 0;
}

}  // namespace

TEST_CASE("a 60 KB <base href> times 10,000 links is counted, not stored: memory and database stay small") {
  TestServer s;
  std::string base = "/" + std::string(60'000, 'b') + "/";
  std::string page = "<title>amplify</title><base href='" + base + "'>";
  for (int i = 0; i < 10'000; ++i) page += "<a href='l" + std::to_string(i) + "'>x</a>";
  s.Handle("/index.html", [&](const HttpRequest&, Conn& c) { c.Respond(200, page); });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/index.html") + "\n");
  std::string db = dir / "amp.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "2", "--ignore-robots", dir / "list.txt"},
               "amplify");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 1);      // nothing followed
  CHECK(Scalar(db, "SELECT count(*) FROM links") == 0);        // nothing stored
  CHECK(Scalar(db, "SELECT status FROM results") == 200);
  CHECK(s.Requests() == 1);
  MESSAGE("peak RSS " << f.max_rss_kb / 1024 << " MB, database " << FileBytes(db) / 1024 << " KB");
  CHECK(FileBytes(db) + FileBytes(db + "-wal") < 8 << 20);
#ifndef GC_SANITIZED
  CHECK(f.max_rss_kb < 200 * 1024);
#endif
}

TEST_CASE("an endless generated site: trap guards and --max-pages end the crawl with every recorded page once") {
  TestServer s;
  // Every page links to a deeper copy of itself (/a/b/a/b/...), to 20 fresh pages, and to calendar
  // query variants of one path.
  s.Handle("/*", [](const HttpRequest& req, Conn& c) {
    std::string body = "<title>t</title><a href='" + req.path + "/a/b'>deeper</a>";
    static std::atomic<int> next{0};
    for (int i = 0; i < 20; ++i) body += "<a href='/fresh/" + std::to_string(next++) + "'>f</a>";
    for (int i = 0; i < 20; ++i) body += "<a href='/cal?day=" + std::to_string(next++) + "'>c</a>";
    c.Respond(200, body);
  });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/start") + "\n");
  std::string db = dir / "trap.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1000", "--ignore-robots", "--concurrency",
                "32", "--max-pages", "5000", dir / "list.txt"},
               "trap");
  CHECK(f.exit_code == 0);
  int64_t rows = Scalar(db, "SELECT count(*) FROM results");
  CHECK(rows == 5000);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == rows);
  // The repeating path is cut after three repetitions of a/b, and one path gets at most 1,000 queries.
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE url LIKE '%/a/b/a/b/a/b%'") == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE url LIKE '%/cal?day=%'") <= 1000);
  MESSAGE("peak RSS " << f.max_rss_kb / 1024 << " MB for " << rows << " pages");
#ifndef GC_SANITIZED
  CHECK(f.max_rss_kb < 200 * 1024);
#endif
}

TEST_CASE("a Crawl-delay of a day is capped by --max-crawl-delay") {
  TestServer s;
  s.Handle("/robots.txt", [](const HttpRequest&, Conn& c) {
    c.Respond(200, "User-agent: *\nCrawl-delay: 86399\n", "text/plain");
  });
  s.Handle("/*", [](const HttpRequest& req, Conn& c) {
    c.Respond(200, req.path == "/" ? "<a href='/a'>a</a><a href='/b'>b</a>" : "<title>x</title>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/") + "\n");
  std::string db = dir / "delay.db";
  // The test's own bound: a crawl that obeyed 86399 s would be killed here and fail.
  auto f = Run({"/usr/bin/timeout", "-s", "KILL", "120", GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1",
                "--max-crawl-delay", "0.2", dir / "list.txt"},
               "crawldelay");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 3);
}
