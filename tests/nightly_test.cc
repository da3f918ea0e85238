// Nightly runs tell the truth about the whole site, every night (issue 25), end to end against local
// sites: a 304 page's links come from the run whose validators were sent; a sitemap that cannot be read
// and a host whose robots.txt cannot be reached are failures, a robots.txt exclusion is not; --resume
// does not revive a run older than a completed one.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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

// A generated site: page i links to pages 3i+1, 3i+2, 3i+3 (a ternary tree of `pages` pages, 6 levels
// for 300) and back to the root. It answers If-None-Match like a real server, counts the body bytes it
// sent (its "wire log"), and a page can be changed or deleted between nights.
struct TreeSite {
  TestServer server;
  int pages;
  std::mutex mu;
  std::set<int> deleted;
  std::map<int, int> version;  // page -> its content version (default 1)
  std::atomic<int64_t> body_bytes{0};
  std::atomic<int> not_modified{0};
  std::atomic<int> full{0};

  explicit TreeSite(int n) : pages(n) {
    server.Handle("/p/*", [this](const HttpRequest& req, Conn& c) {
      int i = std::stoi(req.path.substr(3));
      int v;
      {
        std::lock_guard lock(mu);
        if (i < 0 || i >= pages || deleted.count(i)) return (void)c.Respond(404, "<title>Not Found</title>");
        v = version.count(i) ? version[i] : 1;
      }
      std::string etag = "\"" + std::to_string(i) + "-v" + std::to_string(v) + "\"";
      if (req.Header("if-none-match") == etag) {
        ++not_modified;
        return (void)c.Respond(304, "", "", {{"ETag", etag}});
      }
      std::string body = "<title>Page " + std::to_string(i) + " v" + std::to_string(v) + "</title>";
      for (int k = 1; k <= 3; ++k) {
        if (3 * i + k < pages) body += "<a href=\"/p/" + std::to_string(3 * i + k) + "\">child</a>";
      }
      body += "<a href=\"/p/0\">home</a>" + std::string(2000, ' ');
      ++full;
      body_bytes += int64_t(body.size());
      c.Respond(200, body, "text/html", {{"ETag", etag}});
    });
  }
  void Night() {
    body_bytes = 0;
    not_modified = 0;
    full = 0;
  }
};

bool Has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

std::set<std::string> Urls(const std::string& db, int run) {
  gc::sql::Database d(db, gc::sql::Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT url FROM results WHERE run_id = ?");
  st.Bind(1, int64_t(run));
  std::set<std::string> out;
  while (st.Step()) out.insert(st.Text(0));
  return out;
}

}  // namespace

TEST_CASE("a nightly recursive crawl with conditional requests covers the whole site every night, and finds a page deleted below an unchanged one") {
  TreeSite site(300);
  TempDir dir;
  WriteFile(dir / "site.txt", site.server.Url("/p/0") + "\n");
  std::string db = dir / "nightly.db";
  auto crawl = [&](const std::string& tag, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "-r", "--depth", "10", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir / "site.txt");
    return Run(args, tag);
  };

  site.Night();
  auto first = crawl("night1", {"--fail-on", "broken>0"});
  REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  std::set<std::string> all = Urls(db, 1);
  CHECK(all.size() == 300);
  int64_t bytes1 = site.body_bytes;

  for (int run : {2, 3}) {
    site.Night();
    auto again = crawl("night" + std::to_string(run), {"--fail-on", "broken>0"});
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK(Urls(db, run) == all);
    CHECK(site.not_modified == 300);  // every page answered 304 ...
    CHECK(site.full == 0);
    CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = " + std::to_string(run) +
                         " AND status = 304 AND unchanged = 1") == 300);
    // ... and each page's links are recorded for this run too, so the next night can carry them again.
    CHECK(Scalar(db, "SELECT count(*) FROM links WHERE run_id = " + std::to_string(run)) ==
          Scalar(db, "SELECT count(*) FROM links WHERE run_id = 1"));
    MESSAGE("night " << run << ": " << site.body_bytes.load() << " body bytes sent, against " << bytes1
                      << " on night 1; bytes received (results.wire_bytes): "
                      << Scalar(db, "SELECT sum(wire_bytes) FROM results WHERE run_id = " + std::to_string(run))
                      << " against " << Scalar(db, "SELECT sum(wire_bytes) FROM results WHERE run_id = 1"));
    CHECK(site.body_bytes * 20 < bytes1);
  }

  // Page 290 is a leaf whose parent, page 96, does not change: the parent answers 304 on night 4, and the
  // deleted child is still found through the parent's carried links.
  {
    std::lock_guard lock(site.mu);
    site.deleted.insert(290);
    site.version[5] = 2;  // and one page elsewhere changes: fetched in full, its links read anew
  }
  site.Night();
  auto fourth = crawl("night4", {"--fail-on", "new-broken>0"});
  CHECK_MESSAGE(fourth.exit_code == 5, fourth.err);
  CHECK(site.full == 1);
  CHECK(Urls(db, 4) == all);
  std::string deleted = site.server.Url("/p/290");
  CHECK(Scalar(db, "SELECT status FROM results WHERE run_id = 4 AND url = '" + deleted + "'") == 404);
  CHECK(Scalar(db, "SELECT status FROM results WHERE run_id = 4 AND url = '" + site.server.Url("/p/96") + "'") == 304);
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "diff");
  CHECK(diff.exit_code == 0);
  // Night 3 had it as a 304 (unchanged); night 4 as a 404. The changed page is the only other change.
  CHECK_MESSAGE(Has(diff.out, R"({"url":")" + deleted + R"(","kind":"status","before":{"status":304,"error":null},)"
                              R"("after":{"status":404,"error":null}})"),
                diff.out);
  CHECK(Has(diff.out, "\"changed_urls\":2}"));
  CHECK(Has(diff.out, "\"new_broken\":1,"));
}

TEST_CASE("a 304 page keeps its nofollow links unfollowed, its depth rules and its anchors for --check-fragments") {
  TestServer server;
  std::atomic<int> not_modified{0};
  auto page = [&](const std::string& etag, std::string body) {
    return [&, etag, body](const HttpRequest& req, Conn& c) {
      if (req.Header("if-none-match") == etag) {
        ++not_modified;
        return (void)c.Respond(304, "", "", {{"ETag", etag}});
      }
      c.Respond(200, body, "text/html", {{"ETag", etag}});
    };
  };
  server.Handle("/", page("\"root\"",
                          "<title>Root</title><a href=/a>a</a><a rel=nofollow href=/hidden>h</a>"
                          "<a href=/meta>m</a><a href=/a#here>ok</a><a href=/a#gone>bad</a>"));
  server.Handle("/a", page("\"a\"", "<title>A</title><h2 id=here>Here</h2><a href=/deep>deep</a>"));
  server.Handle("/deep", page("\"deep\"", "<title>Deep</title><a href=/deeper>deeper</a>"));
  server.Handle("/deeper", page("\"deeper\"", "<title>Deeper</title>"));
  server.Handle("/hidden", page("\"hidden\"", "<title>Hidden</title>"));
  server.Handle("/meta", page("\"meta\"", "<meta name=robots content=nofollow><title>Meta</title><a href=/behind>b</a>"));
  server.Handle("/behind", page("\"behind\"", "<title>Behind</title>"));
  TempDir dir;
  WriteFile(dir / "site.txt", server.Url("/") + "\n");
  std::string db = dir / "f.db";
  auto crawl = [&](const std::string& tag, const std::string& depth) {
    return Run({GREENCRAWL_BIN, "crawl", "--db", db, "--depth", depth, "--check-fragments", "-q", dir / "site.txt"}, tag);
  };
  REQUIRE(crawl("run1", "2").exit_code == 0);
  std::set<std::string> first = Urls(db, 1);
  CHECK(first == std::set<std::string>{server.Url("/"), server.Url("/a"), server.Url("/deep"), server.Url("/meta")});

  REQUIRE(crawl("run2", "2").exit_code == 0);
  CHECK(not_modified == 4);
  CHECK(Urls(db, 2) == first);
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "report2");
  CHECK_MESSAGE(Has(report.out, R"("fragments":{"links":2,"verified":2,"broken_count":1,)"), report.out);
  CHECK(Has(report.out, R"("fragment":"gone")"));
  CHECK(!Has(report.out, R"("fragment":"here")"));

  // A deeper run follows the carried links of a 304 page further than the run they were recorded in.
  REQUIRE(crawl("run3", "3").exit_code == 0);
  std::set<std::string> third = first;
  third.insert(server.Url("/deeper"));
  CHECK(Urls(db, 3) == third);
}

TEST_CASE("a sitemap that cannot be read is a broken result, named on stderr and in the reports; --sitemap needs no list") {
  TestServer server;
  const std::string index = "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                            "<sitemap><loc>" + server.Url("/ok.xml") + "</loc></sitemap>"
                            "<sitemap><loc>" + server.Url("/gone.xml") + "</loc></sitemap></sitemapindex>";
  server.Handle("/index.xml", Static(index, "application/xml"));
  server.Handle("/ok.xml", Static("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>" +
                                      server.Url("/a") + "</loc></url></urlset>",
                                  "application/xml"));
  server.Handle("/a", Static("<title>A</title>", "text/html"));
  const std::string down = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "/sitemap.xml";
  TempDir dir;
  std::string db = dir / "s.db";
  auto crawl = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--sitemap", server.Url("/missing.xml"), "--sitemap",
                    server.Url("/index.xml"), "--sitemap", down, "--fail-on", "broken>0"},
                   "sitemap-fail");
  CHECK_MESSAGE(crawl.exit_code == 5, crawl.err);
  for (const std::string& url : {server.Url("/missing.xml"), server.Url("/gone.xml"), down}) {
    CHECK_MESSAGE(Has(crawl.err, "sitemap " + url + " could not be read"), crawl.err);
    CHECK(Text(db, "SELECT source_kind FROM results WHERE url = '" + url + "'") == "sitemap");
  }
  CHECK(Scalar(db, "SELECT status FROM results WHERE url = '" + server.Url("/missing.xml") + "'") == 404);
  CHECK(Text(db, "SELECT source FROM results WHERE url = '" + server.Url("/gone.xml") + "'") == server.Url("/index.xml"));
  CHECK(Text(db, "SELECT error FROM results WHERE url = '" + down + "'") == "connect");
  CHECK(Scalar(db, "SELECT status FROM results WHERE url = '" + server.Url("/a") + "'") == 200);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 4);  // the three sitemaps and the one page
  for (std::string format : {"text", "junit", "markdown", "html"}) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "report", "--db", db};
    if (format == "html") args.insert(args.end(), {"--html", "-o", "-"});
    else if (format != "text") args.insert(args.end(), {"--format", format});
    auto report = Run(args, "sitemap-report-" + format);
    CHECK(report.exit_code == 0);
    CHECK_MESSAGE(Has(report.out, "/missing.xml"), format);
    CHECK_MESSAGE(Has(report.out, "/gone.xml"), format);
  }
}

TEST_CASE("a host whose robots.txt cannot be reached is broken; a robots.txt exclusion is not, unless --accept leaves it out") {
  TestServer server;
  server.Handle("/robots.txt", Static("User-agent: *\nDisallow: /cart\n", "text/plain"));
  const std::string down = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  server.Handle("/", Static("<title>Home</title><a href=/cart>cart</a><a href=" + down + "/page>elsewhere</a>", "text/html"));
  TempDir dir;
  WriteFile(dir / "site.txt", server.Url("/") + "\n");
  auto crawl = [&](const std::string& db, std::vector<std::string> extra) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", dir / db, "-r", "--scope", "any",
                                     "--allow-private", "--fail-on", "broken>0", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir / "site.txt");
    return Run(args, db);
  };
  auto a = crawl("a.db", {});
  CHECK_MESSAGE(a.exit_code == 5, a.err);  // the unreachable host
  std::string db = dir / "a.db";
  CHECK(Text(db, "SELECT error FROM results WHERE url = '" + down + "/page'") == "connect");
  CHECK(Has(Text(db, "SELECT error_message FROM results WHERE url = '" + down + "/page'"), "robots.txt unreachable"));
  CHECK(Text(db, "SELECT error FROM results WHERE url = '" + server.Url("/cart") + "'") == "robots");
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "robots-report");
  CHECK_MESSAGE(Has(report.out, "\"broken\":1,"), report.out);

  // Without the unreachable host, the exclusion alone does not fail the run; an accept set without
  // `robots` makes it count.
  server.Handle("/", Static("<title>Home</title><a href=/cart>cart</a>", "text/html"));
  CHECK(crawl("b.db", {}).exit_code == 0);
  CHECK(crawl("c.db", {"--accept", "100-399"}).exit_code == 5);
  CHECK(crawl("d.db", {"--accept", "200-299,robots"}).exit_code == 0);
}

TEST_CASE("--resume leaves a killed run that is older than a completed one, and a new run starts") {
  TestServer server;
  server.Handle("/p/*", [](const HttpRequest&, Conn& c) {
    c.Sleep(20);
    c.Respond(200, "<title>P</title>");
  });
  TempDir dir;
  std::string list;
  for (int i = 0; i < 200; ++i) list += server.Url("/p/" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "r.db";
  auto child = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "2", dir / "list.txt"}, "old-killed");
  REQUIRE(WaitForRows(db, 5, std::chrono::seconds(120)));
  kill(child.pid, SIGKILL);
  CHECK(Wait(child).signal == SIGKILL);
  auto second = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "50", dir / "list.txt"}, "newer");
  REQUIRE(second.exit_code == 0);
  CHECK(Text(db, "SELECT status FROM runs WHERE id = 2") == "completed");

  auto resumed = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "50", "--resume", dir / "list.txt"}, "resume-old");
  CHECK(resumed.exit_code == 0);
  CHECK_MESSAGE(Has(resumed.err, "run 1 was left unfinished before run 2"), resumed.err);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 3);
  CHECK(Text(db, "SELECT status FROM runs WHERE id = 1") == "running");  // left as it was
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 3") == 200);
  auto runs = Run({GREENCRAWL_BIN, "runs", "--db", db, "--json"}, "runs-abandoned");
  bool abandoned = Has(runs.out, "\"id\":1,") && Has(runs.out, "\"status\":\"abandoned\"");
  CHECK_MESSAGE(abandoned, runs.out);
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "diff-after");
  CHECK(diff.exit_code == 0);
}
