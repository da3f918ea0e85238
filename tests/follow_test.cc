// Following links (--depth), end to end: a two-host local site with a known link graph.
#include <doctest/doctest.h>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
using gc::sql::Database;
namespace fs = std::filesystem;

namespace {

// Host A (127.0.0.1) and host B (127.0.0.2). Paths map to HTML; anything else is a 404.
struct Site {
  TestServer a{"127.0.0.1"}, b{"127.0.0.2"};
  std::map<std::string, std::string> pages_a, pages_b;

  Site() {
    std::string B = b.Url("");
    pages_a = {
        {"/index.html", "<title>Index</title><a href='a.html'>a</a> <a href='/b.html#frag'>b</a>"
                        "<a href=' ./sub/c.html '>c</a> <a href='" + B + "/x.html'>x</a> <a href='a.html#again'>a</a>"
                        "<a href='nofollow.html' rel='nofollow'>nf</a> <a href='/private/secret.html'>s</a>"
                        "<a href='/private/ok.html'>ok</a> <a href='doc.pdf'>pdf</a>"
                        "<a href='javascript:void(0)'>js</a> <a href='mailto:x@y.z'>mail</a>"},
        {"/a.html", "<title>A</title><a href='index.html'>home</a> <a href='deep1.html'>deeper</a>"},
        {"/b.html", "<title>B</title><meta name='robots' content='nofollow'><a href='hidden.html'>h</a>"},
        {"/sub/c.html", "<title>C</title><base href='/sub/'><a href='../a.html'>a</a> <a href='d.html'>d</a>"},
        {"/sub/d.html", "<title>D</title><a href='/missing.html'>broken</a>"},
        {"/deep1.html", "<title>Deep 1</title><a href='deep2.html'>2</a>"},
        {"/deep2.html", "<title>Deep 2</title><a href='deep3.html'>3</a>"},
        {"/deep3.html", "<title>Deep 3</title>"},
        {"/nofollow.html", "<title>Not followed</title>"},
        {"/hidden.html", "<title>Hidden</title>"},
        {"/private/secret.html", "<title>Secret</title>"},
        {"/private/ok.html", "<title>Allowed</title>"},
        {"/doc.pdf", "<title>pdf</title>"},
    };
    pages_b = {{"/x.html", "<title>X on B</title><a href='" + a.Url("/index.html") + "'>back</a>"}};
    a.Handle("/robots.txt", [](const HttpRequest&, Conn& c) {
      c.Respond(200, "User-agent: *\nDisallow: /private/\nAllow: /private/ok.html\nDisallow: /*.pdf$\n",
                "text/plain");
    });
    a.Handle("/*", [this](const HttpRequest& req, Conn& c) { Serve(pages_a, req, c); });
    b.Handle("/*", [this](const HttpRequest& req, Conn& c) { Serve(pages_b, req, c); });
  }
  static void Serve(const std::map<std::string, std::string>& pages, const HttpRequest& req, Conn& c) {
    auto it = pages.find(req.path);
    if (it == pages.end()) return (void)c.Respond(404, "<title>Not Found</title>");
    c.Respond(200, it->second);
  }
};

struct Crawl {
  gc::testing::Finished f;
  std::string db;
  std::map<std::string, std::string> rows;  // url (path for host A, full otherwise) -> outcome
};

Crawl RunCrawl(Site& site, TempDir& dir, std::vector<std::string> extra) {
  std::ofstream(dir / "seed.txt") << site.a.Url("/index.html") << "\n";
  // A new database per crawl: removing a WAL database's files under an open reader is asking for trouble.
  static int n = 0;
  std::string db = dir / ("r" + std::to_string(++n) + ".db");
  std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "8"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(dir / "seed.txt");
  Crawl c;
  c.db = db;
  c.f = Run(args, "follow");
  if (!fs::exists(db)) return c;
  Database d(db, Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT url, coalesce(error, CAST(status AS TEXT)) FROM results");
  std::string base = site.a.Url("");
  while (st.Step()) {
    std::string url = st.Text(0);
    if (url.rfind(base, 0) == 0) url = url.substr(base.size());
    c.rows[url] = st.Text(1);
  }
  return c;
}

std::set<std::string> Keys(const std::map<std::string, std::string>& m) {
  std::set<std::string> out;
  for (auto& [k, v] : m) out.insert(k);
  return out;
}

}  // namespace

TEST_CASE("depth 0 crawls only the list") {
  Site site;
  TempDir dir;
  auto c = RunCrawl(site, dir, {});
  CHECK(c.f.exit_code == 0);
  CHECK(Keys(c.rows) == std::set<std::string>{"/index.html"});
  CHECK(site.a.Log().size() == 1);  // no robots.txt either: a list crawl does not follow links
}

TEST_CASE("depth 1, scope host: each in-scope link once; nofollow, other hosts and schemes left; robots honoured") {
  Site site;
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--depth", "1"});
  CHECK(c.f.exit_code == 0);
  // B's page is another site: checked once (--external on), and refused by the private-address guard,
  // since the list names only A: recorded, never connected to.
  const std::string x = site.b.Url("/x.html");
  CHECK(Keys(c.rows) == std::set<std::string>{"/index.html", "/a.html", "/b.html", "/sub/c.html",
                                              "/private/secret.html", "/private/ok.html", "/doc.pdf", x});
  CHECK(c.rows[x] == "private_address");
  CHECK(site.b.Connections() == 0);
  CHECK(c.rows["/private/secret.html"] == "robots");
  CHECK(c.rows["/doc.pdf"] == "robots");
  CHECK(c.rows["/private/ok.html"] == "200");
  CHECK(c.rows["/a.html"] == "200");
  int robots_fetches = 0;
  for (auto& e : site.a.Log()) {
    robots_fetches += e.path == "/robots.txt";
    CHECK(e.path != "/private/secret.html");  // refused without a request
  }
  CHECK(robots_fetches == 1);
  // Every link found is in the links table, followed or not.
  Database d(c.db, Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT count(*), sum(nofollow) FROM links WHERE from_url LIKE '%/index.html'");
  REQUIRE(st.Step());
  CHECK(st.Int(0) == 8);  // a (once, despite two links), b, c, x on B, nofollow, secret, ok, pdf
  CHECK(st.Int(1) == 1);
}

TEST_CASE("deeper crawls add exactly the next ring; cycles and duplicates are crawled once at their smallest depth") {
  Site site;
  TempDir dir;
  auto two = RunCrawl(site, dir, {"--depth", "2", "--external", "off"});
  CHECK(Keys(two.rows) == std::set<std::string>{"/index.html", "/a.html", "/b.html", "/sub/c.html",
                                                "/private/secret.html", "/private/ok.html", "/doc.pdf",
                                                "/deep1.html", "/sub/d.html"});
  auto three = RunCrawl(site, dir, {"--depth", "3", "--external", "off"});
  CHECK(Keys(three.rows) == std::set<std::string>{"/index.html", "/a.html", "/b.html", "/sub/c.html",
                                                  "/private/secret.html", "/private/ok.html", "/doc.pdf",
                                                  "/deep1.html", "/sub/d.html", "/deep2.html", "/missing.html"});
  CHECK(three.rows["/missing.html"] == "404");
  Database d(three.db, Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT depth FROM results WHERE url LIKE '%/a.html'");
  REQUIRE(st.Step());
  CHECK(st.Int(0) == 1);
  auto deep = RunCrawl(site, dir, {"--depth", "100"});
  CHECK(deep.rows.count("/deep3.html") == 1);
  CHECK(deep.rows.count("/hidden.html") == 0);     // only linked from a meta-nofollow page
  CHECK(deep.rows.count("/nofollow.html") == 0);   // only linked with rel=nofollow
}

TEST_CASE("scope any crosses hosts; --ignore-robots and --ignore-nofollow override; --exclude filters") {
  Site site;
  TempDir dir;
  // B (127.0.0.2) is not named by the list: the private-address guard needs --allow-private here.
  auto any = RunCrawl(site, dir, {"--depth", "1", "--scope", "any", "--allow-private"});
  CHECK(any.rows.count(site.b.Url("/x.html")) == 1);
  CHECK(any.rows[site.b.Url("/x.html")] == "200");  // B has no robots.txt (404): all allowed
  auto loose = RunCrawl(site, dir, {"--depth", "1", "--ignore-robots", "--ignore-nofollow", "--exclude", "\\.pdf$"});
  CHECK(loose.rows["/private/secret.html"] == "200");
  CHECK(loose.rows.count("/nofollow.html") == 1);
  CHECK(loose.rows.count("/doc.pdf") == 0);
  auto capped = RunCrawl(site, dir, {"--depth", "5", "--max-pages", "4"});
  CHECK(capped.rows.size() == 4);
  auto bad = RunCrawl(site, dir, {"--depth", "1", "--include", "(unclosed"});
  CHECK(bad.f.exit_code == 2);
  CHECK(bad.f.err.find("bad regular expression") != std::string::npos);
}

TEST_CASE("a robots.txt Crawl-delay spaces that host's requests") {
  Site site;
  site.a.Handle("/robots.txt", [](const HttpRequest&, Conn& c) {
    c.Respond(200, "User-agent: *\nCrawl-delay: 0.2\n", "text/plain");
  });
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--depth", "1"});
  CHECK(c.f.exit_code == 0);
  auto log = site.a.Log();
  std::vector<double> starts;
  for (auto& e : log) {
    if (e.path != "/robots.txt") starts.push_back(e.start_s);
  }
  std::sort(starts.begin(), starts.end());
  REQUIRE(starts.size() >= 5);
  // 200 ms between starts (the first page waits for robots.txt); arrivals may bunch up a little.
  for (size_t i = 2; i < starts.size(); ++i) CHECK(starts[i] - starts[i - 1] >= 0.15);
  CHECK((starts.back() - starts[1]) / double(starts.size() - 2) >= 0.195);
}

namespace {

// A generated site: page i links to pages 2i+1 and 2i+2 (a binary tree), the hub page links to every
// page, and every page links back to the hub. `delay_ms` slows every answer, so that discoveries are
// committed by the periodic flush as well as by refills (issue 12.1's lost half of a site).
struct TreeSite {
  TestServer s;
  int pages;
  int delay_ms;
  TreeSite(int n, int delay) : pages(n), delay_ms(delay) {
    s.Handle("/*", [this](const HttpRequest& req, Conn& c) {
      if (delay_ms > 0 && !c.Sleep(delay_ms)) return;
      if (req.path == "/hub.html") {
        std::string body = "<title>hub</title>";
        for (int i = 0; i < pages; ++i) body += "<a href='/p/" + std::to_string(i) + ".html'>" + std::to_string(i) + "</a>\n";
        return (void)c.Respond(200, body);
      }
      int i = -1;
      if (std::sscanf(req.path.c_str(), "/p/%d.html", &i) != 1 || i < 0 || i >= pages) {
        return (void)c.Respond(404, "<title>Not Found</title>");
      }
      std::string body = "<title>page " + std::to_string(i) + "</title><a href='/hub.html'>hub</a>";
      for (int k : {2 * i + 1, 2 * i + 2}) {
        if (k < pages) body += "<a href='/p/" + std::to_string(k) + ".html'>child</a>";
      }
      c.Respond(200, body);
    });
  }
  std::set<std::string> Expected(bool hub) const {
    std::set<std::string> out;
    if (hub) out.insert(s.Url("/hub.html"));
    for (int i = 0; i < pages; ++i) out.insert(s.Url("/p/" + std::to_string(i) + ".html"));
    return out;
  }
};

std::set<std::string> ResultUrls(const std::string& db) {
  std::set<std::string> out;
  Database d(db, Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT url FROM results WHERE status = 200");
  while (st.Step()) out.insert(st.Text(0));
  return out;
}

}  // namespace

TEST_CASE("a page of 1,200 links on a slow server: every page is fetched, whichever flush commits them (issue 12.1)") {
  TreeSite site(1200, 20);
  TempDir dir;
  WriteFile(dir / "seed.txt", site.s.Url("/hub.html") + "\n");
  std::string db = dir / "hub.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "3", "--concurrency", "16", "--ignore-robots",
                dir / "seed.txt"},
               "slowhub");
  CHECK(f.exit_code == 0);
  CHECK(ResultUrls(db) == site.Expected(true));
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 1201);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == 1201);
}

TEST_CASE("a 3,000-page generated site: the exact URL set, each once, at the depth of a real path") {
  TreeSite site(3000, 0);
  TempDir dir;
  WriteFile(dir / "seed.txt", site.s.Url("/p/0.html") + "\n");
  std::string db = dir / "tree.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "100", "--concurrency", "32",
                "--ignore-robots", dir / "seed.txt"},
               "tree");
  CHECK(f.exit_code == 0);
  // Every page plus the hub, which links to every page again (known URLs: nothing added twice).
  CHECK(ResultUrls(db) == site.Expected(true));
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 3001);
  // Page i sits at depth floor(log2(i+1)) of the tree, or at 2 through the hub (0 -> hub -> any page).
  // Transfers run concurrently, so a page may be reached by its tree path before the hub's 3,000 links
  // are parsed: its depth is then that of a real path, never less than the shortest, never more than
  // the tree's (the URL is still fetched once).
  Database d(db, Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT url, depth FROM results");
  int wrong = 0;
  while (st.Step()) {
    std::string url = st.Text(0);
    int i = -1;
    if (std::sscanf(url.c_str() + site.s.Url("").size(), "/p/%d.html", &i) != 1) continue;
    int tree_depth = 0;
    for (int k = i + 1; k > 1; k /= 2) ++tree_depth;
    int shortest = i == 0 ? 0 : std::min(tree_depth, 2);
    wrong += st.Int(1) < shortest || st.Int(1) > tree_depth;
  }
  CHECK(wrong == 0);
}

TEST_CASE("a recursive crawl killed with SIGKILL twice resumes to the exact URL set, each once") {
  TreeSite site(1500, 10);  // ~8 s at 2 in flight: time for two kills
  TempDir dir;
  WriteFile(dir / "seed.txt", site.s.Url("/p/0.html") + "\n");
  std::string db = dir / "killed.db";
  int64_t partial = 0;
  for (int kill_no = 0; kill_no < 2; ++kill_no) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "100",
                                     "--concurrency", "2", "--ignore-robots"};
    if (kill_no > 0) args.push_back("--resume");
    args.push_back(dir / "seed.txt");
    auto child = Start(args, "follow-kill-" + std::to_string(kill_no));
    REQUIRE(WaitForRows(db, partial + 100, std::chrono::seconds(120)));
    kill(child.pid, SIGKILL);
    auto killed = Wait(child);
    CHECK(killed.signal == SIGKILL);
    partial = Scalar(db, "SELECT count(*) FROM results");
    MESSAGE("after kill " << kill_no << ": " << partial << " results");
    CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == partial);
  }
  REQUIRE(partial < 1501);
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--depth", "100", "--concurrency", "8",
                "--ignore-robots", "--resume", dir / "seed.txt"},
               "follow-resume");
  CHECK(f.exit_code == 0);
  CHECK(ResultUrls(db) == site.Expected(true));
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 1501);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
}

TEST_CASE("links to other sites are checked once each, never parsed or followed; --external off leaves them") {
  Site site;
  TempDir dir;
  // A third site that refuses connections, linked from A's index too.
  int closed;
  {
    TestServer gone("127.0.0.3");
    closed = gone.port();
  }
  const std::string dead = "http://127.0.0.3:" + std::to_string(closed) + "/gone.html";
  site.pages_a["/a.html"] += "<a href='" + dead + "'>dead</a><a href='" + site.b.Url("/x.html") + "'>x again</a>";
  auto c = RunCrawl(site, dir, {"--depth", "5", "--allow-private"});
  CHECK(c.f.exit_code == 0);
  const std::string x = site.b.Url("/x.html");
  CHECK(c.rows[x] == "200");
  CHECK(c.rows[dead] == "connect");
  size_t x_fetches = 0;
  for (auto& e : site.b.Log()) x_fetches += e.path == "/x.html";
  CHECK(x_fetches == 1);  // linked from two pages, fetched once
  Database d(c.db, Database::Mode::kReadOnly);
  auto kind = d.Prepare("SELECT source_kind, source FROM results WHERE url = ?");
  kind.Bind(1, x);
  REQUIRE(kind.Step());
  CHECK(kind.Text(0) == "external");
  CHECK(kind.Text(1) == site.a.Url("/index.html"));
  // Never parsed: x.html's own link back to A is not in the links table.
  auto from_x = d.Prepare("SELECT count(*) FROM links WHERE from_url = ?");
  from_x.Bind(1, x);
  REQUIRE(from_x.Step());
  CHECK(from_x.Int(0) == 0);
  // The dead link is broken, named with the page linking to it.
  auto report = Run({GREENCRAWL_BIN, "report", "--db", c.db, "--json"}, "external-report");
  CHECK(report.out.find("\"url\":\"" + dead + "\"") != std::string::npos);

  auto off = RunCrawl(site, dir, {"--depth", "5", "--allow-private", "--external", "off"});
  CHECK(off.rows.count(x) == 0);
  CHECK(off.rows.count(dead) == 0);
}
