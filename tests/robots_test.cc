// robots.txt per RFC 9309, with the RFC's own example (section 5.1) as the first table.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <string_view>

#include "urls/robots.h"

using gc::urls::Robots;

namespace {
const char* kRfcExample = R"(User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot
)";

struct Case {
  const char* agent;
  const char* path;
  bool allowed;
};
}  // namespace

TEST_CASE("the RFC 9309 section 5.1 example, agent by agent") {
  const Case cases[] = {
      {"foobot", "/", false},
      {"foobot", "/example/page.html", true},
      {"foobot", "/example/allowed.gif", true},
      {"foobot", "/other.html", false},
      {"FooBot", "/example/page.html", true},  // agent names are case-insensitive
      {"barbot", "/example/page.html", false},
      {"barbot", "/example/other.html", true},
      {"bazbot", "/example/page.html", false},
      {"barbot", "/picture.gif", true},  // the * group's rules do not apply to a named group
      {"quxbot", "/example/page.html", true},  // an empty group allows everything
      {"otherbot", "/picture.gif", false},
      {"otherbot", "/picture.gif?x=1", true},  // $ anchors the end
      {"otherbot", "/example/x", false},
      {"otherbot", "/publications/x", true},
      {"otherbot", "/", true},
      {"otherbot", "/robots.txt", true},
  };
  for (const Case& c : cases) {
    Robots r = Robots::Parse(kRfcExample, c.agent);
    CHECK_MESSAGE(r.Allowed(c.path) == c.allowed, c.agent << " " << c.path);
  }
}

TEST_CASE("the longest match wins, and allow wins a tie") {
  Robots r = Robots::Parse("User-agent: *\nAllow: /p\nDisallow: /\nAllow: /folder\nDisallow: /folder\n"
                           "Disallow: /page\nAllow: /page.html\n",
                           "greencrawl");
  CHECK(r.Allowed("/p"));
  CHECK(r.Allowed("/folder/x"));  // tie between the /folder rules: allow
  CHECK_FALSE(r.Allowed("/page"));
  CHECK(r.Allowed("/page.html"));
  CHECK_FALSE(r.Allowed("/other"));
}

TEST_CASE("wildcards and the end anchor") {
  Robots r = Robots::Parse("User-agent: *\nDisallow: /*.php$\nDisallow: /fish*\nDisallow: /*/private/*\n", "greencrawl");
  CHECK_FALSE(r.Allowed("/filename.php"));
  CHECK_FALSE(r.Allowed("/folder/filename.php"));
  CHECK(r.Allowed("/filename.php?parameters"));
  CHECK(r.Allowed("/filename.php/"));
  CHECK_FALSE(r.Allowed("/fish"));
  CHECK_FALSE(r.Allowed("/fish.html"));
  CHECK_FALSE(r.Allowed("/fishheads/yummy.html"));
  CHECK(r.Allowed("/Fish.asp"));  // paths are case-sensitive
  CHECK_FALSE(r.Allowed("/a/private/b"));
  CHECK(r.Allowed("/private/b"));
}

TEST_CASE("our product token picks our group; groups for one agent merge; comments and junk are ignored") {
  const char* text =
      "# comment\nUser-agent: other\nDisallow: /\n\nUser-agent: GreenCrawl/1.0 (+https://x)\nDisallow: /a # tail\n"
      "garbage line without colon\nUser-agent: *\nDisallow: /b\n\nUser-agent: greencrawl\nDisallow: /c\nCrawl-delay: 2.5\n";
  Robots r = Robots::Parse(text, "greencrawl");
  CHECK_FALSE(r.Allowed("/a"));
  CHECK(r.Allowed("/b"));
  CHECK_FALSE(r.Allowed("/c"));
  CHECK(r.crawl_delay() == 2.5);
  // A delay of a day or more is still a delay (the crawl caps it); junk is none.
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: 86400\n", "greencrawl").crawl_delay() == 86400.0);
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: 1000000000\n", "greencrawl").crawl_delay() == 1e9);
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: " + std::string(400, '9') + "\n", "greencrawl").crawl_delay() >
        1e300);  // too large for a double: the largest
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: 0.5\n", "greencrawl").crawl_delay() == 0.5);
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: .5\n", "greencrawl").crawl_delay() == 0.5);
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: 10.\n", "greencrawl").crawl_delay() == 10.0);
  CHECK(Robots::Parse("User-agent: *\nCrawl-delay: 5 seconds\n", "greencrawl").crawl_delay() == 5.0);  // first word
  // Decimal only (issue 30): strtod read "0x1e" as 30 s. Hex, exponents, signs and a word glued to the
  // number are no delay at all, not a prefix of one.
  for (const char* v : {"0x1e", "0X1E", "1e9", "1e400", "+5", "5s", "1,5", ".", "0x", "0x1e seconds"}) {
    CAPTURE(v);
    CHECK_FALSE(Robots::Parse(std::string("User-agent: *\nCrawl-delay: ") + v + "\n", "greencrawl").crawl_delay());
  }
  CHECK_FALSE(Robots::Parse("User-agent: *\nCrawl-delay: soon\n", "greencrawl").crawl_delay());
  CHECK_FALSE(Robots::Parse("User-agent: *\nCrawl-delay: -1\n", "greencrawl").crawl_delay());
  CHECK_FALSE(Robots::Parse("User-agent: *\nCrawl-delay: inf\n", "greencrawl").crawl_delay());
  CHECK_FALSE(Robots::Parse("User-agent: *\nCrawl-delay: nan\n", "greencrawl").crawl_delay());
  CHECK(r.rules() == 2);
}

TEST_CASE("the product token of a User-Agent: its first product token, if robots.txt can name it") {
  CHECK(Robots::ProductToken("MyBot/1.0 (+https://example.org/bot)") == "MyBot");
  CHECK(Robots::ProductToken("greencrawl/0.9.0") == "greencrawl");
  CHECK(Robots::ProductToken("  my_bot-x  ") == "my_bot-x");
  CHECK(Robots::ProductToken("MyBot (+https://example.org/bot)") == "MyBot");
  CHECK(Robots::ProductToken("MyBot(compatible)") == "MyBot");
  // The first product token only: a browser-like agent is "Mozilla", as a site's group would have to say.
  CHECK(Robots::ProductToken("Mozilla/5.0 (compatible; MyBot/1.0)") == "Mozilla");
  // Not letters, '_' and '-' only (RFC 9309 2.2.1): no group can name it, so none is taken for it.
  for (const char* ua : {"Bot2/1.0", "my.bot/1", "2bot", "bot+x", "/1.0", "", "   ", "caf\xc3\xa9" "bot/1"}) {
    CAPTURE(ua);
    CHECK(Robots::ProductToken(ua).empty());
  }
}

TEST_CASE("the group is the agent's: a MyBot agent obeys MyBot's group, not greencrawl's; no token means '*'") {
  const char* text =
      "User-agent: greencrawl\nDisallow: /g\n\nUser-agent: mybot\nDisallow: /m\n\nUser-agent: *\nDisallow: /s\n";
  Robots mine = Robots::Parse(text, Robots::ProductToken("MyBot/1.0 (+https://example.org/bot)"));
  CHECK(mine.Allowed("/g"));
  CHECK_FALSE(mine.Allowed("/m"));
  CHECK(mine.Allowed("/s"));
  Robots ours = Robots::Parse(text, "greencrawl");
  CHECK_FALSE(ours.Allowed("/g"));
  CHECK(ours.Allowed("/m"));
  for (std::string_view token : {std::string_view(""), std::string_view("OtherBot")}) {
    CAPTURE(token);
    Robots star = Robots::Parse(text, token);
    CHECK(star.Allowed("/g"));
    CHECK(star.Allowed("/m"));
    CHECK_FALSE(star.Allowed("/s"));
  }
  // An empty token is not matched by an agent line that extracts to nothing ("User-agent: 2bot").
  CHECK(Robots::Parse("User-agent: 2bot\nDisallow: /\nUser-agent: *\nDisallow: /s\n", "").Allowed("/x"));
}

TEST_CASE("percent-encoding is compared normalised; non-ASCII is compared encoded") {
  Robots r = Robots::Parse("User-agent: *\nDisallow: /%7euser/\nDisallow: /caf\xc3\xa9\nDisallow: /a%2fb\n", "greencrawl");
  CHECK_FALSE(r.Allowed("/~user/x"));
  CHECK_FALSE(r.Allowed("/%7Euser/x"));
  CHECK_FALSE(r.Allowed("/caf%C3%A9"));
  CHECK_FALSE(r.Allowed("/a%2Fb"));
  CHECK(r.Allowed("/a/b"));  // an encoded slash is not a slash
}

TEST_CASE("empty Disallow allows all; allow-all and disallow-all policies") {
  CHECK(Robots::Parse("User-agent: *\nDisallow:\n", "greencrawl").Allowed("/anything"));
  CHECK(Robots::AllowAll().Allowed("/x"));
  CHECK_FALSE(Robots::DisallowAll().Allowed("/x"));
  CHECK(Robots::DisallowAll().Allowed("/robots.txt"));
  CHECK(Robots::Parse("", "greencrawl").Allowed("/x"));
}

TEST_CASE("hostile patterns stay fast") {
  std::string text = "User-agent: *\n";
  for (int i = 0; i < 200; ++i) text += "Disallow: /" + std::string(50, '*') + "x" + std::to_string(i) + "$\n";
  Robots r = Robots::Parse(text, "greencrawl");
  CHECK(r.Allowed("/" + std::string(2000, 'a')));
}

// Cases below marked "reference" come from RFC 9309's reference parser's tests (google/robotstxt,
// robots_test.cc), with its URLs reduced to the path and query we pass.
namespace {
bool AllowedFor(std::string_view text, const char* agent, const char* path) {
  return Robots::Parse(text, agent).Allowed(path);
}
}  // namespace

TEST_CASE("a Sitemap or unknown line between two user-agent lines does not end the agent list") {
  // Issue 12.4, as seen in the wild: greencrawl's agent line and the '*' line form one group.
  CHECK_FALSE(AllowedFor("User-agent: greencrawl\nSitemap: https://x.example/s.xml\nUser-agent: *\nDisallow: /\n",
                         "greencrawl", "/"));
  CHECK_FALSE(AllowedFor("User-agent: greencrawl\nNoindex: /x\nUser-agent: *\nDisallow: /\n", "greencrawl", "/"));
  // Crawl-delay is not a rule line either (the reference treats it as an unknown line): the delay belongs to
  // the whole group, agents named after it included.
  Robots r = Robots::Parse("User-agent: greencrawl\nCrawl-delay: 3\nUser-agent: other\nDisallow: /p\n", "greencrawl");
  CHECK_FALSE(r.Allowed("/p"));
  CHECK(r.crawl_delay() == 3.0);
  CHECK(Robots::Parse("User-agent: other\nCrawl-delay: 3\nUser-agent: greencrawl\nDisallow: /p\n", "greencrawl")
            .crawl_delay() == 3.0);
  // Blank lines and comments do not end it either.
  CHECK_FALSE(AllowedFor("User-agent: greencrawl\n\n# note\n\nUser-agent: *\nDisallow: /\n", "greencrawl", "/"));
  // Reference, ID_LineSyntax_Groups_OtherRules.
  for (const char* agent : {"FooBot", "BarBot"}) {
    CHECK_FALSE(AllowedFor("User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n", agent, "/"));
    CHECK_FALSE(AllowedFor("User-agent: FooBot\nInvalid-Unknown-Line: unknown\nUser-agent: *\nDisallow: /\n", agent, "/"));
  }
}

TEST_CASE("a rule line, even an empty Disallow, ends the agent list") {
  const char* text = "User-agent: greencrawl\nDisallow:\nUser-agent: *\nDisallow: /\n";
  CHECK(AllowedFor(text, "greencrawl", "/x"));
  CHECK_FALSE(AllowedFor(text, "other", "/x"));
  // A crawl-delay after the rules stays with its group.
  Robots r = Robots::Parse("User-agent: other\nDisallow: /a\nCrawl-delay: 9\nUser-agent: greencrawl\nDisallow: /b\n",
                           "greencrawl");
  CHECK_FALSE(r.crawl_delay().has_value());
  CHECK(r.Allowed("/a"));
}

TEST_CASE("reference: groups, merging, and rules outside any group") {
  const char* text =
      "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\ndisallow: /\n"
      "allow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n";
  CHECK(AllowedFor(text, "FooBot", "/x/b"));
  CHECK(AllowedFor(text, "FooBot", "/z/d"));
  CHECK_FALSE(AllowedFor(text, "FooBot", "/y/c"));
  CHECK(AllowedFor(text, "BarBot", "/y/c"));
  CHECK(AllowedFor(text, "BarBot", "/w/a"));
  CHECK_FALSE(AllowedFor(text, "BarBot", "/z/d"));
  CHECK(AllowedFor(text, "BazBot", "/z/d"));
  for (const char* agent : {"FooBot", "BarBot", "BazBot"}) CHECK_FALSE(AllowedFor(text, agent, "/foo/bar/"));
}

TEST_CASE("reference: the '*' group applies only when no group names us") {
  const char* global = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n";
  const char* only_specific = "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n";
  CHECK_FALSE(AllowedFor(global, "FooBot", "/x/y"));
  CHECK(AllowedFor(global, "BarBot", "/x/y"));
  CHECK(AllowedFor(only_specific, "QuxBot", "/x/y"));
  CHECK(AllowedFor("User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "/x/page"));
  // The agent value up to its first character outside [A-Za-z_-]; '*' followed by a space is still '*'.
  const char* spaced = "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n";
  CHECK(AllowedFor(spaced, "Foo", "/x/y"));
  CHECK_FALSE(AllowedFor("User-agent: * (all)\nDisallow: /\n", "FooBot", "/x"));
}

TEST_CASE("reference: line endings CR, LF and CRLF, and a UTF-8 byte order mark") {
  for (const char* text : {"User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n",
                           "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n",
                           "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r",
                           "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /"}) {
    CHECK_FALSE(AllowedFor(text, "bar", "/x"));
    CHECK(AllowedFor(text, "foo", "/x"));
  }
  CHECK_FALSE(AllowedFor("\xEF\xBB\xBFUser-Agent: foo\nDisallow: /\n", "foo", "/x"));
  CHECK_FALSE(AllowedFor("\xEF\xBBUser-Agent: foo\nDisallow: /\n", "foo", "/x"));  // a partial BOM too
  CHECK(AllowedFor("\xEF\x11\xBFUser-Agent: foo\nDisallow: /\n", "foo", "/x"));   // not a BOM: line 1 is junk
  CHECK(AllowedFor("User-Agent: foo\n\xEF\xBB\xBF" "Disallow: /\n", "foo", "/x"));   // only at the start
}

TEST_CASE("Sitemap lines are collected from anywhere in the file, in order") {
  Robots r = Robots::Parse("Sitemap: http://foo.bar/one.xml\nUser-Agent: foo\nAllow: /some/path\n"
                           "User-Agent: bar\n\nsitemap:http://foo.bar/two.xml   # comment\nSitemap:\n",
                           "greencrawl");
  REQUIRE(r.sitemaps().size() == 2);
  CHECK(r.sitemaps()[0] == "http://foo.bar/one.xml");
  CHECK(r.sitemaps()[1] == "http://foo.bar/two.xml");
  CHECK(Robots::Parse("User-agent: greencrawl\nDisallow: /\nSitemap: /s.xml\n", "greencrawl").sitemaps().size() == 1);
  std::string many;
  for (size_t i = 0; i < Robots::kMaxSitemaps + 10; ++i) many += "Sitemap: /s" + std::to_string(i) + "\n";
  CHECK(Robots::Parse(many, "greencrawl").sitemaps().size() == Robots::kMaxSitemaps);
}

namespace {
// An independent oracle: the reference parser's matcher (google/robotstxt RobotsMatchStrategy::Matches),
// the set of path positions the pattern so far can reach. O(path * pattern); fine for short strings.
bool OracleMatches(std::string_view path, std::string_view pattern) {
  std::vector<bool> reach(path.size() + 1, false);
  reach[0] = true;
  for (size_t p = 0; p < pattern.size(); ++p) {
    if (pattern[p] == '$' && p + 1 == pattern.size()) return reach[path.size()];
    std::vector<bool> next(path.size() + 1, false);
    bool any = false;
    for (size_t i = 0; i <= path.size(); ++i) {
      if (pattern[p] == '*') {
        if (reach[i] || (i > 0 && next[i - 1])) next[i] = true;
      } else if (reach[i] && i < path.size() && path[i] == pattern[p]) {
        next[i + 1] = true;
      }
    }
    for (bool b : next) any = any || b;
    if (!any) return false;
    reach = next;
  }
  return true;
}

std::string RandomString(std::mt19937& rng, const char* alphabet, size_t max_len) {
  std::string s;
  size_t n = rng() % (max_len + 1), k = std::string_view(alphabet).size();
  for (size_t i = 0; i < n; ++i) s += alphabet[rng() % k];
  return s;
}

// "Disallow: /*" + 'a' x k + "b", k = 1, 2, ... until the file holds `bytes`: distinct rules, each a
// search for a piece that "/aaaa..." never contains (issue 15.4).
std::string AaaabRules(size_t bytes, size_t first_k = 1) {
  std::string text = "User-agent: *\n";
  for (size_t k = first_k; text.size() < bytes; ++k) text += "Disallow: /*" + std::string(k, 'a') + "b\n";
  return text;
}
}  // namespace

TEST_CASE("the linear matcher agrees with the reference's position-set matcher on 20,000 random cases") {
  std::mt19937 rng(12345);
  int matched = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string pattern = "/" + RandomString(rng, "ab*/", 8) + (rng() % 3 == 0 ? "$" : "");
    std::string path = "/" + RandomString(rng, "ab/", 10);
    bool expected = OracleMatches(path, pattern);
    matched += expected;
    Robots r = Robots::Parse("User-agent: *\nDisallow: " + pattern + "\n", "greencrawl");
    CHECK_MESSAGE(r.Allowed(path) == !expected, pattern << " against " << path);
  }
  CHECK(matched > 2000);  // the random cases exercise both outcomes
  CHECK(matched < 18000);
}

TEST_CASE("issue 15.4: 500 KiB of '/*aaaa...b' rules against a 20 KB path is decided in few steps") {
  // The old backtracking matcher took about 10 s of CPU for this one call.
  Robots r = Robots::Parse(AaaabRules(500 * 1024), "greencrawl");
  CHECK(r.rules() > 900);
  Robots::Verdict v = r.Check("/" + std::string(20000, 'a'));
  CHECK(v.allowed);
  CHECK_FALSE(v.over_budget);
  CHECK(v.steps < 3 * 20000);  // the path's normalisation, then a byte-mask test per rule
}

TEST_CASE("a rule that must search the whole path costs O(path + pattern), not O(path * pattern)") {
  // The path holds a 'b', so the byte masks pass and every rule's piece is searched for along 20 KB of 'a's.
  Robots r = Robots::Parse(AaaabRules(40 * 1024, 900), "greencrawl");
  REQUIRE(r.rules() >= 40);
  std::string path = "/" + std::string(20000, 'a') + "cb";
  Robots::Verdict v = r.Check(path);
  CHECK(v.allowed);
  CHECK_FALSE(v.over_budget);
  CHECK(v.steps <= r.rules() * 2 * (path.size() + 2 * 1000) + path.size());
  // And a match at the far end is found.
  CHECK_FALSE(r.Allowed("/" + std::string(20000, 'a') + "b"));
  CHECK_FALSE(r.Allowed("/x/" + std::string(950, 'a') + "b/y"));
}

TEST_CASE("past the work budget a path is refused; a long rule matching early decides first") {
  Robots r = Robots::Parse(AaaabRules(500 * 1024, 500), "greencrawl");
  std::string path = "/" + std::string(20000, 'a') + "cb";
  Robots::Verdict v = r.Check(path);
  CHECK(v.over_budget);
  CHECK_FALSE(v.allowed);
  CHECK(v.steps <= Robots::kMaxMatchSteps + 2 * (path.size() + Robots::kMaxLineBytes));
  // The longest rule is tried first; when it matches, the rest is never looked at.
  Robots early = Robots::Parse(AaaabRules(500 * 1024, 500) + "Allow: /" + std::string(2000, 'a') + "\n", "greencrawl");
  Robots::Verdict e = early.Check(path);
  CHECK(e.allowed);
  CHECK(e.steps < 3 * path.size());
}

TEST_CASE("caps: rules per group, line length (the reference's cut)") {
  std::string text = "User-agent: *\n";
  for (size_t i = 0; i < Robots::kMaxRules + 10; ++i) text += "Disallow: /r" + std::to_string(i) + "/\n";
  Robots r = Robots::Parse(text, "greencrawl");
  CHECK(r.rules() == Robots::kMaxRules);
  CHECK_FALSE(r.Allowed("/r0/"));
  CHECK_FALSE(r.Allowed("/r" + std::to_string(Robots::kMaxRules - 1) + "/"));
  CHECK(r.Allowed("/r" + std::to_string(Robots::kMaxRules + 5) + "/"));
  // Reference, GoogleOnly_LineTooLong: a line keeps its first 8 * 2083 - 1 bytes.
  const size_t kLine = 2083 * 8;
  std::string longline = "/x/";
  while (longline.size() < kLine - 3 - std::string("disallow: ").size() + 1) longline += 'a';
  std::string cut = "user-agent: FooBot\ndisallow: " + longline + "/qux\n";
  CHECK(AllowedFor(cut, "FooBot", "/fux"));
  CHECK_FALSE(AllowedFor(cut, "FooBot", (longline + "/fux").c_str()));
  std::string a = "/x/", b = "/x/";
  while (a.size() < kLine - 3 - std::string("allow: ").size() + 1) a += 'a', b += 'b';
  std::string allows = "user-agent: FooBot\ndisallow: /\nallow: " + a + "/qux\nallow: " + b + "/qux\n";
  CHECK_FALSE(AllowedFor(allows, "FooBot", "/"));
  CHECK(AllowedFor(allows, "FooBot", (a + "/qux").c_str()));
  CHECK(AllowedFor(allows, "FooBot", (b + "/fux").c_str()));
}

TEST_CASE("reference: longest match, special characters, encoding") {
  const char* p = "/x/page.html";
  CHECK_FALSE(AllowedFor("user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n", "FooBot", p));
  CHECK(AllowedFor("user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", p));
  CHECK_FALSE(AllowedFor("user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "/x/"));
  CHECK(AllowedFor("user-agent: FooBot\ndisallow: \nallow: \n", "FooBot", p));
  CHECK(AllowedFor("user-agent: FooBot\ndisallow: /\nallow: /\n", "FooBot", p));
  CHECK_FALSE(AllowedFor("user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x"));
  CHECK(AllowedFor("user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x/"));
  CHECK_FALSE(AllowedFor("user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "/page.html"));
  CHECK(AllowedFor("user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "/page"));
  CHECK(AllowedFor("user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", p));
  CHECK_FALSE(AllowedFor("user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "/x/y.html"));
  CHECK(AllowedFor("user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "/"));
  CHECK_FALSE(AllowedFor("user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "/page.html"));
  const char* special = "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n";
  CHECK_FALSE(AllowedFor(special, "FooBot", "/foo/bar/quz"));
  CHECK(AllowedFor(special, "FooBot", "/foo/quz"));
  CHECK(AllowedFor(special, "FooBot", "/foo//quz"));
  CHECK(AllowedFor(special, "FooBot", "/foo/bax/quz"));
  const char* dollar = "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n";
  CHECK_FALSE(AllowedFor(dollar, "FooBot", "/foo/bar"));
  CHECK(AllowedFor(dollar, "FooBot", "/foo/bar/qux"));
  CHECK(AllowedFor(dollar, "FooBot", "/foo/bar/"));
  CHECK(AllowedFor(dollar, "FooBot", "/foo/bar/baz"));
  const char* comment = "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n";
  CHECK(AllowedFor(comment, "FooBot", "/foo/bar"));
  CHECK_FALSE(AllowedFor(comment, "FooBot", "/foo/quz"));
  const char* query = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n";
  CHECK(AllowedFor(query, "FooBot", "/foo/bar?qux=taz&baz=http://foo.bar?tar&par"));
  CHECK(AllowedFor("User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/\xE3\x83\x84\n", "FooBot", "/foo/bar/%E3%83%84"));
}
