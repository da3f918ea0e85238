#include "urls/url.h"

#include <curl/curl.h>
#include <uriparser/Uri.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace gc::urls {
namespace {

struct CurluDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrl = std::unique_ptr<CURLU, CurluDeleter>;

// Owns a string libcurl allocated.
struct CurlString {
  char* s = nullptr;
  ~CurlString() { curl_free(s); }
  std::string str() const { return s ? std::string(s) : std::string(); }
};

// Owns a parsed liburiparser URI.
struct UriParsed {
  UriUriA uri{};
  bool parsed = false;
  ~UriParsed() {
    if (parsed) uriFreeUriMembersA(&uri);
  }
};

bool IsHttpScheme(std::string_view scheme) { return scheme == "http" || scheme == "https"; }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// WHATWG URL "basic URL parser", first steps, which libcurl and liburiparser do not do: strip leading and
// trailing C0 controls and spaces, remove every tab and newline, and read '\' as '/' before the query
// (http(s) URLs are "special", where a backslash is a path separator).
std::string BrowserPreprocess(std::string_view in) {
  size_t b = 0, e = in.size();
  while (b < e && static_cast<unsigned char>(in[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(in[e - 1]) <= 0x20) --e;
  std::string out;
  out.reserve(e - b);
  for (size_t i = b; i < e; ++i) {
    if (in[i] != '\t' && in[i] != '\n' && in[i] != '\r') out += in[i];
  }
  size_t query = out.find_first_of("?#");
  for (size_t i = 0; i < out.size() && i < query; ++i) {
    if (out[i] == '\\') out[i] = '/';
  }
  return out;
}

// The scheme of `ref` if it starts with one (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"),
// lower-cased; empty otherwise.
std::string LeadingScheme(std::string_view ref) {
  if (ref.empty() || !std::isalpha(static_cast<unsigned char>(ref[0]))) return {};
  for (size_t i = 1; i < ref.size(); ++i) {
    char c = ref[i];
    if (c == ':') {
      std::string s(ref.substr(0, i));
      for (char& ch : s) ch = AsciiLower(ch);
      return s;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

// WHATWG treats an http(s) reference's slashes specially: "http:foo" against an http base is relative,
// "https:host/x" against an http base names a host, and any run of slashes after "scheme:" or at the
// start of a scheme-relative reference counts as "//". Rewrites `ref` into the RFC 3986 form that means
// the same, which the URL libraries then resolve.
std::string ApplySpecialSchemeRules(std::string ref, std::string_view base_scheme) {
  std::string scheme = LeadingScheme(ref);
  if (scheme.empty()) {
    if (ref.size() >= 2 && ref[0] == '/' && ref[1] == '/') {
      size_t n = ref.find_first_not_of('/');
      ref = "//" + ref.substr(n == std::string::npos ? ref.size() : n);
    }
    return ref;
  }
  if (!IsHttpScheme(scheme)) return ref;
  std::string rest = ref.substr(scheme.size() + 1);
  if (scheme == base_scheme && (rest.size() < 2 || rest[0] != '/' || rest[1] != '/')) {
    return rest.empty() ? std::string("") : rest;  // same special scheme, no authority: a relative reference
  }
  size_t n = rest.find_first_not_of('/');
  return scheme + "://" + rest.substr(n == std::string::npos ? rest.size() : n);
}

// liburiparser's RFC 3986 normalisation of a path and query (percent-encoding case, unreserved characters
// decoded, dot segments removed). The authority stays with libcurl: liburiparser writes IPv6 hosts out
// in full. Returns "path[?query]".
std::optional<std::string> NormalizePathAndQuery(const std::string& path, const std::string& query, bool has_query) {
  std::string url = "http://h" + path + (has_query ? "?" + query : "");
  UriParsed p;
  const char* error_pos = nullptr;
  if (uriParseSingleUriA(&p.uri, url.c_str(), &error_pos) != URI_SUCCESS) return std::nullopt;
  p.parsed = true;
  if (uriNormalizeSyntaxExA(&p.uri, URI_NORMALIZE_PATH | URI_NORMALIZE_QUERY) != URI_SUCCESS) return std::nullopt;
  int chars = 0;
  if (uriToStringCharsRequiredA(&p.uri, &chars) != URI_SUCCESS) return std::nullopt;
  std::string out(size_t(chars) + 1, '\0');
  if (uriToStringA(out.data(), &p.uri, chars + 1, nullptr) != URI_SUCCESS) return std::nullopt;
  out.resize(size_t(chars));
  return out.substr(8);  // drop "http://h"
}

// WHATWG "forbidden host code points" (plus '%', forbidden in a domain after percent-decoding). libcurl
// 7.88 accepts hosts with spaces or percent signs, which can only fail later or name the wrong host.
bool HostCharsValid(const std::string& host) {
  if (!host.empty() && host.front() == '[') return host.find('%') == std::string::npos;  // IPv6, no zone id
  for (unsigned char c : host) {
    if (c <= 0x20 || c == 0x7f) return false;
    switch (c) {
      case '#': case '%': case '/': case ':': case '<': case '>': case '?': case '@':
      case '[': case '\\': case ']': case '^': case '|':
        return false;
      default:
        break;
    }
  }
  return true;
}

// "a.b.c.d", each 0-255 in decimal without leading zeros: how libcurl writes an IPv4 address, so the probe in
// Finish would give it back unchanged (and cost a whole URL parse for every URL of a numeric host).
bool CanonicalDottedDecimal(std::string_view host) {
  int parts = 0;
  size_t i = 0;
  while (i < host.size()) {
    size_t start = i;
    int value = 0;
    while (i < host.size() && host[i] >= '0' && host[i] <= '9' && i - start < 3) value = value * 10 + (host[i++] - '0');
    size_t digits = i - start;
    if (digits == 0 || value > 255 || (digits > 1 && host[start] == '0')) return false;
    if (++parts > 4) return false;
    if (i == host.size()) break;
    if (host[i] != '.') return false;
    ++i;
    if (i == host.size()) return false;  // a trailing dot
  }
  return parts == 4;
}

// Finishes a parsed URL into its canonical form.
Canonical Finish(CURLU* u) {
  Canonical c;
  CurlString scheme;
  curl_url_get(u, CURLUPART_SCHEME, &scheme.s, 0);
  if (!IsHttpScheme(scheme.str())) {
    c.error = "unsupported_scheme";
    c.message = "only http and https URLs are crawled, not " + scheme.str() + ":";
    return c;
  }
  curl_url_set(u, CURLUPART_FRAGMENT, nullptr, 0);
  CurlString host;
  if (curl_url_get(u, CURLUPART_HOST, &host.s, CURLU_PUNYCODE) != CURLUE_OK || host.str().empty() ||
      !HostCharsValid(host.str())) {
    c.error = "invalid_url";
    c.message = "no valid host";
    return c;
  }
  CurlString zone;
  if (curl_url_get(u, CURLUPART_ZONEID, &zone.s, 0) == CURLUE_OK) {
    c.error = "invalid_url";
    c.message = "IPv6 zone identifiers are not crawlable";
    return c;
  }
  std::string lower = host.str();
  for (char& ch : lower) ch = AsciiLower(ch);
  if (lower.find_first_not_of("0123456789abcdefx.") == std::string::npos && !CanonicalDottedDecimal(lower)) {
    // Maybe IPv4 in another spelling (0x7f000001, 127.1, 0300.0250.0.1): libcurl writes it in dotted
    // decimal when it parses a whole URL, but not when it resolves a reference against a base. The same
    // address must give the same canonical URL (deduplication, and the private-address guard's host).
    CurlUrl probe(curl_url());
    CurlString dotted;
    if (curl_url_set(probe.get(), CURLUPART_URL, ("http://" + lower + "/").c_str(), 0) == CURLUE_OK &&
        curl_url_get(probe.get(), CURLUPART_HOST, &dotted.s, 0) == CURLUE_OK) {
      lower = dotted.str();
    }
  }
  if (lower != host.str()) curl_url_set(u, CURLUPART_HOST, lower.c_str(), 0);
  CurlString path, query;
  curl_url_get(u, CURLUPART_PATH, &path.s, 0);
  bool has_query = curl_url_get(u, CURLUPART_QUERY, &query.s, 0) == CURLUE_OK;
  auto normalized = NormalizePathAndQuery(path.str().empty() ? "/" : path.str(), query.str(), has_query);
  if (!normalized) {
    c.error = "invalid_url";
    c.message = "path or query is not valid RFC 3986";
    return c;
  }
  // libcurl writes the authority (it lower-cases percent-escapes in a path it is given, so the path and
  // query come from liburiparser): "scheme://host[:port]" + "/path?query".
  curl_url_set(u, CURLUPART_PATH, "/", 0);
  curl_url_set(u, CURLUPART_QUERY, nullptr, 0);
  CurlString root;
  CURLUcode rc = curl_url_get(u, CURLUPART_URL, &root.s, CURLU_NO_DEFAULT_PORT | CURLU_PUNYCODE);
  if (rc != CURLUE_OK) {
    c.error = "invalid_url";
    c.message = curl_url_strerror(rc);
    return c;
  }
  c.url = root.str();
  c.url.pop_back();  // the "/" set above
  c.url += *normalized;
  return c;
}

constexpr unsigned kParseFlags = CURLU_URLENCODE | CURLU_ALLOW_SPACE | CURLU_NON_SUPPORT_SCHEME;

// A NUL would silently cut the string libcurl sees, and no other control character belongs in a URL.
bool HasControlChars(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

// True when `url` is already in the form Canonicalize gives, recognised by a scan of a strict subset that
// needs none of the work: "http://" or "https://", a host of lower-case labels (letters, digits, inner
// '-'; a label of digits only just in a dotted-decimal address), a port that is not the scheme's default,
// then a path of unreserved characters and '/' without dot segments or "//", and a query of unreserved
// characters and a few sub-delimiters; no '%', no fragment. Anything else takes the libraries' path.
// Most listed URLs are of this form, and the whole parse cost ~4 us a URL of a list read (bench/RESULTS.md).
// url_test checks on the WPT-derived corpus and generated variants that every URL this accepts comes out
// of the libraries' path unchanged.
bool AlreadyCanonical(std::string_view url) {
  // Longer than any list line, sitemap entry or link the crawler keeps (and far from libcurl's 8 MB limit,
  // past which the libraries' path refuses a URL): the scan's claim is tested below this length.
  if (url.size() > 65'536) return false;
  // RFC 3986's unreserved characters, as ASCII whatever the locale (a byte over 0x7f is percent-encoded by
  // the libraries' path).
  auto unreserved = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  };
  size_t i;
  bool https;
  if (url.substr(0, 7) == "http://") {
    i = 7;
    https = false;
  } else if (url.substr(0, 8) == "https://") {
    i = 8;
    https = true;
  } else {
    return false;
  }
  const size_t host_start = i;
  size_t label_start = i;
  for (;; ++i) {
    char c = i < url.size() ? url[i] : '/';
    if (c == '.' || c == ':' || c == '/') {
      if (i == label_start || url[label_start] == '-' || url[i - 1] == '-') return false;  // empty or '-' at an end
      if (url.substr(label_start, 4) == "xn--") return false;  // punycode: left to libcurl's IDN checks
      if (c != '.') break;
      label_start = i + 1;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  if (i >= url.size()) return false;  // no path: Canonicalize adds "/"
  std::string_view host = url.substr(host_start, i - host_start);
  // Every label a letter label, or a dotted-decimal address; a host of hex-like characters only
  // ("0x7f.1", "abc.def") is left to Finish, which asks libcurl whether it is an IPv4 address.
  if (host.find_first_not_of("0123456789abcdefx.") == std::string_view::npos) {
    if (!CanonicalDottedDecimal(host)) return false;
  } else {
    for (size_t a = 0; a < host.size();) {
      size_t b = std::min(host.find('.', a), host.size());
      if (host.substr(a, b - a).find_first_not_of("0123456789") == std::string_view::npos) return false;
      a = b + 1;
    }
  }
  if (url[i] == ':') {
    size_t start = ++i;
    long port = 0;
    while (i < url.size() && url[i] >= '0' && url[i] <= '9' && i - start < 5) port = port * 10 + (url[i++] - '0');
    if (i == start || url[start] == '0' || port > 65535 || port == (https ? 443 : 80)) return false;
    if (i >= url.size() || url[i] != '/') return false;
  }
  // The path: segments of unreserved characters, none empty but the last, none "." or "..".
  size_t segment = i;  // at a '/'
  for (++i; i <= url.size(); ++i) {
    char c = i < url.size() ? url[i] : '?';
    if (c == '/' || c == '?') {
      std::string_view seg = url.substr(segment + 1, i - segment - 1);
      if (seg == "." || seg == "..") return false;
      if (seg.empty() && c == '/') return false;  // "//"
      if (c == '?') break;
      segment = i;
      continue;
    }
    if (!unreserved(c)) return false;
  }
  if (i + 1 == url.size()) return false;  // an empty query
  for (++i; i < url.size(); ++i) {  // the query, when there is one
    char c = url[i];
    if (!(unreserved(c) || c == '=' || c == '&' || c == '/' || c == '+' || c == ',' || c == ';' || c == ':' ||
          c == '@')) {
      return false;
    }
  }
  return true;
}

Canonical Canonicalize(std::string_view url) {
  if (AlreadyCanonical(url)) return {std::string(url), "", ""};
  return CanonicalizeByParsing(url);
}

Canonical CanonicalizeByParsing(std::string_view url) {
  std::string in = BrowserPreprocess(url);
  if (HasControlChars(in)) return {"", "invalid_url", "control characters in the URL"};
  if (LeadingScheme(in).empty()) {
    return {"", "invalid_url", "not an absolute URL (it needs http:// or https://)"};
  }
  CurlUrl u(curl_url());
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, in.c_str(), kParseFlags);
  if (rc != CURLUE_OK) {
    std::string scheme = LeadingScheme(in);
    if (!IsHttpScheme(scheme)) return {"", "unsupported_scheme", "only http and https URLs are crawled"};
    return {"", "invalid_url", curl_url_strerror(rc)};
  }
  return Finish(u.get());
}

std::optional<std::string> Resolve(std::string_view base, std::string_view ref_in) {
  CurlUrl u(curl_url());
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(base).c_str(), kParseFlags) != CURLUE_OK) return std::nullopt;
  CurlString base_scheme;
  curl_url_get(u.get(), CURLUPART_SCHEME, &base_scheme.s, 0);
  std::string ref = ApplySpecialSchemeRules(BrowserPreprocess(ref_in), base_scheme.str());
  if (HasControlChars(ref)) return std::nullopt;
  // libcurl 7.88 resolves "" and "#frag" to the base's directory; browsers mean the page itself.
  if (ref.empty() || ref[0] == '#') {
    Canonical c = Finish(u.get());
    return c.ok() ? std::optional<std::string>(c.url) : std::nullopt;
  }
  if (curl_url_set(u.get(), CURLUPART_URL, ref.c_str(), kParseFlags) != CURLUE_OK) return std::nullopt;
  Canonical c = Finish(u.get());
  return c.ok() ? std::optional<std::string>(c.url) : std::nullopt;
}

namespace {

// A reference the short path may take: no scheme, not scheme-relative, not empty, not only a query or
// fragment, and only characters that need no percent-encoding (anything else goes to libcurl, which
// encodes it as browsers do).
bool PlainRelative(std::string_view ref) {
  if (ref.empty() || ref[0] == '?' || ref[0] == '#' || (ref.size() >= 2 && ref[0] == '/' && ref[1] == '/')) return false;
  size_t colon = ref.find(':');
  if (colon != std::string_view::npos && colon < ref.find_first_of("/?#")) return false;  // a scheme, or odd
  for (size_t i = 0; i < ref.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(ref[i]);
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
      case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}':
        return false;
      case '%':
        if (i + 2 >= ref.size() || !std::isxdigit(static_cast<unsigned char>(ref[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(ref[i + 2]))) {
          return false;
        }
        break;
      default:
        break;
    }
  }
  return true;
}

}  // namespace

Resolver::Resolver(std::string_view base) : base_(base) {
  Canonical c = Canonicalize(base);
  if (!c.ok()) return;
  size_t slash = c.url.find('/', c.url.find("://") + 3);
  if (slash == std::string::npos) return;
  authority_ = c.url.substr(0, slash);
  std::string path = c.url.substr(slash, c.url.find('?', slash) - slash);
  directory_ = path.substr(0, path.rfind('/') + 1);
  scheme_ = c.url.substr(0, c.url.find(':'));
}

std::optional<std::string> Resolver::Resolve(std::string_view ref_in) const {
  if (authority_.empty()) return urls::Resolve(base_, ref_in);
  // The common case: trimmed and tab-free already, nothing browser-specific to rewrite.
  size_t b = 0, e = ref_in.size();
  while (b < e && static_cast<unsigned char>(ref_in[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(ref_in[e - 1]) <= 0x20) --e;
  std::string_view ref = ref_in.substr(b, e - b);
  if (!PlainRelative(ref)) return urls::Resolve(base_, ref_in);
  ref = ref.substr(0, ref.find('#'));
  size_t q = ref.find('?');
  std::string path = ref[0] == '/' ? std::string(ref.substr(0, q)) : directory_ + std::string(ref.substr(0, q));
  bool has_query = q != std::string_view::npos;
  std::string query = has_query ? std::string(ref.substr(q + 1)) : std::string();
  auto normalized = NormalizePathAndQuery(path, query, has_query);
  if (!normalized) return urls::Resolve(base_, ref_in);
  return authority_ + *normalized;
}

std::string Origin(std::string_view url) {
  CurlUrl u(curl_url());
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(url).c_str(), kParseFlags) != CURLUE_OK) return {};
  CurlString scheme, host, port;
  curl_url_get(u.get(), CURLUPART_SCHEME, &scheme.s, 0);
  curl_url_get(u.get(), CURLUPART_HOST, &host.s, CURLU_PUNYCODE);
  curl_url_get(u.get(), CURLUPART_PORT, &port.s, CURLU_DEFAULT_PORT);
  std::string h = host.str();
  for (char& ch : h) ch = AsciiLower(ch);
  return scheme.str() + "://" + h + ":" + port.str();
}

std::string_view CanonicalHost(std::string_view url) {
  size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  start += 3;
  std::string_view authority = url.substr(start, url.find_first_of("/?#", start) - start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (!authority.empty() && authority[0] == '[') return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.find(':'));
}

std::string CanonicalOrigin(std::string_view url) {
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  std::string_view scheme = url.substr(0, colon);
  std::string_view host = CanonicalHost(url);
  // The port, if the authority names one after the host (canonical form drops a default port).
  size_t start = colon + 3;
  std::string_view authority = url.substr(start, url.find_first_of("/?#", start) - start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view port;
  if (authority.size() > host.size() && authority[host.size()] == ':') port = authority.substr(host.size() + 1);
  if (port.empty()) port = scheme == "https" ? "443" : "80";
  std::string out;
  out.reserve(scheme.size() + 3 + host.size() + 1 + port.size());
  out.append(scheme).append("://").append(host).append(":").append(port);
  return out;
}

std::string Host(std::string_view url) {
  CurlUrl u(curl_url());
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(url).c_str(), kParseFlags) != CURLUE_OK) return {};
  CurlString host;
  curl_url_get(u.get(), CURLUPART_HOST, &host.s, CURLU_PUNYCODE);
  std::string h = host.str();
  for (char& ch : h) ch = AsciiLower(ch);
  return h;
}

}  // namespace gc::urls
