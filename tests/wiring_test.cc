// Options that the command line takes reach the engine's transfers, end to end through the binary:
// --cookies, --proxy, -v. (Their fetcher-level behaviour is in fetch_options_test.)
#include <doctest/doctest.h>

#include <atomic>
#include <string>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

TEST_CASE("--cookies: a cookie set on a redirect comes back on the next hop; without it, it does not") {
  TestServer s;
  s.Handle("/login", [](const HttpRequest&, Conn& c) {
    c.Respond(302, "", "text/plain", {{"Location", "/home"}, {"Set-Cookie", "session=abc; Path=/"}});
  });
  s.Handle("/home", [](const HttpRequest& req, Conn& c) {
    std::string cookie = req.Header("cookie");
    c.Respond(200, "<title>" + (cookie.empty() ? std::string("none") : cookie) + "</title>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/login") + "\n");
  auto with = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "with.db", "--quiet", "--cookies", dir / "list.txt"}, "cookies");
  CHECK(with.exit_code == 0);
  CHECK(Text(dir / "with.db", "SELECT title FROM results") == "session=abc");
  auto without = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "without.db", "--quiet", dir / "list.txt"}, "nocookies");
  CHECK(Text(dir / "without.db", "SELECT title FROM results") == "none");
}

TEST_CASE("--proxy sends every request to the proxy in absolute form") {
  TestServer proxy;
  std::atomic<int> absolute{0};
  proxy.Handle("*", [&](const HttpRequest& req, Conn& c) {
    if (req.target.rfind("http://", 0) == 0) ++absolute;
    c.Respond(200, "<title>via proxy</title>");
  });
  TempDir dir;
  // A host that does not exist: only the proxy can answer for it.
  WriteFile(dir / "list.txt", "http://unreachable.invalid/a\nhttp://unreachable.invalid/b\n");
  // The proxy is on 127.0.0.1: the private-address guard cannot see targets behind it and lets it be.
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "p.db", "--quiet", "--proxy",
                proxy.Url(""), dir / "list.txt"},
               "proxy");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(dir / "p.db", "SELECT count(*) FROM results WHERE title = 'via proxy'") == 2);
  CHECK(absolute == 2);
}

TEST_CASE("-v prints one line per URL on stderr: outcome and URL") {
  TestServer s;
  s.Handle("/ok", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>ok</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/ok") + "\n" + s.Url("/missing") + "\n");
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "v.db", "-v", dir / "list.txt"}, "verbose");
  CHECK(f.exit_code == 0);
  CHECK(f.err.find("200 " + s.Url("/ok")) != std::string::npos);
  CHECK(f.err.find("404 " + s.Url("/missing")) != std::string::npos);
}
