// crawl --check-fragments end to end: links to page.html#section against the anchors of the pages as
// fetched from a local server, reported apart from broken links.
#include <doctest/doctest.h>

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
