// crawl --check-fragments end to end: links to page.html#section against the anchors of the pages as
// fetched from a local server, reported apart from broken links.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

struct AnchorSite {
  TestServer server;
  std::map<std::string, std::string> pages = {
      {"/index.html",
       "<title>Index</title><h2 id='local'>here</h2>"
       "<a href='page.html#present'>1</a> <a href='page.html#missing'>2</a> <a href='page.html#named'>3</a>"
       "<a href='page.html#Present'>case</a> <a href='page.html#caf%C3%A9'>encoded</a> <a href='page.html#top'>top</a>"
       "<a href='#local'>own</a> <a href='#nolocal'>own, missing</a> <a href='other.html#x'>twice</a>"
       "<a href='gone.html#y'>404 page</a> <a href='data.txt#x'>not html</a>"},
      {"/page.html",
       "<title>Page</title><h2 id='present'>p</h2><a name='named'></a><div id='caf\xC3\xA9'></div>"
       "<a href='other.html#x'>twice</a>"},
      {"/other.html", "<title>Other</title><p>no anchors</p>"},
  };
  AnchorSite() {
    server.Handle("/data.txt", [](const HttpRequest&, Conn& c) { c.Respond(200, "x", "text/plain"); });
    server.Handle("/*", [this](const HttpRequest& req, Conn& c) {
      auto it = pages.find(req.path);
      if (it == pages.end()) {
        c.Respond(404, "<title>Not found</title><div id='y'></div>");
      } else {
        c.Respond(200, it->second);
      }
    });
  }
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A binary tree of `n` pages, each a little slow, with two anchors of its own and links to its children's
// sections: to #s (there) and #gone (not), and to its parent's #s. Each page's anchors and fragment links
// differ, so a page whose rows a crash lost, or that a resume wrote twice, shows in the views.
struct FragmentTree {
  TestServer s;
  int pages;
  explicit FragmentTree(int n) : pages(n) {
    s.Handle("/*", [this](const HttpRequest& req, Conn& c) {
      if (!c.Sleep(10)) return;
      int i = -1;
      if (std::sscanf(req.path.c_str(), "/p/%d.html", &i) != 1 || i < 0 || i >= pages) {
        return (void)c.Respond(404, "<title>Not Found</title>");
      }
      std::string n = std::to_string(i);
      std::string body = "<title>page " + n + "</title><h2 id='s'>" + n + "</h2><a name='n" + n + "'></a>";
      if (i > 0) body += "<a href='/p/" + std::to_string((i - 1) / 2) + ".html#s'>up</a>";
      for (int k : {2 * i + 1, 2 * i + 2}) {
        if (k >= pages) continue;
        std::string child = "/p/" + std::to_string(k) + ".html";
        body += "<a href='" + child + "#s'>down</a><a href='" + child + "#gone" + n + "'>broken</a>";
      }
      c.Respond(200, body);
    });
  }
};

}  // namespace

TEST_CASE("--check-fragments reports links to a missing id or <a name> apart from broken links") {
  AnchorSite site;
  TempDir dir;
  std::string db = dir / "f.db";
  WriteFile(dir / "list.txt", site.server.Url("/index.html") + "\n");
  auto f = Run({GREENCRAWL_BIN, "crawl", "--quiet", "--retries", "0", "--depth", "2", "--check-fragments", "--db", db,
                dir / "list.txt"},
               "frag");
  REQUIRE(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_pages") == 3);  // index, page, other; not the 404 nor the text
  CHECK(Scalar(db, "SELECT anchors FROM anchor_pages WHERE url LIKE '%/page.html'") == 3);

  auto json = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "frag-json");
  REQUIRE(json.exit_code == 0);
  // 10 distinct url#fragment (#top is no anchor to check); gone.html and data.txt are not verified.
  CHECK(Has(json.out, "\"fragments\":{\"links\":10,\"verified\":8,\"broken_count\":4,\"broken\":["));
  std::string index = site.server.Url("/index.html"), page = site.server.Url("/page.html");
  CHECK(Has(json.out, "{\"url\":\"" + index + "\",\"fragment\":\"nolocal\",\"referrer_count\":1,\"referrers\":[\"" +
                          index + "\"]}"));
  CHECK(Has(json.out, "{\"url\":\"" + site.server.Url("/other.html") +
                          "\",\"fragment\":\"x\",\"referrer_count\":2,\"referrers\":[\"" + index + "\",\"" + page +
                          "\"]}"));
  CHECK(Has(json.out, "{\"url\":\"" + page + "\",\"fragment\":\"Present\""));  // ids are case-sensitive
  CHECK(Has(json.out, "{\"url\":\"" + page + "\",\"fragment\":\"missing\""));
  CHECK_FALSE(Has(json.out, "\"fragment\":\"named\""));  // <a name> counts
  CHECK_FALSE(Has(json.out, "\"fragment\":\"present\""));
  CHECK_FALSE(Has(json.out, "\"fragment\":\"caf"));       // percent-decoded before comparing
  CHECK_FALSE(Has(json.out, "\"fragment\":\"local\""));
  CHECK_FALSE(Has(json.out, "\"fragment\":\"y\""));       // a 404 page: a broken link, not a fragment
  // The 404 is listed with the broken links; the missing anchors are not.
  CHECK(Has(json.out, "\"broken_count\":1,\"broken\":[{\"url\":\"" + site.server.Url("/gone.html") + "\""));

  auto text = Run({GREENCRAWL_BIN, "report", "--db", db}, "frag-text");
  CHECK(Has(text.out, "Broken fragments (4 of 8 checked; 2 on pages not fetched as 2xx HTML, not checked):"));
  CHECK(Has(text.out, "  " + site.server.Url("/other.html") + "#x\n      no id or <a name> \"x\"; linked from 2 page(s): " +
                          index + " " + page + "\n"));
}

TEST_CASE("without --check-fragments nothing is recorded; with --depth 0 it is refused") {
  AnchorSite site;
  TempDir dir;
  std::string db = dir / "f.db";
  WriteFile(dir / "list.txt", site.server.Url("/index.html") + "\n");
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "--quiet", "--depth", "1", "--db", db, dir / "list.txt"}, "nofrag").exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM anchor_pages") == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM fragment_links") == 0);
  auto json = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "nofrag-json");
  CHECK(Has(json.out, "\"fragments\":null"));
  auto text = Run({GREENCRAWL_BIN, "report", "--db", db}, "nofrag-text");
  CHECK_FALSE(Has(text.out, "Broken fragments"));
  auto refused = Run({GREENCRAWL_BIN, "crawl", "--check-fragments", "--db", db, dir / "list.txt"}, "frag-depth0");
  CHECK(refused.exit_code == 2);
  CHECK(Has(refused.err, "--check-fragments checks the links found in pages"));
}

TEST_CASE("a --check-fragments crawl killed with SIGKILL and resumed stores and reports what one run does") {
  constexpr int kPages = 600;
  FragmentTree site(kPages);
  TempDir dir;
  WriteFile(dir / "seed.txt", site.s.Url("/p/0.html") + "\n");
  const std::vector<std::string> crawl = {GREENCRAWL_BIN, "crawl", "--quiet", "--depth", "100", "--check-fragments",
                                          "--ignore-robots", "--concurrency"};
  auto args = [&](const std::string& db, const std::string& concurrency, bool resume) {
    std::vector<std::string> a = crawl;
    a.insert(a.end(), {concurrency, "--db", db});
    if (resume) a.push_back("--resume");
    a.push_back(dir / "seed.txt");
    return a;
  };
  std::string whole = dir / "whole.db", killed = dir / "killed.db";
  REQUIRE(Run(args(whole, "8", false), "frag-whole").exit_code == 0);
  REQUIRE(Scalar(whole, "SELECT count(*) FROM results") == kPages);

  auto child = Start(args(killed, "2", false), "frag-killed");
  REQUIRE(WaitForRows(killed, 100, std::chrono::seconds(120)));
  kill(child.pid, SIGKILL);
  CHECK(Wait(child).signal == SIGKILL);
  const int64_t partial = Scalar(killed, "SELECT count(*) FROM results");
  REQUIRE(partial < kPages);
  REQUIRE(Run(args(killed, "8", true), "frag-resume").exit_code == 0);
  CHECK(Scalar(killed, "SELECT count(*) FROM runs") == 1);
  CHECK(Scalar(killed, "SELECT count(*) FROM results") == kPages);

  // The same rows through the views, as one uninterrupted run wrote them; each page's lists once.
  for (const char* q : {"SELECT url, anchors, capped FROM anchor_pages ORDER BY 1",
                        "SELECT url, anchor FROM anchors ORDER BY 1, 2",
                        "SELECT from_url, to_url, fragment FROM fragment_links ORDER BY 1, 2, 3"}) {
    CHECK_MESSAGE(Rows(killed, q) == Rows(whole, q), q);
  }
  CHECK(Scalar(killed, "SELECT count(*) FROM anchors") == 2 * kPages);
  CHECK(Scalar(killed, "SELECT count(*) FROM page_anchor_sets") == kPages);
  const std::string kFragmentPages = "SELECT count(*) FROM page_fragment_sets";
  CHECK(Scalar(killed, kFragmentPages) == Scalar(whole, kFragmentPages));
  // And the report's fragment check says the same: every #gone link broken, no #s link.
  auto report = [&](const std::string& db, const std::string& name) {
    auto r = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, name);
    REQUIRE(r.exit_code == 0);
    size_t at = r.out.find("\"fragments\":");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at, r.out.find("\"sitemaps\"", at) - at);
  };
  std::string fragments = report(killed, "frag-report-killed");
  CHECK(fragments == report(whole, "frag-report-whole"));
  CHECK(Has(fragments, "\"broken_count\":" + std::to_string(kPages - 1) + ","));
}
