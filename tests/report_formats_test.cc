// Reports for CI and what counts as broken (issue 18, items 2, 3 and 5), end to end: the real binary
// crawls the local test server, then `report` is read back — JUnit by an XML parser and a JUnit library
// (tests/junit_check.py), Markdown line by line. Counts come from the server's own log and the database.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/reports/junit.h"
#include "app/reports/markdown.h"
#include "storage/accept_set.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"
#include "text/escape.h"

using namespace gc::testing;
using gc::storage::AcceptSet;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

// A site with each kind of bot wall, ordinary failures and a page that is fine.
void ServeWalls(TestServer& s) {
  s.Handle("/ok", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>fine</title>"); });
  s.Handle("/gone", [](const HttpRequest&, Conn& c) { c.Respond(404, "<title>Not Found</title>"); });
  s.Handle("/forbidden", [](const HttpRequest&, Conn& c) { c.Respond(403, "<title>403 Forbidden</title>"); });
  s.Handle("/cf", [](const HttpRequest&, Conn& c) {
    c.Respond(403, "<title>x</title>", "text/html", {{"cf-mitigated", "challenge"}});
  });
  s.Handle("/moment", [](const HttpRequest&, Conn& c) {
    c.Respond(503, "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>");
  });
  s.Handle("/script", [](const HttpRequest&, Conn& c) {
    c.Respond(403, "<html><head><title>Forbidden</title><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/"
                   "jsch/v1\"></script></head></html>");
  });
  s.Handle("/later", [](const HttpRequest&, Conn& c) {
    c.Respond(429, "slow down", "text/plain", {{"Retry-After", "3600"}});
  });
  s.Handle("/dated", [](const HttpRequest&, Conn& c) {
    c.Respond(429, "slow down", "text/plain", {{"Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT"}});
  });
}

std::string WallList(TestServer& s, const TempDir& dir) {
  std::string text;
  for (const char* p : {"/ok", "/gone", "/forbidden", "/cf", "/moment", "/script", "/later", "/dated"}) {
    text += s.Url(p) + "\n";
  }
  WriteFile(dir / "walls.txt", text);
  return dir / "walls.txt";
}

bool Has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Cells of a GFM table row: `|` splits unless backslash-escaped (GFM 4.10, code spans included).
size_t Cells(const std::string& row) {
  size_t pipes = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++pipes;
    }
  }
  return pipes - 1;
}

}  // namespace

TEST_CASE("challenge pages and WAF blocks are recorded as blocked with their status, not retried, never broken") {
  TestServer s;
  ServeWalls(s);
  TempDir dir;
  std::string list = WallList(s, dir), db = dir / "w.db";
  auto crawl = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--json", "--retry-delay", "10", "--fail-on", "broken>2",
                    "--fail-on", "blocked>4", list},
                   "walls");
  auto blocked = [&](const char* path) {
    return Text(db, "SELECT coalesce(error, '-') || ' ' || status FROM results WHERE url = '" + s.Url(path) + "'");
  };
  CHECK(blocked("/cf") == "blocked 403");
  CHECK(blocked("/moment") == "blocked 503");
  CHECK(blocked("/script") == "blocked 403");
  CHECK(blocked("/later") == "blocked 429");
  CHECK(blocked("/dated") == "blocked 429");
  CHECK(blocked("/forbidden") == "- 403");  // an ordinary 403 stays an ordinary (broken) 403
  CHECK(blocked("/gone") == "- 404");
  CHECK(blocked("/ok") == "- 200");
  CHECK(Text(db, "SELECT error_message FROM results WHERE url = '" + s.Url("/cf") + "'") == "cf-mitigated: challenge");
  CHECK(Has(Text(db, "SELECT error_message FROM results WHERE url = '" + s.Url("/moment") + "'"), "Just a moment"));
  CHECK(Has(Text(db, "SELECT error_message FROM results WHERE url = '" + s.Url("/later") + "'"), "Retry-After 3600"));
  // 429 and 503 are retried when transient; a wall is asked once.
  CHECK(s.Received("/moment") == 1);
  CHECK(s.Received("/later") == 1);
  CHECK(s.Received("/dated") == 1);
  // broken: 404 and the plain 403; blocked counted apart, with its own --fail-on metric.
  CHECK(Has(crawl.out, "\"broken\":2,\"blocked\":5,"));
  CHECK(crawl.exit_code == 5);
  CHECK(Has(crawl.err, "--fail-on blocked>4: blocked is 5"));
  CHECK(!Has(crawl.err, "--fail-on broken>2"));

  auto json = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "walls-json");
  CHECK(json.exit_code == 0);
  CHECK(Has(json.out, "\"broken_count\":2,"));
  CHECK(Has(json.out, "\"blocked_count\":5,"));
  CHECK(Has(json.out, "\"broken\":2,\"blocked\":5,"));  // the headline
  auto text = Run({GREENCRAWL_BIN, "report", "--db", db}, "walls-text");
  CHECK(Has(text.out, "2 broken, 5 blocked,"));
  CHECK(Has(text.out, "Broken (2):"));
  CHECK(Has(text.out, "Blocked (5):"));
  auto html = Run({GREENCRAWL_BIN, "report", "--db", db, "--html", "-o", "-"}, "walls-html");
  CHECK(Has(html.out, "data-key=\"broken\" data-value=\"2\""));
  CHECK(Has(html.out, "data-key=\"blocked\" data-value=\"5\""));
  CHECK(Has(html.out, "<section class=\"block\" id=\"blocked\"><h2>Blocked <span class=\"muted\">5</span>"));
  auto runs = Run({GREENCRAWL_BIN, "runs", "--db", db, "--json"}, "walls-runs");
  CHECK(Has(runs.out, "\"broken\":2,\"blocked\":5,"));
}

TEST_CASE("--accept decides broken in report, --fail-on and the HTML report; a later report uses the run's own set") {
  TestServer s;
  s.Handle("/ok", [](const HttpRequest&, Conn& c) { c.Respond(200, "ok"); });
  s.Handle("/empty", [](const HttpRequest&, Conn& c) { c.Respond(204, ""); });
  s.Handle("/busy", [](const HttpRequest&, Conn& c) { c.Respond(429, "busy", "text/plain"); });
  s.Handle("/teapot", [](const HttpRequest&, Conn& c) { c.Respond(418, "teapot", "text/plain"); });
  TempDir dir;
  WriteFile(dir / "l.txt", s.Url("/ok") + "\n" + s.Url("/empty") + "\n" + s.Url("/busy") + "\n" + s.Url("/teapot") + "\n");
  std::string db = dir / "a.db";

  // Run 1 accepts 429 (lychee's -a 200..=299,429): only the 418 is broken.
  auto first = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--retries", "0", "--accept", "200..=299, 429",
                    "--fail-on", "broken>1", dir / "l.txt"},
                   "accept1");
  CHECK(first.exit_code == 0);
  CHECK(Has(Text(db, "SELECT options FROM runs WHERE id = 1"), "\"accept\":\"200-299,429\""));
  // Run 2, the default: 429 and 418 are broken, as before --accept existed.
  auto second = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--retries", "0", "--fail-on", "broken>1",
                     dir / "l.txt"},
                    "accept2");
  CHECK(second.exit_code == 5);
  CHECK(Has(second.err, "--fail-on broken>1: broken is 2"));

  auto report = [&](std::vector<std::string> extra, const std::string& tag) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "report", "--db", db};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args, tag);
  };
  CHECK(Has(report({"--run", "1", "--json"}, "r1").out, "\"broken_count\":1,"));
  CHECK(Has(report({"--run", "2", "--json"}, "r2").out, "\"broken_count\":2,"));
  // report --accept overrides the stored set, both ways.
  CHECK(Has(report({"--run", "1", "--json", "--accept", "200-299"}, "r1o").out, "\"broken_count\":2,"));
  CHECK(Has(report({"--run", "2", "--json", "--accept", "200-299,400-499"}, "r2o").out, "\"broken_count\":0,"));
  CHECK(Has(report({"--run", "1"}, "r1t").out, "Broken (1, accepting 200-299,429):"));
  CHECK(Has(report({"--run", "1", "--html", "-o", "-"}, "r1h").out, "data-key=\"broken\" data-value=\"1\""));
  CHECK(Has(report({"--run", "2", "--html", "-o", "-"}, "r2h").out, "data-key=\"broken\" data-value=\"2\""));
  auto runs = Run({GREENCRAWL_BIN, "runs", "--db", db, "--json"}, "accept-runs");
  CHECK(Has(runs.out, "\"broken\":1,\"blocked\":0,\"accept\":\"200-299,429\""));
  CHECK(Has(runs.out, "\"broken\":2,\"blocked\":0,\"accept\":\"100-399,robots\""));

  // A bad set is refused, naming the bad part, before anything is crawled or read.
  auto bad = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "bad.db", "--accept", "200-299,2x9", dir / "l.txt"}, "bad1");
  CHECK(bad.exit_code == 2);
  CHECK(Has(bad.err, "'2x9' is not a status code or range"));
  auto low = report({"--accept", "99-200"}, "bad2");
  CHECK(low.exit_code == 2);
  CHECK(Has(low.err, "--accept: '99-200': status codes run from 100 to 999"));
  // Formats: one way of saying it; -o writes any of them to a file, whole or not at all.
  auto both = report({"--json", "--format", "junit"}, "bad3");
  CHECK(both.exit_code == 2);
  CHECK(Has(both.err, "--json and --format junit disagree"));
  auto to_stdout = report({"--run", "1", "--format", "json"}, "fj");
  CHECK(Has(to_stdout.out, "\"broken_count\":1,"));
  for (const char* format : {"text", "json"}) {
    CAPTURE(format);
    std::string file = dir / (std::string("report.") + format);
    auto written = report({"--run", "1", "--format", format, "-o", file}, std::string("file-") + format);
    CHECK(written.exit_code == 0);
    CHECK(written.out.empty());
    CHECK(ReadFile(file) == report({"--run", "1", "--format", format}, std::string("same-") + format).out);
    CHECK_FALSE(std::filesystem::exists(file + ".partial"));
  }
  // No format given: the file's name says which.
  CHECK(report({"--run", "1", "-o", dir / "by-name.json"}, "by-name").exit_code == 0);
  CHECK(ReadFile(dir / "by-name.json") == to_stdout.out);
  CHECK(report({"--run", "1", "-o", dir / "by-name.MD"}, "by-md").exit_code == 0);
  CHECK(ReadFile(dir / "by-name.MD").rfind("## ", 0) == 0);
  auto nowhere = report({"--json", "-o", dir / "no-such-dir/x.json"}, "nowhere");
  CHECK(nowhere.exit_code != 0);
  CHECK(Has(nowhere.err, "cannot write"));
}

TEST_CASE("accept sets parse codes and ranges, merge them, and judge like the SQL") {
  std::string why;
  auto set = AcceptSet::Parse("429,200-299,250-300, 204", &why);
  REQUIRE(set);
  CHECK(set->Text() == "200-300,429");
  CHECK(set->Accepts(200));
  CHECK(set->Accepts(304));  // always: it answers greencrawl's own conditional requests
  CHECK(!set->Accepts(301));
  CHECK(set->Broken(404, std::nullopt));
  CHECK(!set->Broken(429, std::nullopt));
  CHECK(!set->Broken(403, std::string("blocked")));
  CHECK(set->Broken(200, std::string("too_large")));
  CHECK(!set->Broken(std::nullopt, std::nullopt));
  CHECK(AcceptSet().Text() == "100-399,robots");
  CHECK(!AcceptSet::Parse("", &why));
  CHECK(!AcceptSet::Parse("300-200", &why));
  CHECK(why == "'300-200': status codes run from 100 to 999, low to high");
  CHECK(!AcceptSet::Parse("200,,300", &why));
  CHECK(why == "'' is not a status code or range (e.g. 200-299,429)");
  std::string many;
  for (int i = 0; i < 40; ++i) many += std::to_string(100 + i) + ",";
  many.pop_back();
  CHECK(!AcceptSet::Parse(many, &why));
}

TEST_CASE("report --format junit: one testcase per URL, classname the host, failures and skipped, read back by a JUnit parser") {
  TestServer s;
  ServeWalls(s);
  TempDir dir;
  std::string list = WallList(s, dir), db = dir / "j.db";
  // Two list lines that are not URLs, with text XML must escape: they become invalid_url results.
  std::ofstream(list, std::ios::app) << "http://exa mple.org/<b>&\"'\x01\n" << "not a url ]]> \xff\xfe\n";
  auto crawl = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--retry-delay", "10", list}, "junit-crawl");
  REQUIRE(crawl.exit_code == 0);
  std::string xml = dir / "report.xml";
  auto junit = Run({GREENCRAWL_BIN, "report", "--db", db, "--format", "junit", "-o", xml}, "junit");
  REQUIRE(junit.exit_code == 0);
  auto check = Run({kPython, TESTS_DIR "/junit_check.py", xml}, "junit-check");
  INFO(check.out);
  REQUIRE(check.exit_code == 0);
  auto lines = Lines(check.out);
  std::multiset<std::string> got(lines.begin(), lines.end());
  CHECK(got.count("tests 10"));
  CHECK(got.count("failures 4"));  // 404, the plain 403, two invalid lines
  CHECK(got.count("skipped 5"));
  CHECK(got.count("cases 10"));
  CHECK(got.count("failure 127.0.0.1 " + s.Url("/gone")));
  CHECK(got.count("failure 127.0.0.1 " + s.Url("/forbidden")));
  CHECK(got.count("skipped 127.0.0.1 " + s.Url("/cf")));
  CHECK(got.count("skipped 127.0.0.1 " + s.Url("/later")));
  CHECK(got.count("failure (no host) http://exa mple.org/<b>&\"'"));  // the list reader drops the control char
  if (!got.count("junitparser missing")) CHECK(got.count("junitparser 10 4 5"));

  // Standard output by default; --accept applies here too.
  auto accepting = Run({GREENCRAWL_BIN, "report", "--db", db, "--format", "junit", "--accept", "200-499"}, "junit2");
  CHECK(Has(accepting.out, "tests=\"10\" failures=\"2\" errors=\"0\" skipped=\"5\""));
  CHECK(Has(accepting.out, "<property name=\"accept\" value=\"200-499\"/>"));
}

TEST_CASE("XML escaping keeps crawled text well-formed") {
  CHECK(gc::XmlEscape("a&b<c>\"d'") == "a&amp;b&lt;c&gt;&quot;d&apos;");
  CHECK(gc::XmlEscape("l1\nl2\t\r") == "l1&#10;l2&#9;&#13;");
  CHECK(gc::XmlEscape("\x01\x1f") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(gc::XmlEscape("\xff") == "\xEF\xBF\xBD");
  CHECK(gc::XmlEscape("\xEF\xBF\xBF") == "\xEF\xBF\xBD");  // U+FFFF is not an XML character
  CHECK(gc::XmlEscape("é✓") == "é✓");
  CHECK(gc::XmlEscape(std::string(100, 'x'), 10) == std::string(10, 'x') + "…");
}

TEST_CASE("report --format markdown: the counts, a capped broken table that says what it left out, escaped text") {
  TestServer s;
  ServeWalls(s);
  TempDir dir;
  std::string list = WallList(s, dir), db = dir / "m.db";
  {
    std::ofstream more(list, std::ios::app);
    for (int i = 0; i < 60; ++i) more << s.Url("/missing/" + std::to_string(i)) << "\n";
    more << "!| not a url `x` <img src=x onerror=alert(1)> *b* [l](javascript:x)\n";  // sorts first
  }
  auto crawl = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--retry-delay", "10", list}, "md-crawl");
  REQUIRE(crawl.exit_code == 0);
  auto md = Run({GREENCRAWL_BIN, "report", "--db", db, "--format", "markdown"}, "md");
  REQUIRE(md.exit_code == 0);
  INFO(md.out);
  auto lines = Lines(md.out);
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "## greencrawl run 1: 63 broken of 69 URLs");
  CHECK(Has(md.out, "| 69 | 1 | 63 | 5 | 6 | 0 |"));  // URLs, ok, broken, blocked, errors (blocked, the bad line), skipped
  CHECK(Has(md.out, "### Broken (63)"));
  CHECK(Has(md.out, "### Blocked (5)"));
  CHECK(Has(md.out, "13 more not shown: `greencrawl report --db " + db + " --run 1 --all`"));
  size_t rows = 0;
  for (const auto& line : lines) {
    if (line.rfind("| `", 0) != 0) continue;
    ++rows;
    CHECK_MESSAGE(Cells(line) == 3, line);  // no crawled text adds or removes a cell
  }
  CHECK(rows == gc::kMarkdownRows + 5);  // the broken table capped, the blocked one whole
  // The hostile line: in a code span (inert), its pipe escaped, its backtick inside a longer fence.
  CHECK(Has(md.out, "| ``!\\| not a url `x` <img src=x onerror=alert(1)> *b* [l](javascript:x)`` | invalid\\_url | list line 69 |"));
  CHECK(md.out.size() < 20'000);
}

TEST_CASE("Markdown escaping: punctuation literal, code spans fenced past any backticks") {
  CHECK(gc::MarkdownText("a|b*c<d>&[e](f)") == "a\\|b\\*c\\<d\\>\\&\\[e\\]\\(f\\)");
  CHECK(gc::MarkdownText("one\ntwo") == "one two");
  CHECK(gc::MarkdownCode("a|b") == "`a\\|b`");
  CHECK(gc::MarkdownCode("x``y") == "```x``y```");
  CHECK(gc::MarkdownCode("`x") == "`` `x ``");
}

namespace {

// A site with every kind of outcome a report has a word or a section for: ok pages, a redirect, a 404,
// a 500, a reset connection, a robots.txt exclusion (skipped), a bot wall (blocked), a missing anchor, a
// sitemap URL that is gone, and a link to another site that is gone; plus a list URL nobody answers.
struct EveryOutcome {
  TestServer site;
  TestServer other{"127.0.0.2"};
  std::atomic<bool> boom_fails{false};  // run 1: /boom is fine; run 2: 500 (new breakage, a change)
  EveryOutcome() {
    site.Handle("/robots.txt", [](const HttpRequest&, Conn& c) {
      c.Respond(200, "User-agent: *\nDisallow: /private/\n", "text/plain");
    });
    site.Handle("/index.html", [this](const HttpRequest&, Conn& c) {
      c.Respond(200, "<title>Index</title><a href='/ok.html'>ok</a> <a href='/moved'>moved</a> "
                     "<a href='/gone'>gone</a> <a href='/boom'>boom</a> <a href='/reset'>reset</a> "
                     "<a href='/private/secret.html'>private</a> <a href='/cf'>wall</a> "
                     "<a href='/ok.html#missing'>anchor</a> <a href='/ok.html#here'>anchor ok</a> "
                     "<a href='" + other.Url("/ext-gone") + "'>elsewhere</a> <a href='" + other.Url("/ext-ok") +
                     "'>elsewhere, fine</a>");
    });
    site.Handle("/ok.html", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>OK</title><h2 id='here'>h</h2>"); });
    site.Handle("/moved", [this](const HttpRequest&, Conn& c) {
      c.Respond(301, "", "text/html", {{"Location", site.Url("/ok.html")}});
    });
    site.Handle("/gone", [](const HttpRequest&, Conn& c) { c.Respond(404, "<title>Not Found</title>"); });
    site.Handle("/boom", [this](const HttpRequest&, Conn& c) {
      c.Respond(boom_fails ? 500 : 200, "<title>boom</title>");
    });
    site.Handle("/reset", [](const HttpRequest&, Conn& c) { c.Reset(); });
    site.Handle("/cf", [](const HttpRequest&, Conn& c) {
      c.Respond(403, "<title>x</title>", "text/html", {{"cf-mitigated", "challenge"}});
    });
    site.Handle("/sitemap.xml", [this](const HttpRequest&, Conn& c) {
      c.Respond(200, "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>" +
                         site.Url("/ok.html") + "</loc></url><url><loc>" + site.Url("/sitemap-gone") +
                         "</loc></url></urlset>",
                "application/xml");
    });
    site.Handle("/sitemap-gone", [](const HttpRequest&, Conn& c) { c.Respond(404, "no"); });
    other.Handle("/ext-gone", [](const HttpRequest&, Conn& c) { c.Respond(404, "<title>gone</title>"); });
    other.Handle("/ext-ok", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>fine</title>"); });
  }
};

// The part of `text` from `begin` up to `end` (or its end): one section of a report.
std::string Part(const std::string& text, const std::string& begin, const std::string& end) {
  size_t a = text.find(begin);
  if (a == std::string::npos) return "";
  size_t b = end.empty() ? std::string::npos : text.find(end, a + begin.size());
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// Where `url` is in `section`, followed by a character that ends it (a quote, a space, a tag...): a
// prefix of another URL (.../gone of .../gone2) does not count.
size_t At(const std::string& section, const std::string& url) {
  for (size_t at = section.find(url); at != std::string::npos; at = section.find(url, at + 1)) {
    char next = at + url.size() < section.size() ? section[at + url.size()] : ' ';
    if (std::string_view("\"'` <|\n)#").find(next) != std::string_view::npos) return at;
  }
  return std::string::npos;
}

}  // namespace

TEST_CASE("one run with every kind of outcome: text, JSON, HTML, Markdown and JUnit name the same broken URLs, "
          "fragments and counts, most severe first") {
  EveryOutcome s;
  TempDir dir;
  const std::string nobody = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "/down";
  WriteFile(dir / "list.txt", s.site.Url("/index.html") + "\n" + nobody + "\n");
  const std::string db = dir / "all.db";
  auto crawl = [&](const std::string& tag) {
    return Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--retries", "0", "--depth", "2", "--allow-private",
                "--check-fragments", "--sitemap", s.site.Url("/sitemap.xml"), dir / "list.txt"},
               tag);
  };
  REQUIRE(crawl("all-1").exit_code == 0);
  s.boom_fails = true;
  REQUIRE(crawl("all-2").exit_code == 0);

  const std::string gone = s.site.Url("/gone"), boom = s.site.Url("/boom"), reset = s.site.Url("/reset");
  const std::string ext_gone = s.other.Url("/ext-gone"), map_gone = s.site.Url("/sitemap-gone");
  const std::string wall = s.site.Url("/cf"), fragment = s.site.Url("/ok.html") + "#missing";
  // The database's own word for each URL, as the reports must repeat it.
  CHECK(Text(db, "SELECT coalesce(error, status) FROM results WHERE run_id = 2 AND url = '" + reset + "'") == "reset");
  CHECK(Text(db, "SELECT coalesce(error, status) FROM results WHERE run_id = 2 AND url = '" + nobody + "'") == "connect");
  CHECK(Text(db, "SELECT error FROM results WHERE run_id = 2 AND url = '" + s.site.Url("/private/secret.html") + "'") ==
        "robots");
  CHECK(Text(db, "SELECT source_kind FROM results WHERE run_id = 2 AND url = '" + ext_gone + "'") == "external");
  CHECK(Text(db, "SELECT source_kind FROM results WHERE run_id = 2 AND url = '" + map_gone + "'") == "sitemap");
  const int64_t results = Scalar(db, "SELECT count(*) FROM results WHERE run_id = 2");
  const int64_t errors = Scalar(db, "SELECT count(error) FROM results WHERE run_id = 2");
  // broken: /gone, /boom, /reset, the list's dead port, the other site's 404, the sitemap's 404.
  const std::vector<std::string> broken = {boom, reset, nobody, gone, ext_gone, map_gone};
  const int64_t ok = results - 6 - 1 - 1;  // all but the broken, the wall (blocked) and /private/ (skipped)

  auto report = [&](std::vector<std::string> extra, const std::string& tag) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "report", "--db", db};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Run(args, tag);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  const std::string text = report({}, "all-text"), json = report({"--json"}, "all-json");
  const std::string html = report({"--html", "-o", "-"}, "all-html");
  const std::string md = report({"--format", "markdown"}, "all-md");
  const std::string xml_file = dir / "all.xml";
  report({"--format", "junit", "-o", xml_file}, "all-junit");
  const std::string junit = ReadFile(xml_file);
  INFO("text:\n" << text << "\njson:\n" << json << "\nmarkdown:\n" << md << "\njunit:\n" << junit);

  // The counts, each in its format's own words.
  const std::string R = std::to_string(results), O = std::to_string(ok), E = std::to_string(errors);
  CHECK(Has(text, "Run 2: completed, " + R + " results (" + O + " ok, 6 broken, 1 blocked, 1 skipped, " + E + " errors)"));
  CHECK(Has(json, "\"results\":" + R + ",\"responses\":"));
  CHECK(Has(json, "\"ok\":" + O + ",\"broken\":6,\"blocked\":1,"));  // "run"
  CHECK(Has(json, "\"ok\":" + O + ",\"errors\":" + E + ",\"broken\":6,\"blocked\":1,"));  // "headline"
  CHECK(Has(json, "\"skipped\":1,"));
  CHECK(Has(json, "\"broken_count\":6,"));
  CHECK(Has(json, "\"broken_by_group\":{\"page\":4,\"external\":1,\"sitemap\":1}"));
  for (const auto& kv : std::vector<std::pair<std::string, std::string>>{
           {"results", R}, {"ok", O}, {"broken", "6"}, {"blocked", "1"}, {"skipped", "1"}, {"errors", E}}) {
    const std::string& key = kv.first;  // not a structured binding: clang 14 cannot capture one (CHECK_MESSAGE)
    CHECK_MESSAGE(Has(html, "data-key=\"" + key + "\" data-value=\"" + kv.second + "\""), key);
  }
  CHECK(Has(md, "| " + R + " | " + O + " | 6 | 1 | " + E + " | 1 |"));
  CHECK(Has(junit, "tests=\"" + std::to_string(results + 1) + "\" failures=\"7\" errors=\"0\" skipped=\"2\""));
  CHECK(Has(junit, "<property name=\"broken.external\" value=\"1\"/>"));
  CHECK(Has(junit, "<property name=\"broken.sitemap\" value=\"1\"/>"));

  // The outcomes by status, in the same order (ties: no answer first).
  CHECK(Has(json, "\"by_status\":{\"200\":4,\"none\":3,\"404\":3,\"403\":1,\"500\":1}"));
  CHECK(Has(text, "By status:\n  200                          4\n  none                         3\n  404                          3\n"));
  CHECK(Has(md, "By status: 200 4, none 3, 404 3, 403 1, 500 1."));
  CHECK(Has(junit, "<property name=\"by_status\" value=\"200: 4, none: 3, 404: 3, 403: 1, 500: 1\"/>"));
  CHECK(html.find("<tr><td>HTTP 200</td>") < html.find("<tr><td>no response</td>"));
  CHECK(html.find("<tr><td>no response</td>") < html.find("<tr><td>HTTP 404</td>"));
  CHECK(html.find("<tr><td>HTTP 404</td>") != std::string::npos);

  // The same broken URLs in the broken sections of each, most severe first: no answer and 5xx before 4xx.
  const std::vector<std::pair<std::string, std::string>> sections = {
      {"text", Part(text, "\nBroken (", "\nBlocked (")},
      {"json", Part(json, "\"broken\":[", "\"blocked_count\"")},
      {"html", Part(html, "id=\"broken\"", "id=\"blocked\"")},
      {"markdown", Part(md, "### Broken (", "### Blocked (")},
  };
  for (const auto& section : sections) {
    const auto& format = section.first;  // not a structured binding: clang 14 cannot capture one (CAPTURE)
    const auto& part = section.second;
    CAPTURE(format);
    REQUIRE(!part.empty());
    for (const auto& url : broken) CHECK_MESSAGE(At(part, url) != std::string::npos, url);
    CHECK(At(part, wall) == std::string::npos);  // blocked is not broken
    CHECK(At(part, s.site.Url("/private/secret.html")) == std::string::npos);  // nor is skipped
    CHECK(At(part, boom) < At(part, gone));
    CHECK(At(part, reset) < At(part, gone));
    CHECK(At(part, nobody) < At(part, gone));
  }
  // Broken links to other sites and from sitemaps have sections of their own, with where they came from.
  CHECK(Has(text, "  Links to other sites (1):\n    404"));
  CHECK(Has(text, "  Listed in sitemaps (1):\n    404                        " + map_gone + "  (in sitemap " +
                      s.site.Url("/sitemap.xml") + ")"));
  CHECK(Has(md, "#### Links to other sites (1)"));
  CHECK(Has(md, "| `" + map_gone + "` | HTTP 404 | in sitemap `" + s.site.Url("/sitemap.xml") + "` |"));
  CHECK(Has(html, "id=\"broken-external\""));
  CHECK(Has(html, "id=\"broken-sitemap\""));
  CHECK(Has(json, "\"url\":\"" + ext_gone + "\",\"status\":404,"));
  CHECK(Has(json, "\"source_kind\":\"external\",\"source\":\"" + s.site.Url("/index.html") + "\",\"group\":\"external\""));
  // ... with the page linking to them: the external link's referrer, in every format that lists them.
  CHECK(Has(Part(text, "Links to other sites (1):", "Listed in sitemaps"), "linked from 1 page(s): " + s.site.Url("/index.html")));
  CHECK(Has(Part(md, "#### Links to other sites", "#### Listed"), "1 page: `" + s.site.Url("/index.html") + "`"));

  // The broken fragment, named in every format.
  CHECK(Has(text, "Broken fragments (1 of "));
  CHECK(Has(text, "  " + fragment + "\n"));
  CHECK(Has(json, "\"url\":\"" + s.site.Url("/ok.html") + "\",\"fragment\":\"missing\""));
  CHECK(Has(html, "id=\"fragments\""));
  CHECK(Has(html, "href=\"" + fragment + "\""));
  CHECK(Has(md, "### Broken fragments (1)"));
  CHECK(Has(md, "| `" + fragment + "` |"));
  CHECK(Has(junit, "<testcase name=\"" + fragment + "\""));
  CHECK(!Has(json, "\"fragment\":\"here\""));

  // Blocked and skipped: the wall listed as blocked everywhere, the robots.txt exclusion counted.
  CHECK(At(Part(text, "\nBlocked (1):", "\n\n"), wall) != std::string::npos);
  CHECK(At(Part(json, "\"blocked\":[", "\"sitemaps\""), wall) != std::string::npos);
  CHECK(At(Part(html, "id=\"blocked\"", "</section>"), wall) != std::string::npos);
  CHECK(At(Part(md, "### Blocked (1)", "###"), wall) != std::string::npos);
  CHECK(Has(junit, "<skipped message=\"blocked (HTTP 403)"));
  CHECK(Has(junit, "<skipped message=\"skipped: "));

  // Redirects, changes since run 1 and the history: the same numbers in each.
  CHECK(Has(text, "Redirects (1):"));
  CHECK(Has(json, "\"redirected\":1,"));
  CHECK(Has(md, "### Redirects (1)"));
  CHECK(Has(html, "Redirects <span class=\"muted\">1</span>"));
  CHECK(Has(junit, "<property name=\"redirected\" value=\"1\"/>"));
  CHECK(Has(text, "Changes since run 1 (1 URL(s)): added 0 removed 0 status 1"));
  CHECK(Has(json, "\"changes\":{\"compared_with\":1,\"changed_urls\":1,\"by_kind\":{\"added\":0,\"removed\":0,\"status\":1,"));
  CHECK(Has(md, "1 URL(s) changed since run 1: added 0, removed 0, status 1,"));
  CHECK(Has(html, "data-kind=\"status\" data-count=\"1\""));
  CHECK(Has(junit, "<property name=\"changed_urls\" value=\"1\"/>"));
  CHECK(Has(text, "new broken:   1\n"));
  CHECK(Has(json, "\"new_broken\":1,"));
  CHECK(Has(md, "New broken: 1,"));
  CHECK(Has(html, "data-history=\"new_broken\" data-count=\"1\""));
  CHECK(Has(junit, "<property name=\"new_broken\" value=\"1\"/>"));

  // JUnit, read back by a parser: a failure for each broken URL and the fragment, nothing else.
  auto check = Run({kPython, TESTS_DIR "/junit_check.py", xml_file}, "all-junit-check");
  INFO(check.out);
  REQUIRE(check.exit_code == 0);
  std::set<std::string> failed;
  for (const auto& line : Lines(check.out)) {
    if (line.rfind("failure ", 0) == 0) failed.insert(line.substr(line.find(' ', 8) + 1));
  }
  std::set<std::string> expected(broken.begin(), broken.end());
  expected.insert(fragment);
  CHECK(failed == expected);
}
