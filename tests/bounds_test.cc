// Bounds that must hold whatever the crawl meets (issue 30, item 7): memory for bodies that does not grow
// with --concurrency x --max-size, a cookie jar capped as browsers cap theirs, robots.txt matching that
// does not grow with crafted rules. Real binary, real server on 127.0.0.1.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

// `n` URLs on `s`, one a line, each a gzip bomb of 64 MiB of HTML (64 KB on the wire): each keeps up to
// 16 MiB (all in flight at once), then ends as too_large (a compression bomb past 16 MiB).
std::string BombList(TestServer& s, const std::string& bomb, int n) {
  s.Handle("/bomb/*", [&bomb](const HttpRequest&, Conn& c) {
    c.Respond(200, bomb, "text/html", {{"Content-Encoding", "gzip"}});
  });
  std::string list;
  for (int i = 0; i < n; ++i) list += s.Url("/bomb/" + std::to_string(i)) + "\n";
  return list;
}

}  // namespace

TEST_CASE("gzip bombs at --concurrency 16 and 64: peak RSS stays under the body budget, not concurrency x max-size") {
  std::string html = "<html><title>bomb</title>" + std::string((64 << 20) + 4096 - 25, ' ');
  const std::string bomb = Gzip(html);
  for (int concurrency : {16, 64}) {
    CAPTURE(concurrency);
    TestServer s;
    TempDir dir;
    WriteFile(dir / "list.txt", BombList(s, bomb, concurrency));
    std::string db = dir / "bombs.db";
    auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--ignore-robots", "--concurrency",
                  std::to_string(concurrency), dir / "list.txt"},
                 "bombs");
    CHECK(f.exit_code == 0);
    CHECK(Scalar(db, "SELECT count(*) FROM results WHERE error = 'too_large'") == concurrency);
    MESSAGE("concurrency " << concurrency << ": peak RSS " << f.max_rss_kb / 1024 << " MB");
#ifndef GC_SANITIZED
    // Bodies: at most 16 MiB each and 256 MiB in all (crawler/body_budget.h); before, 64 MiB each
    // (1 GiB at 16, 4 GiB at 64). The rest is the process, libcurl's buffers and zlib's windows.
    CHECK(f.max_rss_kb < 400 * 1024);
#endif
  }
}

TEST_CASE("a crafted 500 KiB robots.txt: every URL is still judged (refused), each once") {
  // 4,000 rules that each scan the whole path and fail: a check runs out of its step budget (fail closed).
  std::string robots = "User-agent: *\n";
  for (int i = 0; i < 4000; ++i) {
    std::string p = "/";
    for (int k = 0; k < 50; ++k) p += "*a";
    robots += "Disallow: " + p + "*b" + std::to_string(i) + "\n";
  }
  REQUIRE(robots.size() < 500 * 1024);
  TestServer s;
  s.Handle("/robots.txt", [&robots](const HttpRequest&, Conn& c) { c.Respond(200, robots, "text/plain"); });
  s.Handle("/*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>page</title>"); });
  std::string list;
  const int kUrls = 300;
  for (int i = 0; i < kUrls; ++i) {
    list += s.Url("/b0123456789" + std::string(1000, 'a') + "/" + std::to_string(i)) + "\n";
  }
  TempDir dir;
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "robots.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1", dir / "list.txt"}, "robots");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE error = 'robots'") == kUrls);
  CHECK(s.Requests() == 1);  // robots.txt alone
}
