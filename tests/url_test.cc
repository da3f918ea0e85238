// Canonical forms and browser-like link resolution, including the web-platform-tests resolution cases
// whose base is http(s) (tests/data/url_resolution.tsv, made by scripts/gen_url_table.py); the URL list
// reader, on real files.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "text/escape.h"
#include "urls/scope.h"
#include "urls/url.h"
#include "urls/url_list.h"

using gc::urls::Canonicalize;
using gc::urls::Resolve;

namespace {

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::vector<std::string>> ReadTable(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0, tab;
    while ((tab = line.find('\t', start)) != std::string::npos) {
      fields.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    fields.push_back(line.substr(start));
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace

TEST_CASE("canonical forms: case, default port, fragment, percent-encoding, dot segments, IDN") {
  CHECK(Canonicalize("HTTP://Example.COM:80/a/./b/../c?q=1#frag").url == "http://example.com/a/c?q=1");
  CHECK(Canonicalize("https://example.com:443").url == "https://example.com/");
  CHECK(Canonicalize("https://example.com:8443/").url == "https://example.com:8443/");
  CHECK(Canonicalize("http://example.com/%7euser/%e4%b8%ad").url == "http://example.com/~user/%E4%B8%AD");
  CHECK(Canonicalize("  http://example.com/x \n").url == "http://example.com/x");
  CHECK(Canonicalize("http://bücher.example/").url == "http://xn--bcher-kva.example/");
  CHECK(Canonicalize("http://example.com/a b").url == "http://example.com/a%20b");
  CHECK(Canonicalize("http://example.com/x") .url == Canonicalize("http://EXAMPLE.com:80/x#y").url);
}

// Canonicalize's short path returns a URL as it is when a scan says it is already canonical: every URL the
// scan accepts must come out of the libraries' path unchanged. Tried on the WPT-derived inputs, bases and
// expected results, and on variants of plain URLs one character or part at a time.
TEST_CASE("AlreadyCanonical accepts only URLs that CanonicalizeByParsing leaves as they are") {
  using gc::urls::AlreadyCanonical;
  using gc::urls::CanonicalizeByParsing;
  std::vector<std::string> inputs = {
      "http://example.com/", "https://example.com/a/b.html", "http://127.0.0.1:18080/d0/page1.html",
      "https://www.example.org:8443/x?a=1&b=2", "http://a-b.example/~u/p_q.r", "http://example.com/a/...",
      "http://example.com/a/", "http://example.com/a?b/c:d@e+f,g;h=i", "http://1.2.3.4/", "http://x.com/A/B?C=D"};
  for (auto& r : ReadTable(GC_TEST_DATA_DIR "/url_resolution.tsv")) {
    for (const std::string& field : r) inputs.push_back(Unescape(field));
  }
  // Variants: each character of a few plain URLs replaced by every printable ASCII character, and parts
  // that canonicalisation changes (case, ports, dots, empty labels and segments, numeric hosts).
  std::string printable;
  for (char c = ' '; c <= '~'; ++c) printable += c;
  for (std::string plain : {"http://ab.cd:81/ef/gh?i=j&k", "https://x1.y-z/a.b/c"}) {
    for (size_t i = 0; i < plain.size(); ++i) {
      for (char c : printable) {
        std::string v = plain;
        v[i] = c;
        inputs.push_back(v);
        inputs.push_back(plain.substr(0, i) + c + plain.substr(i));
      }
    }
  }
  const std::vector<std::string> hosts = {
      "a", "a.b", "1.2.3.4", "1.2.3", "01.2.3.4", "256.1.1.1", "0x7f.1", "abc.def", "a.1", "1.a", "-a.b", "a-.b",
      "a..b", ".a", "a.", "xn--bcher-kva.example", "A.b", "1.2.3.4.5", std::string(64, 'a') + ".b",
      std::string(300, 'a'), "localhost", "a_b.c"};
  for (const std::string& host : hosts) {
    for (std::string port : {"", ":80", ":443", ":0", ":08", ":65535", ":65536", ":", ":123456"}) {
      for (std::string rest : {"", "/", "/.", "/./a", "/a/..", "/a//b", "/a?", "/a?b", "/a#f", "/%41", "/a b",
                              "/\xc3\xa9", "/a?\xe9", "/\x7f"}) {
        inputs.push_back("http://" + host + port + rest);
        inputs.push_back("https://" + host + port + rest);
      }
    }
  }
  int accepted = 0;
  for (const std::string& in : inputs) {
    if (!AlreadyCanonical(in)) continue;
    ++accepted;
    gc::urls::Canonical parsed = CanonicalizeByParsing(in);
    CHECK_MESSAGE(parsed.url == in, "[" << in << "] is canonical by the scan, but the libraries make it ["
                                         << parsed.url << "] " << parsed.error);
  }
  CHECK(accepted > 1000);  // the scan is really tried, not refused everywhere
  CHECK(AlreadyCanonical("http://127.0.0.1:18080/d0/page1.html"));
  CHECK_FALSE(AlreadyCanonical("http://Example.com/"));
  CHECK_FALSE(AlreadyCanonical("http://example.com:80/"));
  CHECK_FALSE(AlreadyCanonical("http://example.com"));
}

TEST_CASE("non-http schemes and malformed lines are refused with a reason") {
  auto ftp = Canonicalize("ftp://example.com/file");
  CHECK(ftp.error == "unsupported_scheme");
  CHECK(Canonicalize("mailto:someone@example.com").error == "unsupported_scheme");
  CHECK(Canonicalize("example.com/no-scheme").error == "invalid_url");
  CHECK(Canonicalize("http://").error == "invalid_url");
  CHECK(Canonicalize("http://exa mple.com/").error == "invalid_url");
  CHECK(Canonicalize("not a url at all").error == "invalid_url");
  CHECK_FALSE(Canonicalize("http://[::1/").ok());
}

TEST_CASE("links resolve like a browser: relative forms, scheme-relative, ../ past the root, whitespace") {
  const std::string page = "http://example.com/dir/page.html?x=1";
  CHECK(Resolve(page, "other.html") == "http://example.com/dir/other.html");
  CHECK(Resolve(page, "/abs") == "http://example.com/abs");
  CHECK(Resolve(page, "../../../../up") == "http://example.com/up");
  CHECK(Resolve(page, "//cdn.example.org/lib.js") == "http://cdn.example.org/lib.js");
  CHECK(Resolve("https://example.com/", "//cdn.example.org/x") == "https://cdn.example.org/x");
  CHECK(Resolve(page, "  \t/padded \n") == "http://example.com/padded");
  CHECK(Resolve(page, "?y=2") == "http://example.com/dir/page.html?y=2");
  CHECK(Resolve(page, "") == "http://example.com/dir/page.html?x=1");
  CHECK(Resolve(page, "#section") == "http://example.com/dir/page.html?x=1");
  CHECK(Resolve(page, "other.html#frag") == "http://example.com/dir/other.html");
  CHECK(Resolve(page, "caf\xc3\xa9/men\xc3\xbc") == "http://example.com/dir/caf%C3%A9/men%C3%BC");
  CHECK(Resolve(page, "a%2fb") == "http://example.com/dir/a%2Fb");
  CHECK(Resolve(page, "\\back\\slash") == "http://example.com/back/slash");
  CHECK(Resolve(page, "HTTPS://OTHER.example/") == "https://other.example/");
}

TEST_CASE("links to other schemes are dropped") {
  const std::string page = "http://example.com/";
  CHECK_FALSE(Resolve(page, "javascript:alert(1)"));
  CHECK_FALSE(Resolve(page, "mailto:a@example.com"));
  CHECK_FALSE(Resolve(page, "data:text/html,hi"));
  CHECK_FALSE(Resolve(page, "file:///etc/passwd"));
  CHECK_FALSE(Resolve(page, "ftp://example.com/x"));
  CHECK_FALSE(Resolve(page, "tel:+123"));
}

TEST_CASE("Resolver (one base, many links) gives Resolve's result on every WPT-derived case and more") {
  auto rows = ReadTable(GC_TEST_DATA_DIR "/url_resolution.tsv");
  std::vector<std::pair<std::string, std::string>> cases;  // (base, ref)
  for (auto& r : rows) cases.emplace_back(Unescape(r[1]), Unescape(r[0]));
  for (const char* base : {"http://example.com/dir/page.html?q=1#f", "https://Example.COM:443/a/b/", "http://x/"}) {
    for (const char* ref : {"other.html", "/abs", "../../../../up", "./a/./b/../c.html?x=%7e#frag", "a%2fb", "..",
                            ".", "?only", "#frag", "", "  spaced.html\t", "a b", "%zz", "a:b", "./a:b", "ü.html",
                            "/p/1.html", "sub/", "x?y?z", "x#y?z"}) {
      cases.emplace_back(base, ref);
    }
  }
  int fast = 0;
  for (auto& c : cases) {
    // Not a structured binding: clang 14 cannot capture one in doctest's message lambda.
    const std::string& base = c.first;
    const std::string& ref = c.second;
    gc::urls::Resolver resolver(base);
    auto a = Resolve(base, ref), b = resolver.Resolve(ref);
    CHECK_MESSAGE(a == b, "[" << ref << "] against " << base << ": " << a.value_or("(dropped)") << " vs "
                              << b.value_or("(dropped)"));
    fast += a.has_value();
  }
  CHECK(fast > 100);
}

TEST_CASE("CanonicalHost and CanonicalOrigin equal Host and Origin on canonical URLs") {
  auto rows = ReadTable(GC_TEST_DATA_DIR "/url_resolution.tsv");
  int n = 0;
  for (auto& r : rows) {
    auto url = Resolve(Unescape(r[1]), Unescape(r[0]));
    if (!url) continue;
    ++n;
    CHECK_MESSAGE(gc::urls::CanonicalHost(*url) == gc::urls::Host(*url), *url);
    CHECK_MESSAGE(gc::urls::CanonicalOrigin(*url) == gc::urls::Origin(*url), *url);
  }
  for (const char* u : {"http://user:pw@Example.com:8080/x", "http://[::1]:8080/", "https://xn--bcher-kva.example/",
                        "http://127.0.0.1/a@b", "https://[::1]/", "http://example.com:80/", "https://example.com:443/",
                        "https://example.com:80/", "http://example.com:8080", "http://example.com?q", "http://example.com#f"}) {
    auto c = gc::urls::Canonicalize(u);
    REQUIRE(c.ok());
    CHECK_MESSAGE(gc::urls::CanonicalHost(c.url) == gc::urls::Host(c.url), c.url);
    CHECK_MESSAGE(gc::urls::CanonicalOrigin(c.url) == gc::urls::Origin(c.url), c.url);
  }
  CHECK(n > 100);
}

TEST_CASE("Scope::AllowsUnder on canonical URLs agrees with Key, libcurl's parse, for host and domain scopes") {
  // AllowsUnder reads a canonical URL's origin and host as substrings; Key(root) parses any URL.
  auto rows = ReadTable(GC_TEST_DATA_DIR "/url_resolution.tsv");
  std::vector<std::string> urls;
  for (auto& r : rows) {
    if (auto url = Resolve(Unescape(r[1]), Unescape(r[0]))) urls.push_back(*url);
  }
  for (const char* u : {"http://user:pw@Example.com:8080/x", "http://[::1]:8080/", "https://xn--bcher-kva.example/",
                        "https://a.example.co.uk/", "https://b.example.co.uk:8443/y", "http://example.com:80/"}) {
    urls.push_back(gc::urls::Canonicalize(u).url);
  }
  REQUIRE(urls.size() > 100);
  int crossed = 0;
  for (auto kind : {gc::urls::ScopeKind::kHost, gc::urls::ScopeKind::kDomain}) {
    gc::urls::Scope scope(kind, {}, {});
    for (size_t i = 0; i < urls.size(); ++i) {
      const std::string& root = urls[(i * 7 + 3) % urls.size()];  // another URL of the corpus as the root
      std::string key = scope.Key(root);
      bool expected = scope.Key(urls[i]) == key;
      CHECK_MESSAGE(scope.AllowsUnder(key, urls[i]) == expected, root << " -> " << urls[i]);
      CHECK_MESSAGE(scope.AllowsUnder(scope.Key(urls[i]), urls[i]), urls[i]);
      crossed += !expected;
    }
  }
  CHECK(crossed > 10);  // the corpus has URLs on other hosts too: both answers were exercised
}

TEST_CASE("origin and host are the politeness keys") {
  CHECK(gc::urls::Origin("http://Example.com/x") == "http://example.com:80");
  CHECK(gc::urls::Origin("https://example.com:8443/x") == "https://example.com:8443");
  CHECK(gc::urls::Host("https://WWW.Example.com:8443/x") == "www.example.com");
  CHECK(gc::urls::Origin("nonsense").empty());
}

TEST_CASE("web-platform-tests resolution cases with an http(s) base") {
  auto rows = ReadTable(GC_TEST_DATA_DIR "/url_resolution.tsv");
  std::map<std::pair<std::string, std::string>, std::string> known;  // (input, base) -> reason
  for (auto& r : ReadTable(GC_TEST_DATA_DIR "/url_known_differences.tsv")) {
    REQUIRE(r.size() == 3);
    known[{Unescape(r[0]), Unescape(r[1])}] = r[2];
  }
  int passed = 0, total = 0, known_seen = 0;
  for (auto& r : rows) {
    REQUIRE(r.size() == 3);
    std::string input = Unescape(r[0]), base = Unescape(r[1]), expected = Unescape(r[2]);
    // A crawler follows only http(s): a case whose browser result is another scheme, or a failure, passes
    // when we drop the link.
    bool expect_link = expected.rfind("http://", 0) == 0 || expected.rfind("https://", 0) == 0;
    auto got = Resolve(base, input);
    bool pass = expect_link ? (got && *got == expected) : !got;
    ++total;
    passed += pass;
    bool listed = known.count({input, base}) > 0;
    known_seen += listed;
    if (listed) {
      CHECK_MESSAGE(!pass, "now passes, remove it from url_known_differences.tsv: [" << r[0] << "]");
    } else {
      CHECK_MESSAGE(pass, "[" << r[0] << "] against " << base << ": expected " << expected << ", got "
                                << (got ? *got : std::string("(dropped)")));
    }
  }
  CHECK(known_seen == int(known.size()));
  MESSAGE("web-platform-tests http(s)-base cases: " << passed << "/" << total << " match the browser");
}

namespace {
using gc::urls::ListLine;
using gc::urls::UrlListReader;

// A list written to a real file in a fresh temporary directory, removed at the end.
struct ListFile {
  std::string dir, path;
  explicit ListFile(const std::string& bytes) {
    char tmpl[] = "/tmp/greencrawl-list-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/list.txt";
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~ListFile() { std::filesystem::remove_all(dir); }
  ListFile(const ListFile&) = delete;
  ListFile& operator=(const ListFile&) = delete;
};

std::vector<ListLine> ReadAll(const std::string& bytes) {
  ListFile f(bytes);
  UrlListReader reader(f.path);
  std::vector<ListLine> lines;
  ListLine line;
  for (int guard = 0; guard < 1'000'000 && reader.Next(line); ++guard) lines.push_back(line);
  return lines;
}

std::string NotAListReason(const std::string& bytes) {
  ListFile f(bytes);
  try {
    UrlListReader reader(f.path);
  } catch (const gc::urls::NotAUrlList& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("list: a '#' after whitespace starts a comment; a '#' inside the URL is its fragment") {
  auto lines = ReadAll("http://h.example/x # note\n"
                       "http://h.example/y\t#note\n"
                       "http://h.example/z#top\n"
                       "http://h.example/w#top   # note # more\n"
                       "   # a whole-line comment\n"
                       "#another\n"
                       "http://h.example/a b\n");
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].text == "http://h.example/x");
  CHECK(lines[0].canonical.url == "http://h.example/x");  // was fetched as /x%20
  CHECK(lines[1].canonical.url == "http://h.example/y");
  CHECK(lines[2].text == "http://h.example/z#top");
  CHECK(lines[2].canonical.url == "http://h.example/z");
  CHECK(lines[3].text == "http://h.example/w#top");
  CHECK(lines[4].number == 7);
  CHECK(lines[4].canonical.url == "http://h.example/a%20b");  // a space alone is still part of the URL
}

TEST_CASE("list: a UTF-8 byte order mark does not make line 1 invalid") {
  auto lines = ReadAll("\xEF\xBB\xBFhttp://h.example/1\r\nhttp://h.example/2\r\n");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].number == 1);
  CHECK(lines[0].canonical.ok());
  CHECK(lines[0].canonical.url == "http://h.example/1");
  CHECK(lines[1].canonical.url == "http://h.example/2");
  CHECK(ReadAll("\xEF\xBB\xBF").empty());
  CHECK(ReadAll("\xEF\xBB\xBF# only a comment\n").empty());
  // Only at the start of the file: elsewhere it is part of the line.
  auto later = ReadAll("http://h.example/1\n\xEF\xBB\xBFhttp://h.example/2\n");
  REQUIRE(later.size() == 2);
  CHECK_FALSE(later[1].canonical.ok());
}

TEST_CASE("list: lines keep streaming past the sniffed first 64 KiB, numbered right") {
  std::string list;
  int n = 0;
  while (list.size() < 3 * UrlListReader::kSniffBytes) list += "http://h.example/p" + std::to_string(++n) + "\n";
  auto lines = ReadAll(list);
  REQUIRE(lines.size() == size_t(n));
  for (int i = 0; i < n; ++i) {
    REQUIRE(lines[size_t(i)].number == i + 1);
    REQUIRE(lines[size_t(i)].canonical.url == "http://h.example/p" + std::to_string(i + 1));
  }
  // A list without a final newline, and one shorter than the sample.
  auto short_list = ReadAll("http://h.example/a\nhttp://h.example/b");
  REQUIRE(short_list.size() == 2);
  CHECK(short_list[1].canonical.url == "http://h.example/b");
}

TEST_CASE("list: binary data is recognised as not a URL list") {
  std::string nul = "http://h.example/1\n" + std::string("\0\0\x01\x02", 4) + "\nhttp://h.example/2\n";
  CHECK(NotAListReason(nul).find("list.txt does not look like a URL list: binary data (NUL bytes)") !=
        std::string::npos);
  std::string noise;  // like a compressed file: no NUL, but mostly not UTF-8
  uint32_t x = 1;
  while (noise.size() < 4096) {
    x = x * 1103515245 + 12345;
    char c = char((x >> 16) & 0xFF);
    noise += c == '\0' ? 'x' : c;
  }
  CHECK(NotAListReason(noise).find("not UTF-8 text") != std::string::npos);
  CHECK(NotAListReason("\xFF\xFEh\0t\0t\0p\0").find("UTF-16") != std::string::npos);
  // Text passes: Latin-1 accents here and there, controls now and then, an empty file.
  CHECK(NotAListReason("http://h.example/caf\xE9\nhttp://h.example/na\xEFve\nhttp://h.example/x\x01y\n").empty());
  CHECK(NotAListReason("").empty());
  // Only the first 64 KiB is judged.
  std::string late(UrlListReader::kSniffBytes, '\n');
  CHECK(NotAListReason(late + std::string(100, '\0')).empty());
  // It is a std::runtime_error, like an unreadable list.
  ListFile f(nul);
  CHECK_THROWS_AS(UrlListReader(f.path), std::runtime_error);
  CHECK_THROWS_WITH_AS(UrlListReader("/nonexistent/list.txt"), doctest::Contains("cannot read"), std::runtime_error);
}

TEST_CASE("list: WhyNotText's threshold, and a character cut by the end of the sample") {
  using gc::urls::WhyNotText;
  std::string text(91, 'a');
  CHECK_FALSE(WhyNotText(text + std::string(9, '\x80')));  // 9% not text
  CHECK(WhyNotText(std::string(89, 'a') + std::string(11, '\x80')));  // 11%
  CHECK(WhyNotText(std::string(89, 'a') + std::string(11, '\x1b')));  // controls count too
  CHECK_FALSE(WhyNotText(std::string(89, 'a') + std::string(11, '\t')));  // whitespace does not
  CHECK_FALSE(WhyNotText("ab\xE2\x82"));  // "\xE2\x82\xAC" (euro) cut after two bytes
  CHECK(WhyNotText("ab\xE2\x82" "cd\xE2\x82" "e"));  // cut in the middle: invalid
}

TEST_CASE("list: EscapeForMessage escapes control bytes and bidi overrides, keeps UTF-8, bounds length") {
  using gc::EscapeForMessage;
  CHECK(EscapeForMessage("http://h/\x1b[31mred\x07") == "http://h/\\x1B[31mred\\x07");
  CHECK(EscapeForMessage(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(EscapeForMessage("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(EscapeForMessage("a\xC2\x9B" "b") == "a\\xC2\\x9Bb");        // C1 CSI
  CHECK(EscapeForMessage("a\xE2\x80\xAE" "b") == "a\\xE2\\x80\\xAEb");  // right-to-left override
  CHECK(EscapeForMessage("a\xFF\xC3") == "a\\xFF\\xC3");              // not UTF-8
  CHECK(EscapeForMessage("back\\slash\r\n") == "back\\\\slash\\x0D\\x0A");
  CHECK(EscapeForMessage(std::string(300, 'x')) == std::string(200, 'x') + "...");
  CHECK(EscapeForMessage("abc\x01", 6) == "abc...");          // not half an escape
  CHECK(EscapeForMessage("ab\xC3\xA9", 3) == "ab...");         // not half a character
  // Whatever the line, the message has no control byte and is valid UTF-8.
  auto lines = ReadAll("http://h.example/\x1b]0;title\x07 x\nnot\x1b a url\n");
  REQUIRE(lines.size() == 2);
  for (const auto& l : lines) {
    std::string m = EscapeForMessage(l.text);
    for (unsigned char c : m) CHECK((c >= 0x20 && c != 0x7F));
  }
}

TEST_CASE("an IPv4 host in any spelling canonicalises to dotted decimal; dotted decimal stays as it is") {
  // Finish skips its re-parse for a host already in canonical dotted decimal: only that form may skip it.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://127.0.0.1/", "http://127.0.0.1/"},
      {"http://10.20.30.255:8080/a", "http://10.20.30.255:8080/a"},
      {"http://0.0.0.0/", "http://0.0.0.0/"},
      {"http://2130706433/", "http://127.0.0.1/"},
      {"http://0x7f000001/", "http://127.0.0.1/"},
      {"http://127.1/", "http://127.0.0.1/"},
      {"http://127.0.0.010/", "http://127.0.0.8/"},  // a leading zero is octal
      {"http://0177.0.0.1/", "http://127.0.0.1/"},
      {"http://1.2.3/", "http://1.2.0.3/"},
      {"http://127.0.0.%30%31%30/", "http://127.0.0.8/"},  // libcurl decodes it to 127.0.0.010 and stops there
  };
  for (const auto& c : cases) {
    const std::string& in = c.first;  // not a structured binding: clang 14 cannot capture one (CAPTURE)
    const std::string& want = c.second;
    CAPTURE(in);
    CHECK(Canonicalize(in).url == want);
    CHECK(Resolve("http://example.com/dir/page", in).value_or("") == want);
    // Scheme-relative: libcurl resolves it without rewriting the host; Finish's re-parse does that.
    CHECK(Resolve("http://example.com/dir/page", in.substr(5)).value_or("") == want);
  }
}
