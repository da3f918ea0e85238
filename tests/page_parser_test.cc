// Every extraction rule of the parser, its robustness limits, and parsing on the thread pool.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "crawler/parse_job.h"
#include "greenlet/spawn.h"
#include "parser/page_parser.h"
#include "parser/parse_budget.h"
#include "text/utf8.h"

using namespace gc;

namespace {

const std::string kPage = "http://example.com/dir/page.html";

PageInfo Parse(const std::string& html, const std::string& url = kPage, ParseOptions o = ParseOptions()) {
  return ParsePage(html, url, "text/html; charset=utf-8", o);
}

std::vector<std::string> Urls(const PageInfo& info) {
  std::vector<std::string> out;
  for (auto& l : info.links) out.push_back(l.url);
  return out;
}

const Link* Find(const PageInfo& info, const std::string& url) {
  for (auto& l : info.links) {
    if (l.url == url) return &l;
  }
  return nullptr;
}

// Issue 30's first page: 500 formatting elements with different ids left open, then <p>x</p>s. gumbo
// reconstructs all 500 in every <p> (the "three identical" rule never applies): memory grows by ~100 KB a
// paragraph. A link before the bomb is "found so far".
std::string FormattingBomb(size_t bytes) {
  std::string html = "<title>bomb</title><a href=/before>b</a><p>";
  for (int i = 0; i < 500; ++i) html += "<b id=" + std::to_string(i) + ">";
  html += "</p>";
  while (html.size() < bytes) html += "<p>x</p>";
  return html;
}

// Issue 30's second page: one element with n attributes, each compared by gumbo with every earlier one.
std::string AttributeBomb(size_t n) {
  std::string html = "<title>bomb</title><a href=/before>b</a><div";
  for (size_t i = 0; i < n; ++i) html += " a" + std::to_string(i);
  return html + "><a href=/after>a</a></div>";
}

}  // namespace

TEST_CASE("the title is the first <title>, entities decoded, whitespace collapsed") {
  auto info = Parse("<html><head><title>\n  Hello &amp;\t  World  </title><title>second</title></head></html>");
  CHECK(info.html);
  CHECK(info.title == "Hello & World");
  CHECK(Parse("<p>no title here</p>").title.empty());
  CHECK(Parse("<svg><title>icon</title></svg><title>page</title>").title == "page");
}

TEST_CASE("a title with broken UTF-8, NULs and controls becomes clean UTF-8, capped on a character boundary") {
  std::string raw = "<title>caf\xc3\xa9 \xff\xfe ok\x01 nul:";
  raw += '\0';
  raw += "end</title>";
  auto info = Parse(raw);
  CHECK(info.title.find('\0') == std::string::npos);
  CHECK(info.title.find("caf\xc3\xa9") == 0);
  CHECK(info.title.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD for the bad bytes
  CHECK(CleanText("a\xff" "b", 100) == "a\xef\xbf\xbd" "b");
  CHECK(CleanText("\xe2\x82\xac\xe2\x82\xac", 4) == "\xe2\x82\xac");  // never half a character
  CHECK(CleanText(std::string(5000, 'x'), 1024).size() == 1024);
  ParseOptions o;
  o.max_title_bytes = 10;
  CHECK(Parse("<title>" + std::string(100, 'y') + "</title>", kPage, o).title == std::string(10, 'y'));
}

TEST_CASE("links come from a, area, frame and iframe, resolved against the page, in document order") {
  auto info = Parse(R"html(<a href="a.html">a</a> <map><area href="/area"></map>
    <frameset><frame src="frame.html"></frameset><iframe src="//other.example/if"></iframe>
    <a>no href</a> <a href="a.html#dup">again</a>)html");
  CHECK(Urls(info) == std::vector<std::string>{"http://example.com/dir/a.html", "http://example.com/area",
                                              "http://other.example/if"});
  // <frame> outside a frameset document is dropped by the HTML parser itself, as browsers do.
  auto frames = Parse(R"html(<html><frameset><frame src="f1.html"><frame src="f2.html"></frameset></html>)html");
  CHECK(Urls(frames) == std::vector<std::string>{"http://example.com/dir/f1.html", "http://example.com/dir/f2.html"});
}

TEST_CASE("<base href> is resolved against the page, and links against it; only the first counts") {
  auto info = Parse(R"html(<head><base href="../other/"><base href="/ignored/"></head>
    <a href="x.html">x</a><a href="/abs">abs</a>)html");
  CHECK(info.base_url == "http://example.com/other/");
  CHECK(Urls(info) == std::vector<std::string>{"http://example.com/other/x.html", "http://example.com/abs"});
  auto cross = Parse(R"html(<base href="https://cdn.example.org/root/"><a href="y">y</a>)html");
  CHECK(Urls(cross) == std::vector<std::string>{"https://cdn.example.org/root/y"});
}

TEST_CASE("link forms: scheme-relative, ../ past the root, percent-encoding, non-ASCII, padding") {
  auto info = Parse(R"html(<a href="//host.example/x">1</a><a href="../../../../top">2</a>
    <a href="a%2fb%7e">3</a><a href="caf&#xe9;/m&#xfc;">4</a><a href="  spaced.html
    ">5</a><a href="?q=1">6</a><a href="HTTP://UPPER.example:80/P">7</a>)html");
  CHECK(Urls(info) == std::vector<std::string>{
                          "http://host.example/x", "http://example.com/top", "http://example.com/dir/a%2Fb~",
                          "http://example.com/dir/caf%C3%A9/m%C3%BC", "http://example.com/dir/spaced.html",
                          "http://example.com/dir/page.html?q=1", "http://upper.example/P"});
}

TEST_CASE("fragments are dropped and only http(s) links are kept") {
  auto info = Parse(R"html(<a href="#top">t</a><a href="javascript:void(0)">j</a><a href="mailto:a@b.c">m</a>
    <a href="data:text/html,x">d</a><a href="file:///etc/passwd">f</a><a href="ftp://x/y">ftp</a>
    <a href="tel:123">tel</a><a href="https://secure.example/p#frag">s</a>)html");
  CHECK(Urls(info) == std::vector<std::string>{"http://example.com/dir/page.html", "https://secure.example/p"});
}

TEST_CASE("rel=nofollow is kept per link; a target linked both ways is followable") {
  auto info = Parse(R"html(<a href="/n" rel="external NoFollow">n</a><a href="/f">f</a>
    <a href="/both" rel="nofollow">1</a><a href="/both">2</a>)html");
  REQUIRE(info.links.size() == 3);
  CHECK(Find(info, "http://example.com/n")->nofollow);
  CHECK_FALSE(Find(info, "http://example.com/f")->nofollow);
  CHECK_FALSE(Find(info, "http://example.com/both")->nofollow);
}

TEST_CASE("meta robots, canonical, refresh, charset and lang") {
  auto info = Parse(R"html(<html lang="en-GB"><head><meta charset="UTF-8">
    <meta name="ROBOTS" content="noindex, nofollow"><link rel="canonical" href="/canon?x=1#f">
    <meta http-equiv="refresh" content="5; URL='next.html'"></head></html>)html");
  CHECK(info.noindex);
  CHECK(info.nofollow);
  CHECK(info.canonical == "http://example.com/canon?x=1");
  CHECK(info.refresh_url == "http://example.com/dir/next.html");
  CHECK(info.charset == "utf-8");
  CHECK(info.lang == "en-GB");
  auto none = Parse(R"html(<meta name="robots" content="none"><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">)html");
  CHECK(none.noindex);
  CHECK(none.nofollow);
  CHECK(none.charset == "iso-8859-1");
  auto plain = Parse("<meta name=robots content=index,follow>");
  CHECK_FALSE(plain.noindex);
  CHECK_FALSE(plain.nofollow);
}

TEST_CASE("resources are kept only when asked, and marked") {
  std::string html = R"html(<link rel="stylesheet" href="s.css"><script src="/app.js"></script><img src="i.png"><a href="p">p</a>)html";
  CHECK(Urls(Parse(html)) == std::vector<std::string>{"http://example.com/dir/p"});
  ParseOptions o;
  o.resources = true;
  auto info = Parse(html, kPage, o);
  REQUIRE(info.links.size() == 4);
  CHECK(Find(info, "http://example.com/dir/s.css")->resource == ResourceKind::kStyle);
  CHECK(Find(info, "http://example.com/app.js")->resource == ResourceKind::kScript);
  CHECK(Find(info, "http://example.com/dir/i.png")->resource == ResourceKind::kImage);
  CHECK(Find(info, "http://example.com/dir/p")->resource == ResourceKind::kNone);
}

TEST_CASE("resources: srcset candidates, <picture> and media sources, icons, preloads and iframes, each with its kind") {
  std::string html = R"html(<head>
<link rel="icon" href="/fav.ico"><link rel="preload" as="font" href="/f.woff2"><link rel="preload" as="fetch" href="/api">
<link rel="alternate" href="/feed.xml"><link rel="Shortcut Icon" href="/old.ico">
</head><body>
<img src="a.png" srcset="a-1x.png 1x, a,2x.png 2x,a-3x.png 3x">
<picture><source srcset="p.webp 100w, p2.webp (max-width: 5px) 200w"><img src="p.jpg"></picture>
<video src="v.mp4"><source src="v.webm"></video><audio><source src="s.ogg"></audio>
<iframe src="/embed"></iframe><a href="a.png">the same image as a page link</a>
<source src="stray.mp4">
</body>)html";
  ParseOptions o;
  o.resources = true;
  auto info = Parse(html, kPage, o);
  std::vector<std::pair<std::string, std::string>> got;
  for (const Link& l : info.links) {
    const char* kind = ResourceKindName(l.resource);
    got.emplace_back(l.url, kind ? kind : "page");
  }
  std::vector<std::pair<std::string, std::string>> want = {
      {"http://example.com/fav.ico", "image"},        {"http://example.com/f.woff2", "style"},
      {"http://example.com/old.ico", "image"},        {"http://example.com/dir/a.png", "page"},
      {"http://example.com/dir/a-1x.png", "image"},   {"http://example.com/dir/a,2x.png", "image"},
      {"http://example.com/dir/a-3x.png", "image"},   {"http://example.com/dir/p.webp", "image"},
      {"http://example.com/dir/p2.webp", "image"},    {"http://example.com/dir/p.jpg", "image"},
      {"http://example.com/dir/v.mp4", "media"},      {"http://example.com/dir/v.webm", "media"},
      {"http://example.com/dir/s.ogg", "media"},      {"http://example.com/embed", "frame"},
  };
  CHECK(got == want);
  // Without resources an iframe is a link to follow, as before.
  auto plain = Parse(html);
  REQUIRE(Find(plain, "http://example.com/embed"));
  CHECK(Find(plain, "http://example.com/embed")->resource == ResourceKind::kNone);
  CHECK(ResourceKindFromName("media") == ResourceKind::kMedia);
  CHECK(ResourceKindFromName("page") == ResourceKind::kNone);
}

TEST_CASE("only HTML content types are parsed") {
  CHECK(IsHtml("text/html", ""));
  CHECK(IsHtml("Text/HTML; charset=utf-8", ""));
  CHECK(IsHtml("application/xhtml+xml", ""));
  CHECK_FALSE(IsHtml("text/plain", "<html>"));
  CHECK_FALSE(IsHtml("application/json", ""));
  CHECK(IsHtml("", "  <!DOCTYPE html><title>x</title>"));
  CHECK_FALSE(IsHtml("", "\x89PNG\r\n"));
  auto info = ParsePage("<title>not html</title>", kPage, "text/plain", ParseOptions());
  CHECK_FALSE(info.html);
  CHECK(info.title.empty());
}

TEST_CASE("title-only parsing reads the head and finds no links") {
  ParseOptions o;
  o.links = false;
  auto info = Parse("<html><head><title>Head</title><meta name=robots content=noindex></head><body><a href=x>x</a><title>late</title></body>", kPage, o);
  CHECK(info.title == "Head");
  CHECK(info.noindex);
  CHECK(info.links.empty());
}

TEST_CASE("binary bytes, NULs and unclosed tags give a sensible PageInfo, not a crash") {
  std::string junk;
  for (int i = 0; i < 100'000; ++i) junk += char((i * 7919) % 256);
  auto info = Parse(junk);
  CHECK(info.html);
  auto unclosed = Parse("<html><head><title>Unclosed<body><a href='/x'>x<div><p><table><tr><td><a href=/y");
  CHECK_FALSE(unclosed.title.empty());
  auto nul = Parse(std::string("<title>a\0b</title><a href=\"/z\0\">z</a>", 38));
  CHECK(nul.title.find('\0') == std::string::npos);
}

// 12,000 links (330 KB): over the cap, and small enough to stay far inside the parse's CPU budget (0.5 s
// + 0.25 s/MiB) also in the sanitizer build on a busy machine, where 200,000 links (4.9 MB) once went over
// it and were cut at 876. How fast a huge page parses is bench/'s business, not a test's.
TEST_CASE("a page of more links than the cap keeps the documented cap, the first ones") {
  std::string html = "<title>many</title>";
  for (int i = 0; i < 12'000; ++i) html += "<a href=\"/p" + std::to_string(i) + "\">x</a>";
  auto info = Parse(html);
  CHECK(info.parse_limit.empty());
  CHECK(info.links.size() == ParseOptions().max_links);
  CHECK(info.links_capped);
  CHECK(info.links.front().url == "http://example.com/p0");
  CHECK(info.links.back().url == "http://example.com/p" + std::to_string(ParseOptions().max_links - 1));
}

TEST_CASE("300,000 nested <div>s parse on a pool thread: cut at the depth cap, title and early links kept") {
  std::string html = "<html><head><title>deep</title></head><body><a href=\"/before\">b</a>";
  for (int i = 0; i < 300'000; ++i) html += "<div>";
  html += "<a href=\"/after\">a</a>";
  Hub hub;
  auto loop_thread = std::this_thread::get_id();
  auto g = Spawn([](std::string html, std::thread::id loop) -> Task<PageInfo> {
    PageInfo info = co_await ParseInPool(std::move(html), kPage, "text/html", ParseOptions());
    CHECK(std::this_thread::get_id() == loop);  // resumed on the loop thread
    co_return info;
  }, std::move(html), loop_thread);
  hub.Run();
  REQUIRE(g.successful());
  const PageInfo& info = g.value();
  CHECK(info.title == "deep");
  CHECK(info.truncated);
  CHECK(Urls(info) == std::vector<std::string>{"http://example.com/before"});
  CHECK(hub.Close() == 0);
}

TEST_CASE("a deep but legal page under the cap is parsed whole; unclosed <li>s do not count as depth") {
  std::string html = "<title>ok</title>";
  for (int i = 0; i < 400; ++i) html += "<div>";
  html += "<a href=/in>in</a>";
  for (int i = 0; i < 400; ++i) html += "</div>";
  html += "<ul>";
  for (int i = 0; i < 5000; ++i) html += "<li>item";
  html += "</ul><a href=/end>end</a>";
  auto info = Parse(html);
  CHECK_FALSE(info.truncated);
  CHECK(Urls(info) == std::vector<std::string>{"http://example.com/in", "http://example.com/end"});
}

TEST_CASE("titles of pages in other encodings are converted to UTF-8 (header, meta, BOM, sniffed)") {
  gc::ParseOptions o;
  o.links = false;
  // iso-8859-1 from the header (WHATWG reads it as windows-1252): "Café – naïve"
  auto latin = gc::ParsePage("<title>Caf\xE9 \x96 na\xEFve</title>", "http://x/", "text/html; charset=iso-8859-1", o);
  CHECK(latin.title == "Caf\xC3\xA9 \xE2\x80\x93 na\xC3\xAFve");
  // windows-1252 from a <meta>, no header charset
  auto meta = gc::ParsePage("<meta charset=windows-1252><title>\x93quoted\x94</title>", "http://x/", "text/html", o);
  CHECK(meta.title == "\xE2\x80\x9Cquoted\xE2\x80\x9D");
  // Shift_JIS: "日本" is 93 FA 96 7B
  auto sjis = gc::ParsePage("<title>\x93\xFA\x96\x7B</title>", "http://x/", "text/html; charset=Shift_JIS", o);
  CHECK(sjis.title == "\xE6\x97\xA5\xE6\x9C\xAC");
  // UTF-16LE with a byte order mark (the header says nothing)
  std::string u16 = "\xFF\xFE";
  for (char c : std::string("<title>Hi \xE9</title>")) {
    u16 += c;
    u16 += '\0';
  }
  auto wide = gc::ParsePage(u16, "http://x/", "text/html", o);
  CHECK(wide.title == "Hi \xC3\xA9");
  // Undeclared and not valid UTF-8: windows-1252, not U+FFFD
  auto sniffed = gc::ParsePage("<title>na\xEFve</title>", "http://x/", "text/html", o);
  CHECK(sniffed.title == "na\xC3\xAFve");
  // UTF-8 stays as it is
  auto utf8 = gc::ParsePage("<title>na\xC3\xAFve</title>", "http://x/", "text/html", o);
  CHECK(utf8.title == "na\xC3\xAFve");
}

TEST_CASE("with fragments asked for, ids and <a name>s are recorded and links keep their fragment, decoded") {
  const std::string html =
      "<h1 id='intro'>x</h1><a name='old-style'></a><svg><g id='chart'></g></svg><div id='caf\xC3\xA9'></div>"
      "<p name='not-an-anchor'></p><div id='intro'></div>"
      "<a href='#intro'>1</a><a href='other.html#Sec'>2</a><a href='other.html#Sec'>again</a>"
      "<a href='other.html#caf%C3%A9'>3</a><a href='other.html#top'>top</a><a href='other.html#'>empty</a>"
      "<a href='other.html'>plain</a><a href='other.html#%FF'>bad utf8</a>";
  ParseOptions o;
  o.fragments = true;
  PageInfo info = Parse(html, kPage, o);
  CHECK(info.anchors == std::vector<std::string>{"caf\xC3\xA9", "chart", "intro", "old-style"});
  CHECK_FALSE(info.anchors_capped);
  REQUIRE(info.fragment_links.size() == 4);
  CHECK(info.fragment_links[0].url == kPage);
  CHECK(info.fragment_links[0].fragment == "intro");
  CHECK(info.fragment_links[1].url == "http://example.com/dir/other.html");
  CHECK(info.fragment_links[1].fragment == "Sec");  // case kept: ids are case-sensitive
  CHECK(info.fragment_links[2].fragment == "caf\xC3\xA9");
  CHECK(info.fragment_links[3].fragment == "%FF");  // not UTF-8 once decoded: as written
  // The links themselves are unchanged: no fragment, deduplicated.
  CHECK(Urls(info) == std::vector<std::string>{kPage, "http://example.com/dir/other.html"});

  PageInfo plain = Parse(html);  // not asked: nothing recorded
  CHECK(plain.anchors.empty());
  CHECK(plain.fragment_links.empty());
}

TEST_CASE("a page with more anchors than kMaxAnchors says its list is capped") {
  std::string html;
  for (size_t i = 0; i <= kMaxAnchors; ++i) html += "<i id=a" + std::to_string(i) + "></i>";
  ParseOptions o;
  o.fragments = true;
  PageInfo info = Parse(html, kPage, o);
  CHECK(info.anchors.size() == kMaxAnchors);
  CHECK(info.anchors_capped);
}

TEST_CASE("500 formatting elements reconstructed in every <p> stop at the memory budget; the links before are kept") {
  // 21 KB, 165 KB and 1.6 MB: 394 MB, 3.78 GB and a SIGSEGV at 7.8 GB without the budget.
  for (size_t bytes : {size_t(21'000), size_t(165'000), size_t(1'600'000)}) {
    CAPTURE(bytes);
    std::string html = FormattingBomb(bytes);
    PageInfo info = Parse(html);
    CHECK(info.title == "bomb");
    CHECK(info.truncated);
    CHECK(info.parse_limit.find("over gumbo's memory budget (") == 0);
    CHECK(info.parse_limit.find("title and links are from the first ") != std::string::npos);
    CHECK(info.parse_limit.find(" of " + std::to_string(html.size()) + " bytes") != std::string::npos);
    CHECK(Urls(info) == std::vector<std::string>{"http://example.com/before"});
  }
}

TEST_CASE("an element with 60,000 or 500,000 attributes stops at the CPU budget; the links before are kept") {
  // 17.6 s, and more than 590 s, without the budget.
  for (size_t n : {size_t(60'000), size_t(500'000)}) {
    CAPTURE(n);
    PageInfo info = Parse(AttributeBomb(n));
    CHECK(info.title == "bomb");
    CHECK(info.parse_limit.find("over gumbo's CPU budget (") == 0);
    CHECK(Urls(info) == std::vector<std::string>{"http://example.com/before"});
  }
}

TEST_CASE("normal pages, large and dense ones too, parse whole within the budget") {
  std::string html = "<title>big</title>";
  for (int i = 0; html.size() < 4'000'000; ++i) {
    html += "<tr><td class=c><span id=s" + std::to_string(i) + "><a href=/p" + std::to_string(i % 5000) +
            ">x</a></span><td><b><i>y</i></b>";
  }
  // The memory cap is what must leave room for dense pages; how fast they parse is a benchmark's business
  // (a sanitizer build parses ~10x slower, and a busy machine's CPU clock runs slow too), so the CPU cap is
  // lifted here.
  ParseBudget budget = BudgetFor(html.size());
  const size_t memory_cap = budget.max_bytes;
  budget.max_cpu_s = 3600;
  BudgetedParse parse(html, budget);
  CHECK(parse.stop() == ParseStop::kNone);
  CHECK(parse.peak_bytes() <= memory_cap);
  // A page of a usual size, through ParsePage with its whole default budget (far from either cap).
  std::string usual = html.substr(0, 200'000);
  PageInfo info = Parse(usual);
  CHECK(info.parse_limit.empty());
  CHECK_FALSE(info.truncated);
  CHECK(info.links.size() > 1000);
}

TEST_CASE("a parse over its memory cap is abandoned with nothing left allocated (ASan's leak check)") {
  std::string html = FormattingBomb(100'000);
  ParseBudget budget = BudgetFor(html.size());
  budget.max_bytes = 4 << 20;
  BudgetedParse parse(html, budget);
  CHECK(parse.output() == nullptr);
  CHECK(parse.stop() == ParseStop::kMemory);
  CHECK(parse.peak_bytes() <= budget.max_bytes);
  BudgetedParse whole("<title>t</title><p>x", budget);
  REQUIRE(whole.output() != nullptr);
  CHECK(whole.stop() == ParseStop::kNone);
}

TEST_CASE("a cancelled parse stops at its next allocation, without retries, and says so") {
  std::atomic<bool> cancel{true};
  ParseBudget budget = BudgetFor(1000);
  budget.cancel = &cancel;
  BudgetedParse parse("<title>t</title>", budget);
  CHECK(parse.output() == nullptr);
  CHECK(parse.stop() == ParseStop::kCancelled);
  ParseOptions o;
  o.cancel = &cancel;
  PageInfo info = Parse(AttributeBomb(500'000), kPage, o);
  CHECK(info.parse_limit == "cancelled: the crawl stopped");
  CHECK(info.links.empty());
}

TEST_CASE("the loop's inline <head> parse takes small heads and hands a hostile one to the pool") {
  ParseOptions title_only;
  title_only.links = false;
  auto quick = ParseInline("<head><title>small</title></head><body><p>x", kPage, "text/html", title_only);
  REQUIRE(quick);
  CHECK(quick->title == "small");
  CHECK_FALSE(ParseInline(FormattingBomb(21'000), kPage, "text/html", title_only));  // over 5 ms or 8 MiB
  CHECK_FALSE(ParseInline(std::string(40'000, 'x'), kPage, "text/html", title_only));  // not CheapToParse
  CHECK_FALSE(ParseInline("<title>t</title>", kPage, "text/html", ParseOptions()));    // links: never inline
  // In the pool, the same page gets the full budget and a prefix.
  PageInfo info = Parse(FormattingBomb(21'000), kPage, title_only);
  CHECK(info.title == "bomb");
  CHECK_FALSE(info.parse_limit.empty());
}
