// Canonical forms and browser-like link resolution, including the web-platform-tests resolution cases
// whose base is http(s) (tests/data/url_resolution.tsv, made by scripts/gen_url_table.py).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "urls/url.h"

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
