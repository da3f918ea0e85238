// robots.txt per RFC 9309, with the RFC's own example (section 5.1) as the first table.
#include <doctest/doctest.h>

#include <string>

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
  CHECK(r.rules() == 2);
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
