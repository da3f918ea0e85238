// `diff` and the reports built on it, end to end: one list crawled twice against a local server whose
// redirects change between the runs.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Run 1 (phase 0) and run 2 (phase 1):
//   /old.html     200 "Old"            -> 301 to /new.html (200 "New"): redirect added (and title, content)
//   /moved.html   301 to /a.html       -> 301 to /b.html; a and b are the same page: redirect elsewhere only
//   /gone.html    301 to /a.html       -> 200, the same page as /a.html: redirect removed only
//   /kept.html    301 to /a.html in both runs: no change
//   /cached.html  301 to /c.html, whose ETag is answered with 304 in run 2: no change
struct RedirectSite {
  TestServer server;
  std::atomic<int> phase{0};
  RedirectSite() {
    const std::string same = "<title>Same</title><p>the same page</p>";
    auto redirect = [this](Conn& c, const std::string& to) {
      c.Respond(301, "", "text/html", {{"Location", server.Url(to)}});
    };
    server.Handle("/old.html", [this, redirect](const HttpRequest&, Conn& c) {
      if (phase == 0) return (void)c.Respond(200, "<title>Old</title>");
      redirect(c, "/new.html");
    });
    server.Handle("/new.html", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>New</title>"); });
    server.Handle("/a.html", [same](const HttpRequest&, Conn& c) { c.Respond(200, same); });
    server.Handle("/b.html", [same](const HttpRequest&, Conn& c) { c.Respond(200, same); });
    server.Handle("/moved.html", [this, redirect](const HttpRequest&, Conn& c) {
      redirect(c, phase == 0 ? "/a.html" : "/b.html");
    });
    server.Handle("/gone.html", [this, redirect, same](const HttpRequest&, Conn& c) {
      if (phase == 0) return redirect(c, "/a.html");
      c.Respond(200, same);
    });
    server.Handle("/kept.html", [redirect](const HttpRequest&, Conn& c) { redirect(c, "/a.html"); });
    server.Handle("/cached.html", [redirect](const HttpRequest&, Conn& c) { redirect(c, "/c.html"); });
    server.Handle("/c.html", [](const HttpRequest& req, Conn& c) {
      if (req.Header("if-none-match") == "\"c1\"") return (void)c.Respond(304, "", "", {{"ETag", "\"c1\""}});
      c.Respond(200, "<title>C</title>", "text/html", {{"ETag", "\"c1\""}});
    });
  }
};

}  // namespace

TEST_CASE("a redirect added, removed or pointing elsewhere is a change in diff, the HTML report and --fail-on changed") {
  RedirectSite site;
  TempDir dir;
  std::string db = dir / "d.db", list = dir / "list.txt";
  std::string urls;
  for (const char* p : {"/old.html", "/moved.html", "/gone.html", "/kept.html", "/cached.html"}) {
    urls += site.server.Url(p) + "\n";
  }
  WriteFile(list, urls);
  // Recursive (the pages have no links) so that run 1 keeps what conditional requests need.
  auto crawl = [&](std::vector<std::string> extra, const std::string& tag) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--quiet", "--retries", "0", "-r", "--depth", "1",
                                     "--db", db};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(list);
    return Run(args, tag);
  };
  REQUIRE(crawl({}, "r1").exit_code == 0);
  site.phase = 1;
  // Three URLs changed: /old.html, /moved.html and /gone.html; two of them only by their redirect.
  auto second = crawl({"--fail-on", "changed>2"}, "r2");
  CHECK(second.exit_code == 5);
  CHECK(Has(second.err, "--fail-on changed>2: changed is 3"));
  REQUIRE(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 2 AND unchanged = 1") == 1);  // /cached.html

  auto json = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "dj");
  REQUIRE(json.exit_code == 0);
  CHECK(Has(json.out, "{\"url\":\"" + site.server.Url("/old.html") + "\",\"kind\":\"redirect\",\"before\":null," +
                          "\"after\":\"" + site.server.Url("/new.html") + "\"}"));
  CHECK(Has(json.out, "{\"url\":\"" + site.server.Url("/moved.html") + "\",\"kind\":\"redirect\",\"before\":\"" +
                          site.server.Url("/a.html") + "\",\"after\":\"" + site.server.Url("/b.html") + "\"}"));
  CHECK(Has(json.out, "{\"url\":\"" + site.server.Url("/gone.html") + "\",\"kind\":\"redirect\",\"before\":\"" +
                          site.server.Url("/a.html") + "\",\"after\":null}"));
  CHECK(Count(json.out, "\"kind\":\"redirect\"") == 3);
  CHECK(!Has(json.out, site.server.Url("/kept.html")));
  CHECK(!Has(json.out, site.server.Url("/cached.html")));
  CHECK(!Has(json.out, "\"url\":\"" + site.server.Url("/moved.html") + "\",\"kind\":\"title\""));

  auto text = Run({GREENCRAWL_BIN, "diff", "--db", db}, "dt");
  REQUIRE(text.exit_code == 0);
  CHECK(Has(text.out, "~ redirect " + site.server.Url("/old.html") + "  (no redirect) -> " +
                          site.server.Url("/new.html") + "\n"));
  CHECK(Has(text.out, "~ redirect " + site.server.Url("/gone.html") + "  " + site.server.Url("/a.html") +
                          " -> (no redirect)\n"));

  auto html = Run({GREENCRAWL_BIN, "report", "--db", db, "--html", "-o", dir / "r.html"}, "rh");
  REQUIRE(html.exit_code == 0);
  std::string page = ReadFile(dir / "r.html");
  CHECK(Has(page, "data-kind=\"redirect\" data-count=\"3\""));
  CHECK(Has(page, "<span class=\"chip chip-redirect\">redirect</span>"));
  CHECK(!Has(page, "href=\"#sitemaps\""));  // no sitemaps read: no link to a section that is not there

  // A 304 row without a final_url (it carries the earlier page, not the earlier redirect) is no
  // "redirect removed".
  {
    gc::sql::Database d(db, gc::sql::Database::Mode::kReadWrite);
    d.Exec("UPDATE result_rows SET final_url_id = NULL, redirects = 0 WHERE run_id = 2 AND unchanged = 1");
  }
  auto after = Run({GREENCRAWL_BIN, "diff", "--db", db, "--json"}, "dj2");
  CHECK(Count(after.out, "\"kind\":\"redirect\"") == 3);
  CHECK(!Has(after.out, site.server.Url("/cached.html")));
}
