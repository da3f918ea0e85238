// crawl --sitemaps / --sitemap, end to end through the binary against local servers: robots.txt Sitemap:
// lines, the /sitemap.xml fallback, an index with XML, gzip and text children, <lastmod>, scope, robots,
// caps, hostile XML, where each result came from, and `report`'s sitemap findings (orphans both ways).
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
using gc::sql::Database;

namespace {

std::string UrlSet(const std::vector<std::pair<std::string, std::string>>& urls) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const auto& [loc, lastmod] : urls) {
    xml += "<url><loc>" + loc + "</loc>" + (lastmod.empty() ? "" : "<lastmod>" + lastmod + "</lastmod>") + "</url>\n";
  }
  return xml + "</urlset>\n";
}

std::string Index(const std::vector<std::string>& children) {
  std::string xml = "<?xml version=\"1.0\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const auto& c : children) xml += "<sitemap><loc>" + c + "</loc></sitemap>\n";
  return xml + "</sitemapindex>\n";
}

// Host A (127.0.0.1) with robots.txt naming a sitemap index, whose children are an XML urlset, a gzip
// urlset served as a file and a text sitemap. Host B (127.0.0.2) is out of scope for a crawl of A.
struct Site {
  TestServer a{"127.0.0.1"}, b{"127.0.0.2"};
  std::map<std::string, std::string> pages;
  std::string robots;

  explicit Site(bool robots_names_sitemap = true) {
    std::string A = a.Url("");
    robots = "User-agent: *\nDisallow: /private/\n";
    if (robots_names_sitemap) robots += "Sitemap: " + A + "/sitemap_index.xml\n";
    pages = {
        {"/index.html", "<title>Index</title><a href='a.html'>a</a> <a href='b.html'>b</a> "
                        "<a href='notinmap.html'>n</a>"},
        {"/a.html", "<title>A</title><a href='index.html'>home</a> <a href='c.html'>c</a> <a href='d.html'>d</a>"},
        {"/b.html", "<title>B</title>"},
        {"/c.html", "<title>C</title>"},
        {"/d.html", "<title>D</title>"},
        {"/orphan.html", "<title>Orphan</title>"},
        {"/notinmap.html", "<title>Not in the sitemap</title>"},
        {"/private/p.html", "<title>Private</title>"},
        {"/listed.html", "<title>Listed only</title>"},
    };
    a.Handle("/robots.txt", [this](const HttpRequest&, Conn& c) { c.Respond(200, robots, "text/plain"); });
    a.Handle("/sitemap_index.xml",
             Static(Index({A + "/sitemaps/pages.xml", A + "/sitemaps/more.xml.gz", A + "/sitemaps/list.txt"}),
                    "application/xml"));
    a.Handle("/sitemaps/pages.xml", Static(UrlSet({{A + "/index.html", "2026-11-01"},
                                                   {A + "/a.html", "2026-11-02T10:00:00+00:00"},
                                                   {A + "/gone.html", ""},
                                                   {A + "/private/p.html", ""},
                                                   {b.Url("/x.html"), ""},
                                                   {A + "/orphan.html", ""}}),
                                           "application/xml"));
    a.Handle("/sitemaps/more.xml.gz",
             Static(Gzip(UrlSet({{A + "/b.html", "2026-10-31"}, {A + "/c.html", ""}})), "application/gzip"));
    a.Handle("/sitemaps/list.txt", Static(A + "/d.html\n", "text/plain"));
    a.Handle("/*", [this](const HttpRequest& req, Conn& c) {
      auto it = pages.find(req.path);
      if (it == pages.end()) return (void)c.Respond(404, "<title>Not Found</title>");
      c.Respond(200, it->second);
    });
    b.Handle("/*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>X on B</title>"); });
  }
};

struct Row {
  std::string outcome, source_kind, source;
};

struct Crawl {
  Finished f;
  std::string db;
  std::map<std::string, Row> rows;  // url (path for host A, full otherwise) -> outcome and source
};

Crawl RunCrawl(Site& site, TempDir& dir, std::vector<std::string> extra, const std::string& list = "") {
  WriteFile(dir / "seed.txt", list.empty() ? site.a.Url("/index.html") + "\n" : list);
  static int n = 0;
  std::string db = dir / ("s" + std::to_string(++n) + ".db");
  std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "4"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(dir / "seed.txt");
  Crawl c;
  c.db = db;
  c.f = Run(args, "sitemap");
  Database d(db, Database::Mode::kReadOnly);
  auto st = d.Prepare(
      "SELECT url, coalesce(error, CAST(status AS TEXT)), coalesce(source_kind, ''), coalesce(source, '') "
      "FROM results");
  std::string base = site.a.Url("");
  auto local = [&](std::string url) { return url.rfind(base, 0) == 0 ? url.substr(base.size()) : url; };
  while (st.Step()) c.rows[local(st.Text(0))] = {st.Text(1), st.Text(2), local(st.Text(3))};
  return c;
}

std::set<std::string> Keys(const std::map<std::string, Row>& m) {
  std::set<std::string> out;
  for (auto& [k, v] : m) out.insert(k);
  return out;
}

}  // namespace

TEST_CASE("--sitemaps: robots.txt names an index; its XML, gzip and text children are crawled, each URL once") {
  Site site;
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--sitemaps"});
  INFO(c.f.err);
  CHECK(c.f.exit_code == 0);
  CHECK(Keys(c.rows) == std::set<std::string>{"/index.html", "/a.html", "/gone.html", "/private/p.html",
                                              "/orphan.html", "/b.html", "/c.html", "/d.html"});
  CHECK(c.rows["/gone.html"].outcome == "404");
  CHECK(c.rows["/private/p.html"].outcome == "robots");  // robots.txt holds for sitemap URLs
  CHECK(site.a.Received("/private/p.html") == 0);
  CHECK(c.rows["/index.html"].source_kind == "list");  // listed and in the sitemap: the list came first
  CHECK(site.a.Received("/index.html") == 1);
  CHECK(c.rows["/a.html"].source_kind == "sitemap");
  CHECK(c.rows["/a.html"].source == "/sitemaps/pages.xml");
  CHECK(c.rows["/b.html"].source == "/sitemaps/more.xml.gz");
  CHECK(c.rows["/d.html"].source == "/sitemaps/list.txt");
  // Out of scope (another host): listed in sitemap_urls, never fetched, no result.
  CHECK(site.b.Received() == 0);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemap_urls WHERE url LIKE 'http://127.0.0.2%'") == 1);
  // Each sitemap file once, and what it was.
  CHECK(site.a.Received("/sitemap_index.xml") == 1);
  CHECK(site.a.Received("/sitemaps/more.xml.gz") == 1);
  CHECK(site.a.Received("/sitemap.xml") == 0);  // robots.txt named one: no fallback
  CHECK(Text(c.db, "SELECT kind FROM sitemaps WHERE url LIKE '%/sitemap_index.xml'") == "index");
  CHECK(Text(c.db, "SELECT kind FROM sitemaps WHERE url LIKE '%/more.xml.gz'") == "urlset");
  CHECK(Text(c.db, "SELECT kind FROM sitemaps WHERE url LIKE '%/list.txt'") == "text");
  CHECK(Scalar(c.db, "SELECT urls FROM sitemaps WHERE url LIKE '%/pages.xml'") == 6);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemaps WHERE error IS NOT NULL OR truncated = 1") == 0);
  // <lastmod> as written.
  CHECK(Text(c.db, "SELECT lastmod FROM sitemap_urls WHERE url LIKE '%/a.html'") == "2026-11-02T10:00:00+00:00");
  CHECK(Text(c.db, "SELECT lastmod FROM sitemap_urls WHERE url LIKE '%/b.html'") == "2026-10-31");
  CHECK(Scalar(c.db, "SELECT lastmod FROM sitemap_urls WHERE url LIKE '%/c.html'") == -1);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemap_urls") == 9);
}

TEST_CASE("a sitemap URL in scope but on an unlisted private address is refused by the address policy") {
  Site site;
  TempDir dir;
  // --scope any lets 127.0.0.2 in; the default private-address policy ("listed") still refuses a
  // loopback host the list does not name.
  auto c = RunCrawl(site, dir, {"--sitemaps", "--scope", "any"});
  CHECK(c.f.exit_code == 0);
  std::string x = site.b.Url("/x.html");
  REQUIRE(c.rows.count(x) == 1);
  CHECK(c.rows[x].outcome == "private_address");
  CHECK(c.rows[x].source_kind == "sitemap");
  CHECK(site.b.Received() == 0);
}

TEST_CASE("--sitemaps falls back to /sitemap.xml when robots.txt names no sitemap") {
  Site site(/*robots_names_sitemap=*/false);
  site.a.Handle("/sitemap.xml", Static(UrlSet({{site.a.Url("/c.html"), ""}}), "application/xml"));
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--sitemaps"});
  CHECK(c.f.exit_code == 0);
  CHECK(Keys(c.rows) == std::set<std::string>{"/index.html", "/c.html"});
  CHECK(site.a.Received("/sitemap.xml") == 1);
  CHECK(site.a.Received("/sitemap_index.xml") == 0);
  CHECK(c.rows["/c.html"].source == "/sitemap.xml");
}

TEST_CASE("without --sitemaps no sitemap is read; --sitemap URL reads only that one") {
  Site site;
  TempDir dir;
  auto plain = RunCrawl(site, dir, {});
  CHECK(Keys(plain.rows) == std::set<std::string>{"/index.html"});
  CHECK(site.a.Received("/robots.txt") == 0);
  auto direct = RunCrawl(site, dir, {"--sitemap", site.a.Url("/sitemaps/more.xml.gz")}, "# no URLs\n");
  CHECK(direct.f.exit_code == 0);
  CHECK(direct.f.err.find("holds no URLs") == std::string::npos);
  CHECK(Keys(direct.rows) == std::set<std::string>{"/b.html", "/c.html"});
  CHECK(site.a.Received("/sitemap_index.xml") == 0);
  CHECK(site.a.Received("/sitemap.xml") == 0);
}

TEST_CASE("report: in the sitemap but broken, and orphans both ways") {
  Site site;
  TempDir dir;
  // listed.html is listed, fetched fine and in no sitemap: not "linked but not in the sitemap".
  auto c = RunCrawl(site, dir, {"--sitemaps", "--depth", "2"},
                    site.a.Url("/index.html") + "\n" + site.a.Url("/listed.html") + "\n");
  REQUIRE(c.f.exit_code == 0);
  CHECK(c.rows["/listed.html"].outcome == "200");
  CHECK(c.rows["/notinmap.html"].source_kind == "link");
  CHECK(c.rows["/notinmap.html"].source == "/index.html");
  auto json = Run({GREENCRAWL_BIN, "report", "--db", c.db, "--json"}, "sitemap-report-json");
  REQUIRE(json.exit_code == 0);
  std::string A = site.a.Url("");
  const std::string& j = json.out;
  INFO(j);
  // The robots.txt-excluded page is not broken (the accept set's `robots`), only the 404.
  CHECK(j.find("\"broken_count\":1,\"broken\":[{\"url\":\"" + A + "/gone.html\",\"sitemap\":\"" + A +
               "/sitemaps/pages.xml\",\"status\":404,\"error\":null}]") != std::string::npos);
  // Listed in a sitemap, linked from no page: the 404, the robots-refused page, the other host's page and
  // the orphan (index.html is linked from a.html).
  CHECK(j.find("\"not_linked_count\":4,\"not_linked\":[{\"url\":\"" + A + "/gone.html\"") != std::string::npos);
  CHECK(j.find("{\"url\":\"" + A + "/orphan.html\",\"sitemap\":\"" + A + "/sitemaps/pages.xml\"}") !=
        std::string::npos);
  CHECK(j.find("{\"url\":\"" + A + "/index.html\",\"sitemap\"") == std::string::npos);
  CHECK(j.find("\"not_in_sitemap_count\":1,\"not_in_sitemap\":[{\"url\":\"" + A + "/notinmap.html\",\"linked_from\":\"" +
               A + "/index.html\"}]") != std::string::npos);
  auto text = Run({GREENCRAWL_BIN, "report", "--db", c.db}, "sitemap-report-text");
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("In the sitemap but broken (1):\n  404  " + A + "/gone.html") != std::string::npos);
  CHECK(text.out.find("In the sitemap but not linked (4):") != std::string::npos);
  CHECK(text.out.find("Linked but not in the sitemap (1):\n  " + A + "/notinmap.html  (linked from " + A +
                      "/index.html)") != std::string::npos);
  auto html = Run({GREENCRAWL_BIN, "report", "--db", c.db, "--html", "-o", "-"}, "sitemap-report-html");
  REQUIRE(html.exit_code == 0);
  size_t section = html.out.find("<section class=\"block\" id=\"sitemaps\">");
  REQUIRE(section != std::string::npos);
  // The navigation leads to it (issue 26).
  CHECK(html.out.find("<a href=\"#sitemaps\">Sitemaps</a></nav>") != std::string::npos);
  std::string part = html.out.substr(section);
  CHECK(part.find("In the sitemap but broken <span class=\"muted\">1</span>") != std::string::npos);
  CHECK(part.find("In the sitemap but not linked <span class=\"muted\">4</span>") != std::string::npos);
  CHECK(part.find("Linked but not in the sitemap <span class=\"muted\">1</span>") != std::string::npos);
  CHECK(part.find(A + "/notinmap.html</a>") != std::string::npos);
  // Without --depth there are no links: orphans are not known, and the report says so.
  auto flat = RunCrawl(site, dir, {"--sitemaps"});
  auto flat_text = Run({GREENCRAWL_BIN, "report", "--db", flat.db}, "sitemap-report-flat");
  CHECK(flat_text.out.find("Orphans: not known") != std::string::npos);
  CHECK(flat_text.out.find("In the sitemap but broken (1):") != std::string::npos);
  // A run without sitemaps has no such section.
  auto none = RunCrawl(site, dir, {});
  auto none_html = Run({GREENCRAWL_BIN, "report", "--db", none.db, "--html", "-o", "-"}, "sitemap-report-none");
  CHECK(none_html.out.find("<section class=\"block\" id=\"sitemaps\">") == std::string::npos);
  auto none_json = Run({GREENCRAWL_BIN, "report", "--db", none.db, "--json"}, "sitemap-report-none-json");
  CHECK(none_json.out.find("\"sitemaps\":null,") != std::string::npos);
}

TEST_CASE("report: the sitemap's broken URLs are judged by the run's accept set, and blocked ones are not broken") {
  TestServer a{"127.0.0.1"};
  std::string A = a.Url("");
  a.Handle("/sitemap.xml", Static(UrlSet({{A + "/ok.html", ""}, {A + "/forbidden.html", ""}, {A + "/cf.html", ""},
                                          {A + "/gone.html", ""}}),
                                  "application/xml"));
  a.Handle("/ok.html", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>ok</title>"); });
  a.Handle("/forbidden.html", [](const HttpRequest&, Conn& c) { c.Respond(403, "<title>403 Forbidden</title>"); });
  a.Handle("/cf.html", [](const HttpRequest&, Conn& c) {
    c.Respond(403, "<title>x</title>", "text/html", {{"cf-mitigated", "challenge"}});  // a bot wall: blocked
  });
  a.Handle("/*", [](const HttpRequest&, Conn& c) { c.Respond(404, "<title>Not Found</title>"); });
  TempDir dir;
  WriteFile(dir / "seed.txt", "# the sitemap's URLs only\n");
  std::string db = dir / "accept.db";
  auto crawl = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--accept", "200-399,403", "--sitemap",
                    A + "/sitemap.xml", dir / "seed.txt"},
                   "sitemap-accept");
  REQUIRE(crawl.exit_code == 0);
  REQUIRE(Text(db, "SELECT error FROM results WHERE url = '" + A + "/cf.html'") == "blocked");
  // The run accepts 403 and a bot wall is never broken: only the 404 is, in the sitemap section as in
  // the report's own count.
  auto json = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "sitemap-accept-json");
  REQUIRE(json.exit_code == 0);
  CHECK(json.out.find("\"urls\":4,\"broken_count\":1,\"broken\":[{\"url\":\"" + A + "/gone.html\",\"sitemap\":\"" + A +
                      "/sitemap.xml\",\"status\":404,\"error\":null}]") != std::string::npos);
  auto text = Run({GREENCRAWL_BIN, "report", "--db", db}, "sitemap-accept-text");
  CHECK(text.out.find("In the sitemap but broken (1):\n  404  " + A + "/gone.html") != std::string::npos);
  auto html = Run({GREENCRAWL_BIN, "report", "--db", db, "--html", "-o", "-"}, "sitemap-accept-html");
  CHECK(html.out.find("In the sitemap but broken <span class=\"muted\">1</span>") != std::string::npos);
  // report --accept judges the sitemap as it judges the rest: the 403 is broken again, the wall still not.
  auto strict = Run({GREENCRAWL_BIN, "report", "--db", db, "--accept", "100-399"}, "sitemap-accept-override");
  CHECK(strict.out.find("In the sitemap but broken (2):\n  403  " + A + "/forbidden.html") != std::string::npos);
  CHECK(strict.out.find("  404  " + A + "/gone.html") != std::string::npos);
  auto strict_html =
      Run({GREENCRAWL_BIN, "report", "--db", db, "--accept", "100-399", "--html", "-o", "-"}, "sitemap-accept-override-html");
  CHECK(strict_html.out.find("In the sitemap but broken <span class=\"muted\">2</span>") != std::string::npos);
}

TEST_CASE("a sitemap over 50,000 URLs is cut at 50,000, marked truncated") {
  Site site(false);
  std::vector<std::pair<std::string, std::string>> many;
  // Another host: out of scope, so the crawl fetches none of them, but each is recorded as listed.
  for (int i = 0; i < 50'010; ++i) many.push_back({"http://elsewhere.invalid/p/" + std::to_string(i), ""});
  site.a.Handle("/sitemap.xml", Static(Gzip(UrlSet(many)), "application/gzip"));
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--sitemaps"});
  CHECK(c.f.exit_code == 0);
  CHECK(Scalar(c.db, "SELECT truncated FROM sitemaps") == 1);
  CHECK(Scalar(c.db, "SELECT urls FROM sitemaps") == 50'000);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemap_urls") == 50'000);
  CHECK(Keys(c.rows) == std::set<std::string>{"/index.html"});
}

TEST_CASE("--max-pages stops sitemap reading: an index of 200 children is not read to its end") {
  Site site(false);
  std::string A = site.a.Url("");
  std::vector<std::string> kids;
  for (int i = 0; i < 200; ++i) kids.push_back(A + "/kids/" + std::to_string(i) + ".xml");
  site.a.Handle("/sitemap.xml", Static(Index(kids), "application/xml"));
  // Each child lists 50 pages of host A, in scope: the first child alone is over the budget of 10.
  site.a.Handle("/kids/*", [A](const HttpRequest& req, Conn& c) {
    std::vector<std::pair<std::string, std::string>> urls;
    for (int i = 0; i < 50; ++i) urls.push_back({A + "/p" + req.path + "/" + std::to_string(i) + ".html", ""});
    c.Respond(200, UrlSet(urls), "application/xml");
  });
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--sitemaps", "--max-pages", "10"});
  CHECK(c.f.exit_code == 0);
  size_t kid_fetches = 0;
  for (const auto& e : site.a.Log()) kid_fetches += e.path.rfind("/kids/", 0) == 0;
  // The budget is spent during the first child; a second may be on the wire by then, not more.
  CHECK(kid_fetches >= 1);
  CHECK(kid_fetches <= 2);
  CHECK(c.rows.size() == 10);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemap_urls") <= 100);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemaps WHERE truncated = 1") >= 1);
  CHECK(c.f.err.find("sitemaps: stopped reading: the run's --max-pages budget is spent") != std::string::npos);
}

TEST_CASE("a sitemap file over 50 MB is read up to 50 MB, whatever its Content-Length announces") {
  Site site(false);
  std::string xml = UrlSet({{"http://elsewhere.invalid/a", ""}, {"http://elsewhere.invalid/b", ""}});
  xml.erase(xml.rfind("</urlset>"));
  // Announced in full (Content-Length): the cap must not refuse the file before reading it.
  xml += std::string(50'000'100, ' ') + "<url><loc>http://elsewhere.invalid/late</loc></url>\n</urlset>\n";
  site.a.Handle("/sitemap.xml", Static(xml, "application/xml"));
  TempDir dir;
  auto c = RunCrawl(site, dir, {"--sitemaps"});
  CHECK(c.f.exit_code == 0);
  CHECK(Scalar(c.db, "SELECT truncated FROM sitemaps") == 1);
  CHECK(Scalar(c.db, "SELECT urls FROM sitemaps") == 2);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemap_urls") == 2);
}

TEST_CASE("hostile sitemaps: billion laughs, an external entity, an index nested too deep, not a sitemap") {
  Site site(false);
  TempDir dir;
  std::string secret = dir / "secret.txt";
  WriteFile(secret, "TOPSECRET-77");
  std::string A = site.a.Url("");
  std::string laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [\n<!ENTITY l0 \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    laughs += "<!ENTITY l" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) laughs += "&l" + std::to_string(i - 1) + ";";
    laughs += "\">\n";
  }
  laughs += "]>\n<urlset><url><loc>" + A + "/b.html?&l9;</loc></url></urlset>";
  std::string xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [<!ENTITY x SYSTEM \"file://" + secret + "\">]>\n"
                    "<urlset><url><loc>" + A + "/c.html?q=&x;</loc></url></urlset>";
  site.a.Handle("/sitemap.xml", Static(Index({A + "/laughs.xml", A + "/xxe.xml", A + "/deep1.xml", A + "/page.html"}),
                                       "application/xml"));
  site.a.Handle("/laughs.xml", Static(laughs, "application/xml"));
  site.a.Handle("/xxe.xml", Static(xxe, "application/xml"));
  site.a.Handle("/deep1.xml", Static(Index({A + "/deep2.xml"}), "application/xml"));
  site.a.Handle("/deep2.xml", Static(Index({A + "/deep3.xml"}), "application/xml"));
  site.a.Handle("/deep3.xml", Static(UrlSet({{A + "/d.html", ""}}), "application/xml"));
  site.a.Handle("/page.html", Static("<html><title>no</title></html>", "text/html"));
  auto c = RunCrawl(site, dir, {"--sitemaps"});
  INFO(c.f.err);
  CHECK(c.f.exit_code == 0);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemap_urls WHERE url LIKE '%TOPSECRET%' OR url LIKE '%lollol%'") == 0);
  CHECK(Scalar(c.db, "SELECT count(*) FROM results WHERE url LIKE '%TOPSECRET%' OR url LIKE '%lollol%'") == 0);
  CHECK(Scalar(c.db, "SELECT count(*) FROM sitemaps WHERE error LIKE '%TOPSECRET%'") == 0);
  // Index -> index -> index: the third level is not read.
  CHECK(site.a.Received("/deep2.xml") == 1);
  CHECK(site.a.Received("/deep3.xml") == 0);
  CHECK(Scalar(c.db, "SELECT skipped FROM sitemaps WHERE url LIKE '%/deep2.xml'") == 1);
  CHECK(Text(c.db, "SELECT error FROM sitemaps WHERE url LIKE '%/page.html'").find("not a sitemap") !=
        std::string::npos);
}

TEST_CASE("a sitemap crawl killed with SIGKILL resumes to every sitemap URL, each once") {
  std::atomic<bool> open{false};  // the gate below; before the server, so it outlives its handler threads
  TestServer a{"127.0.0.1"};
  std::vector<std::pair<std::string, std::string>> urls;
  for (int i = 0; i < 600; ++i) urls.push_back({a.Url("/p/" + std::to_string(i) + ".html"), ""});
  a.Handle("/robots.txt", Static("User-agent: *\n", "text/plain"));
  a.Handle("/sitemap.xml", Static(UrlSet(urls), "application/xml"));
  // The first ~150 requests are answered at once, the rest wait for the test's gate: the kill lands
  // mid-crawl on any machine (not within ~6 s of 20 ms pages that a starved test could outlast).
  a.Handle("/*", [&a, &open](const HttpRequest&, Conn& c) {
    if (a.Received() > 150 && !c.WaitUntil(open)) return;
    c.Respond(200, "<title>p</title>");
  });
  TempDir dir;
  WriteFile(dir / "seed.txt", a.Url("/") + "\n");
  std::string db = dir / "killed.db";
  // --timeout: a page held behind the gate is not a slow one.
  std::vector<std::string> args = {GREENCRAWL_BIN, "crawl",         "--db", db,          "--quiet",
                                   "--sitemaps",   "--concurrency", "2",    "--timeout", "600"};
  auto child = Start([&] {
    auto v = args;
    v.push_back(dir / "seed.txt");
    return v;
  }(), "sitemap-kill");
  REQUIRE(WaitForRows(db, 100, std::chrono::seconds(120)));
  kill(child.pid, SIGKILL);
  CHECK(Wait(child).signal == SIGKILL);
  int64_t partial = Scalar(db, "SELECT count(*) FROM results");
  CHECK(partial < 601);
  open = true;
  args.push_back("--resume");
  args.push_back(dir / "seed.txt");
  auto f = Run(args, "sitemap-resume");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == 601);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == 601);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE source_kind = 'sitemap'") == 600);
  CHECK(Scalar(db, "SELECT count(*) FROM sitemap_urls") == 600);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(a.Received("/sitemap.xml") == 2);  // read again by the resumed session
}
