// Hostile pages against a recursive crawl (issue 15): amplification through long URLs, endless generated
// sites (traps), and a Crawl-delay meant to stall the run. Real binary, real server on 127.0.0.1.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <mutex>
#include <set>
#include <vector>
#include <string>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

int64_t FileBytes(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : 0;
}

// Issue 30's pages (tests/page_parser_test.cc has the same): 500 formatting elements gumbo reconstructs
// in every <p>, and one element with n attributes gumbo compares pairwise. Each links to `found` first.
std::string FormattingBomb(size_t bytes, const std::string& found) {
  std::string html = "<title>bomb</title><a href='" + found + "'>f</a><p>";
  for (int i = 0; i < 500; ++i) html += "<b id=" + std::to_string(i) + ">";
  html += "</p>";
  while (html.size() < bytes) html += "<p>x</p>";
  return html;
}
std::string AttributeBomb(size_t n, const std::string& found) {
  std::string html = "<title>bomb</title><a href='" + found + "'>f</a><div";
  for (size_t i = 0; i < n; ++i) html += " a" + std::to_string(i);
  return html + ">x</div>";
}

// True once `c` has exited (it stays a zombie for Wait to reap); polls for at most `limit`, a bound for a
// hung process far above what the test expects, not a measure of speed.
bool ExitsWithin(const Child& c, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    siginfo_t info{};
    if (waitid(P_PID, id_t(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c.pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
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

TEST_CASE("a database deleted during the crawl stops it with an error, not a 'completed' run into nothing") {
  TestServer s;
  s.Handle("/*", [](const HttpRequest&, Conn& c) {
    if (!c.Sleep(20)) return;
    c.Respond(200, "<title>x</title>");
  });
  TempDir dir;
  std::string list;
  for (int i = 0; i < 400; ++i) list += s.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "gone.db";
  auto child = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "2", dir / "list.txt"}, "gone");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(60)));
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  auto f = Wait(child);
  CHECK(f.exit_code == 1);
  CHECK(f.err.find("deleted or replaced") != std::string::npos);
  CHECK(s.Requests() < 400);  // it stopped instead of crawling on into an unlinked file
}

TEST_CASE("credential headers go only to the listed origins (pages and robots.txt), other headers everywhere") {
  TestServer a("127.0.0.1"), b("127.0.0.2");
  std::mutex mu;
  std::vector<std::string> seen;  // "host path auth|- plain|-"
  auto record = [&](TestServer& s, const HttpRequest& req) {
    std::lock_guard lock(mu);
    seen.push_back((&s == &a ? "A " : "B ") + req.path + " " + (req.Header("authorization").empty() ? "-" : "auth") +
                   " " + (req.Header("x-plain").empty() ? "-" : "plain"));
  };
  a.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    record(a, req);
    if (req.path == "/robots.txt") return (void)c.Respond(404, "", "text/plain");
    if (req.path == "/jump") return (void)c.Respond(302, "", "text/plain", {{"Location", b.Url("/landed")}});
    c.Respond(200, "<a href='" + b.Url("/page") + "'>b</a><a href='/jump'>jump</a>");
  });
  b.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    record(b, req);
    if (req.path == "/robots.txt") return (void)c.Respond(404, "", "text/plain");
    c.Respond(200, "<title>b</title>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", a.Url("/") + "\n");
  std::string db = dir / "cred.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1", "--scope", "any", "--allow-private", "--header",
                "Authorization: Bearer s3cret", "--header", "X-Plain: 1", dir / "list.txt"},
               "cred");
  CHECK(f.exit_code == 0);
  // Stored redacted: the database is read by people and reports.
  std::string options = Text(db, "SELECT options FROM runs");
  CHECK(options.find("s3cret") == std::string::npos);
  CHECK(options.find("Authorization: <redacted>") != std::string::npos);
  CHECK(options.find("X-Plain: 1") != std::string::npos);
  std::set<std::string> got(seen.begin(), seen.end());
  // A's /jump redirects to B: with credentials on board the redirect is not followed (libcurl would
  // drop Authorization there, but not X-Api-Key and the like), and the result says why.
  CHECK(got == std::set<std::string>{"A /robots.txt auth plain", "A / auth plain", "A /jump auth plain",
                                     "B /robots.txt - plain", "B /page - plain"});
  CHECK(Text(db, "SELECT error FROM results WHERE url LIKE '%/jump'") == "credential_redirect");
}

TEST_CASE("links and redirects into non-public addresses are refused unless the list names the host") {
  TestServer a("127.0.0.1"), inner("127.0.0.2");
  inner.Handle("/*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>internal</title>"); });
  std::string port = std::to_string(inner.port());
  a.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/robots.txt") return (void)c.Respond(404, "", "text/plain");
    if (req.path == "/redirect") {
      return (void)c.Respond(302, "", "text/plain", {{"Location", inner.Url("/metadata")}});
    }
    c.Respond(200, "<a href='" + inner.Url("/secret") + "'>in</a><a href='http://localhost:" + port +
                       "/x'>lh</a><a href='http://2130706434:" + port + "/y'>numeric</a><a href='/redirect'>r</a>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", a.Url("/") + "\n");
  std::string db = dir / "ssrf.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1", "--scope", "any", dir / "list.txt"},
               "ssrf");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT status FROM results WHERE url = '" + a.Url("/") + "'") == 200);  // the list names it
  // 127.0.0.2 three ways (a link, localhost, a numeric spelling: localhost may resolve to ::1 or 127.0.0.1)
  // and a redirect: each one result, refused, and the internal server never saw a request.
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE error = 'private_address'") == 4);
  CHECK(inner.Received() == 0);
  CHECK(Text(db, "SELECT title FROM results WHERE error = 'private_address' LIMIT 1").empty());
  // --deny-private refuses even the listed host; --allow-private lets everything through.
  auto deny = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "deny.db", "--quiet", "--deny-private", dir / "list.txt"},
                  "ssrf-deny");
  CHECK(Scalar(dir / "deny.db", "SELECT count(*) FROM results WHERE error = 'private_address'") == 1);
  auto allow = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "allow.db", "--quiet", "--depth", "1", "--scope", "any",
                    "--allow-private", dir / "list.txt"},
                   "ssrf-allow");
  CHECK(Scalar(dir / "allow.db", "SELECT count(*) FROM results WHERE error = 'private_address'") == 0);
  CHECK(inner.Received() > 0);
}

TEST_CASE("CSV export neutralises cells a spreadsheet would run as formulas; numbers stay numbers") {
  TestServer s;
  s.Handle("/f", [](const HttpRequest&, Conn& c) {
    c.Respond(200, "<title>=HYPERLINK(\"http://evil.example/\",\"click\")</title>");
  });
  s.Handle("/g", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>@SUM(1+1)</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/f") + "\n" + s.Url("/g") + "\n");
  std::string db = dir / "csv.db";
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", dir / "list.txt"}, "csv").exit_code == 0);
  auto e = Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv"}, "csv-export");
  CHECK(e.exit_code == 0);
  CHECK(e.out.find("\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\"") != std::string::npos);
  CHECK(e.out.find("'@SUM(1+1)") != std::string::npos);
  CHECK(e.out.find(",=HYPERLINK") == std::string::npos);
  CHECK(e.out.find(",200,") != std::string::npos);  // numeric cells untouched
  // Each row says where its URL came from, as the results table does.
  CHECK(e.out.substr(0, e.out.find('\n')).find(",list_line,attempts,unchanged,source_kind,source") !=
        std::string::npos);
  CHECK(e.out.find(",1,1,,list,,\r\n") != std::string::npos);  // list line 1, one attempt, from the list
}

TEST_CASE("SIGTERM while a long list is read: the run is interrupted, not left running; --resume finishes it exactly") {
  TempDir dir;
  std::string list;
  const int n = 60'000;
  // Port 1 refuses at once: the crawl is quick, the list reading is what the signal meets.
  for (int i = 0; i < n; ++i) list += "http://127.0.0.1:1/p" + std::to_string(i) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "load.db";
  auto child = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "50", dir / "list.txt"},
                     "sigterm-load");
  // The list commits every 20,000 lines: the first commit means reading is under way (or over already,
  // on a fast machine: then the session takes the signal, with the same outcome).
  for (int i = 0; i < 6000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    try {
      if (std::filesystem::exists(db) && Scalar(db, "SELECT count(*) FROM frontier") > 0) break;
    } catch (const gc::sql::Error&) {
    }
  }
  kill(child.pid, SIGTERM);
  auto f = Wait(child);
  CHECK(f.exit_code == 3);
  CHECK(Text(db, "SELECT status FROM runs") == "interrupted");
  auto again = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--resume", "--concurrency", "50", dir / "list.txt"},
                   "sigterm-resume");
  CHECK(again.exit_code == 0);
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
  CHECK(Scalar(db, "SELECT count(*) FROM results") == n);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == n);
  CHECK(Scalar(db, "SELECT urls_total FROM runs") == n);
  CHECK(Scalar(db, "SELECT lines_duplicate FROM runs") == 0);
}

TEST_CASE("--max-size refuses a size that would overflow instead of wrapping around") {
  TempDir dir;
  WriteFile(dir / "list.txt", "http://127.0.0.1:1/\n");
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "x.db", "--max-size", "17179869185G", dir / "list.txt"},
               "maxsize");
  CHECK(f.exit_code == 2);
  CHECK(f.err.find("--max-size") != std::string::npos);
}

TEST_CASE("credential headers stay with the listed origin: a redirect to another port of its host is not followed") {
  // Issue 30: the check compared hosts only, so 127.0.0.1:A redirecting to 127.0.0.1:B carried X-Api-Key
  // to an origin the list never named.
  TestServer a, b;  // both 127.0.0.1
  std::atomic<int> keys_at_b{0};
  a.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/robots.txt") return (void)c.Respond(404, "", "text/plain");
    if (req.path == "/jump") return (void)c.Respond(302, "", "text/plain", {{"Location", b.Url("/landed")}});
    c.Respond(200, "<title>a</title>");
  });
  b.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (!req.Header("x-api-key").empty()) ++keys_at_b;
    c.Respond(200, "<title>b</title>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", a.Url("/page") + "\n" + a.Url("/jump") + "\n");
  std::string db = dir / "port.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--allow-private", "--header", "X-Api-Key: s3cret",
                dir / "list.txt"},
               "cred-port");
  CHECK(f.exit_code == 0);
  CHECK(Text(db, "SELECT error FROM results WHERE url LIKE '%/jump'") == "credential_redirect");
  CHECK(Scalar(db, "SELECT status FROM results WHERE url LIKE '%/page'") == 200);
  CHECK(b.Received() == 0);
  CHECK(keys_at_b == 0);
}

TEST_CASE("a listed 127.0.0.1:port opens no other port of 127.0.0.1: not to a redirect, a link or a Sitemap: line") {
  TestServer a, inner;  // both 127.0.0.1: only the port tells the listed origin from the internal one
  inner.Handle("/*", [](const HttpRequest& req, Conn& c) {
    if (req.path == "/sitemap.xml") {
      return (void)c.Respond(200, "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'></urlset>",
                             "application/xml");
    }
    c.Respond(200, "<title>internal</title>");
  });
  a.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/robots.txt") {
      std::string robots = "User-agent: *\nAllow: /\nSitemap: " + inner.Url("/sitemap.xml") + "\n";
      return (void)c.Respond(200, robots, "text/plain");
    }
    if (req.path == "/redirect") return (void)c.Respond(302, "", "text/plain", {{"Location", inner.Url("/metadata")}});
    c.Respond(200, "<title>a</title><a href='" + inner.Url("/secret") + "'>in</a><a href='/redirect'>r</a>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", a.Url("/") + "\n");
  std::string db = dir / "ports.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1", "--scope", "any", "--sitemaps",
                dir / "list.txt"},
               "ssrf-port");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT status FROM results WHERE url = '" + a.Url("/") + "'") == 200);
  // The link, the redirect and the sitemap: each a result, refused; the sitemap's row says why too.
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE error = 'private_address'") == 3);
  CHECK(Text(db, "SELECT source_kind FROM results WHERE url = '" + inner.Url("/sitemap.xml") + "'") == "sitemap");
  CHECK(Text(db, "SELECT error FROM sitemaps WHERE url = '" + inner.Url("/sitemap.xml") + "'") == "private_address");
  CHECK(inner.Connections() == 0);  // refused before connecting: not a packet
}

TEST_CASE("malformed chunked encoding is recorded once as bad_response: not a reset, not retried") {
  TestServer s;
  s.Handle("/broken", [](const HttpRequest&, Conn& c) {
    c.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n");
    c.CloseAfter();
  });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/broken") + "\n");
  std::string db = dir / "chunked.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--retries", "2", "--retry-delay", "10",
                dir / "list.txt"},
               "chunked");
  CHECK(f.exit_code != 2);
  CHECK(Text(db, "SELECT error FROM results") == "bad_response");
  CHECK(Scalar(db, "SELECT attempts FROM results") == 1);
  CHECK(s.Received("/broken") == 1);
}

TEST_CASE("a too_large row names --max-size and records the size read up to it, or the announced one") {
  TestServer s;
  s.Handle("/endless", [](const HttpRequest&, Conn& c) {
    c.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n");
    std::string chunk = "4000\r\n" + std::string(0x4000, 'a') + "\r\n";
    for (int i = 0; i < 2000 && c.Send(chunk); ++i) {  // 32 MB at most: far over the cap
    }
  });
  s.Handle("/announced", [](const HttpRequest&, Conn& c) {
    c.Send("HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\nContent-Type: text/html\r\n\r\n");
    c.Sleep(10'000);
  });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/endless") + "\n" + s.Url("/announced") + "\n");
  std::string db = dir / "large.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--max-size", "1M", dir / "list.txt"}, "large");
  CHECK(f.exit_code != 2);
  CHECK(Text(db, "SELECT error FROM results WHERE url LIKE '%/endless'") == "too_large");
  CHECK(Scalar(db, "SELECT size FROM results WHERE url LIKE '%/endless'") == 1 << 20);
  CHECK(Text(db, "SELECT error_message FROM results WHERE url LIKE '%/endless'") == "body over --max-size 1M");
  CHECK(Scalar(db, "SELECT size FROM results WHERE url LIKE '%/announced'") == 5000000);
  CHECK(Text(db, "SELECT error_message FROM results WHERE url LIKE '%/announced'") ==
        "announced body over --max-size 1M");
}

TEST_CASE("a title's bidi overrides are stored as crawled and shown escaped in the HTML report and on a terminal") {
  TestServer s;
  const std::string rlo = "\xE2\x80\xAE", lri = "\xE2\x81\xA6";  // U+202E RIGHT-TO-LEFT OVERRIDE, U+2066
  std::atomic<int> version{0};
  s.Handle("/invoice", [&](const HttpRequest&, Conn& c) {
    std::string title = version == 0 ? "invoice" + rlo + "fdp.exe" : "report" + lri + "x";
    c.Respond(200, "<title>" + title + "</title>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/invoice") + "\n");
  std::string db = dir / "bidi.db";
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", dir / "list.txt"}, "bidi").exit_code == 0);
  CHECK(Text(db, "SELECT title FROM results") == "invoice" + rlo + "fdp.exe");  // the data as it is
  auto html = Run({GREENCRAWL_BIN, "report", "--db", db, "--html", "-o", "-"}, "bidi-html");
  CHECK(html.exit_code == 0);
  CHECK(html.out.find("invoice\\u202Efdp.exe") != std::string::npos);
  CHECK(html.out.find(rlo) == std::string::npos);
  // A second run with another title: diff prints both on the terminal.
  version = 1;
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", dir / "list.txt"}, "bidi2").exit_code == 0);
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db}, "bidi-diff");
  CHECK(diff.exit_code == 0);
  CHECK(diff.out.find("\"invoice\\u202Efdp.exe\" -> \"report\\u2066x\"") != std::string::npos);
  CHECK(diff.out.find(rlo) == std::string::npos);
  CHECK(diff.out.find(lri) == std::string::npos);
}

TEST_CASE("four pages that blow up gumbo do not hold up 100 others: those are recorded, the four as parse_limit") {
  TestServer s;
  for (int i = 0; i < 100; ++i) {
    s.Handle("/p" + std::to_string(i), Static("<title>page " + std::to_string(i) + "</title><a href='/p0'>home</a>",
                                             "text/html"));
  }
  // 165 KB and 1.6 MB took 3.78 GB and a SIGSEGV at 7.8 GB; 60,000 and 500,000 attributes 17.6 s and
  // more than 590 s.
  s.Handle("/bomb0", Static(FormattingBomb(165'000, "/found0"), "text/html"));
  s.Handle("/bomb1", Static(FormattingBomb(1'600'000, "/found1"), "text/html"));
  s.Handle("/bomb2", Static(AttributeBomb(60'000, "/found2"), "text/html"));
  s.Handle("/bomb3", Static(AttributeBomb(500'000, "/found3"), "text/html"));
  for (int i = 0; i < 4; ++i) s.Handle("/found" + std::to_string(i), Static("<title>found</title>", "text/html"));
  TempDir dir;
  std::string list;
  for (int i = 0; i < 104; ++i) {
    list += s.Url(i % 26 == 0 ? "/bomb" + std::to_string(i / 26) : "/p" + std::to_string(i - i / 26 - 1)) + "\n";
  }
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "bombs.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "1", "--ignore-robots", "--concurrency", "8",
                dir / "list.txt"},
               "bombs");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE url LIKE '%/p%' AND error IS NULL AND status = 200") == 100);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE url LIKE '%/bomb%' AND error = 'parse_limit' AND status = 200 "
                   "AND title = 'bomb' AND error_message LIKE 'over gumbo''s % budget (%): title and links are from "
                   "the first % of % bytes'") == 4);
  // The links found before the budget ran out are followed.
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE url LIKE '%/found%' AND error IS NULL") == 4);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 108);
  MESSAGE("peak RSS " << f.max_rss_kb / 1024 << " MB");
#ifndef GC_SANITIZED
  CHECK(f.max_rss_kb < 1024 * 1024);  // 4 parses at once, each within its budget (at most 51 MiB here)
#endif
}

TEST_CASE("a list crawl's title parse of a hostile page leaves the loop for the pool and records parse_limit") {
  TestServer s;
  s.Handle("/small", Static(FormattingBomb(21'000, "/x"), "text/html"));   // inline-sized: tried, given up
  s.Handle("/large", Static(FormattingBomb(165'000, "/x"), "text/html"));  // to the pool at once
  s.Handle("/fine", Static("<title>fine</title>", "text/html"));
  TempDir dir;
  WriteFile(dir / "list.txt", s.Url("/small") + "\n" + s.Url("/fine") + "\n" + s.Url("/large") + "\n");
  std::string db = dir / "list.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", dir / "list.txt"}, "list-bombs");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE error = 'parse_limit' AND title = 'bomb'") == 2);
  CHECK(Text(db, "SELECT title FROM results WHERE url LIKE '%/fine'") == "fine");
}

TEST_CASE("a stop while the parser threads are busy with hostile pages ends the crawl; --resume finishes it") {
  bool hard = true;
  int bombs = 8;
  SUBCASE("a second SIGINT: parses are cancelled at once") {}
  SUBCASE("one SIGTERM: after the grace period the abandoned transfers' parses are cancelled") {
    hard = false;
    bombs = 16;  // 23 s of CPU: the pool would still be busy long after the 5 s grace
  }
  TestServer s;
  std::atomic<bool> defused{false};
  const std::string bomb = AttributeBomb(500'000, "/found");  // 1.4 s of CPU and its prefixes as much again
  for (int i = 0; i < bombs; ++i) {
    s.Handle("/bomb" + std::to_string(i), [&](const HttpRequest&, Conn& c) {
      c.Respond(200, defused ? "<title>defused</title>" : bomb, "text/html");
    });
  }
  for (int i = 0; i < 20; ++i) s.Handle("/p" + std::to_string(i), Static("<title>p</title>", "text/html"));
  TempDir dir;
  std::string list;
  for (int i = 0; i < bombs; ++i) list += s.Url("/bomb" + std::to_string(i)) + "\n";
  for (int i = 0; i < 20; ++i) list += s.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "stop.db";
  std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--ignore-robots", "--concurrency",
                                   std::to_string(bombs), "--retries", "0", dir / "list.txt"};
  auto child = Start(args, "busy-stop");
  // All answered: their parses hold the four pool threads and queue behind them.
  auto bombs_served = [&] {
    size_t n = 0;
    for (int i = 0; i < bombs; ++i) n += s.Received("/bomb" + std::to_string(i));
    return n;
  };
  for (int i = 0; i < 3000 && bombs_served() < size_t(bombs); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(bombs_served() == size_t(bombs));
  kill(child.pid, hard ? SIGINT : SIGTERM);
  if (hard) {
    // The second signal only after the first was taken (two pending SIGINTs would merge into one).
    for (int i = 0; i < 3000 && ReadFile(child.err_path).find("stopping") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(child.pid, SIGINT);
  }
  bool exited = ExitsWithin(child, std::chrono::seconds(15));
  if (!exited) kill(child.pid, SIGKILL);
  auto f = Wait(child);
  CHECK(exited);
  CHECK(f.exit_code == 3);
  MESSAGE("run left " << Text(db, "SELECT status FROM runs"));  // interrupted; running if the watchdog ended it
  CHECK(Text(db, "SELECT status FROM runs") != "completed");
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE error = 'parse_limit'") == 0);  // a cut parse is not a result
  defused = true;
  args.insert(args.end() - 1, "--resume");
  args.insert(args.end() - 1, "--quiet");
  auto again = Run(args, "busy-stop-resume");
  CHECK(again.exit_code == 0);
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
  CHECK(Scalar(db, "SELECT count(*) FROM results") == bombs + 20);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == bombs + 20);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
}
