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
