// URLs as the crawler needs them: canonical forms for deduplication, and browser-like resolution of the
// links found in pages. Any thread may call these (the parser runs them on pool threads).
//
// Built on libcurl's URL API (parsing, resolution, IDN to punycode, default ports) and liburiparser's
// RFC 3986 normalisation (host and percent-encoding case, unreserved characters decoded, dot segments),
// so no code here parses URLs by hand (AlreadyCanonical only recognises, by a scan, a URL that is already in
// canonical form). What browsers do on top (WHATWG "basic URL parser" steps that both
// libraries skip) is the short, documented pre-processing in url.cc. Differences from browsers that remain
// are listed in tests/data/url_known_differences.tsv.
//
// IDN hosts need LC_CTYPE to be a UTF-8 locale (libidn2 reads the locale's charset): main() sets C.UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gc::urls {

struct Canonical {
  std::string url;    // canonical absolute URL, empty on error
  std::string error;  // empty, "invalid_url" or "unsupported_scheme" (see crawler/error_class.h)
  std::string message;
  bool ok() const { return error.empty(); }
};

// The canonical form of an absolute http(s) URL: scheme and host lower-cased, IDN host in punycode,
// default port dropped, fragment dropped, empty path made "/", percent-encoding normalised (upper-case hex,
// unreserved characters decoded), dot segments removed. Two URLs with the same canonical form are
// crawled once.
Canonical Canonicalize(std::string_view url);

// Canonicalize's two paths, for url_test: a URL that AlreadyCanonical accepts (a scan of a strict subset:
// lower-case http(s) scheme and host, no default port, unreserved path without dot segments, a plain query)
// is returned as it is; any other goes through CanonicalizeByParsing (libcurl and liburiparser). url_test
// checks that CanonicalizeByParsing returns every URL AlreadyCanonical accepts unchanged.
bool AlreadyCanonical(std::string_view url);
Canonical CanonicalizeByParsing(std::string_view url);

// Resolves `ref` (an href as written in a page) against `base` (an absolute http(s) URL) as a browser
// would, and returns its canonical form without fragment; nullopt when the result is not an http(s) URL
// or is invalid (javascript:, mailto:, data:, a bad host, ...).
std::optional<std::string> Resolve(std::string_view base, std::string_view ref);

// Resolve() for many references against one base (a page's links): the base is parsed once, and a plain
// relative reference ("a/b.html", "/x?y", "../z") takes a short path through liburiparser's normaliser
// without a libcurl parse. Same results as Resolve() (url_test checks both on the WPT-derived corpus).
class Resolver {
 public:
  explicit Resolver(std::string_view base);
  std::optional<std::string> Resolve(std::string_view ref) const;

 private:
  std::string base_;       // as given
  std::string authority_;  // canonical "scheme://host[:port]" of the base; empty when it is unusable
  std::string directory_;  // canonical path of the base up to and including its last '/'
  std::string scheme_;
};

// "scheme://host[:port]" of an absolute URL (empty when unparsable): the per-host politeness key.
std::string Origin(std::string_view url);
// The host name of an absolute URL, lower case (empty when unparsable).
std::string Host(std::string_view url);
// Host() of a URL already in canonical form (Canonicalize, Resolve), by string operations alone: for a
// million listed URLs at the start of a crawl. Equal to Host() on canonical URLs (url_test).
std::string_view CanonicalHost(std::string_view canonical_url);
// Origin() of a URL already in canonical form, by string operations alone: the Frontier keys every
// queued URL by it, and a libcurl parse per URL was a tenth of a list crawl's start. Equal to Origin() on
// canonical URLs (url_test).
std::string CanonicalOrigin(std::string_view canonical_url);

}  // namespace gc::urls
