#include "urls/scope.h"

#include <cctype>
#include <curl/curl.h>
#include <libpsl.h>

#include <stdexcept>

#include "urls/url.h"

namespace gc::urls {
namespace {
// The directory part of a canonical URL: everything up to the last '/' of its path.
std::string DirectoryPrefix(const std::string& url) {
  size_t query = url.find('?');
  size_t slash = url.rfind('/', query == std::string::npos ? std::string::npos : query);
  return url.substr(0, slash + 1);
}
}  // namespace

std::optional<ScopeKind> ParseScopeKind(std::string_view name) {
  if (name == "host") return ScopeKind::kHost;
  if (name == "domain") return ScopeKind::kDomain;
  if (name == "prefix") return ScopeKind::kPrefix;
  if (name == "any") return ScopeKind::kAny;
  return std::nullopt;
}

std::string NotPosixExtended(const std::string& pattern) {
  // What users of grep -P, JavaScript or Python write that POSIX ERE reads as something else: glibc takes
  // '\d' for a plain 'd', '\.' outside brackets is fine. Refused with what to write instead.
  auto escape = [](char c) -> std::string {
    switch (c) {
      case 'd': return "\\d is not POSIX extended regex syntax (it would match the letter 'd'); write [0-9]";
      case 'D': return "\\D is not POSIX extended regex syntax; write [^0-9]";
      case 'w': return "\\w is a GNU extension, not POSIX extended regex syntax; write [[:alnum:]_]";
      case 'W': return "\\W is a GNU extension, not POSIX extended regex syntax; write [^[:alnum:]_]";
      case 's': return "\\s is a GNU extension, not POSIX extended regex syntax; write [[:space:]]";
      case 'S': return "\\S is a GNU extension, not POSIX extended regex syntax; write [^[:space:]]";
      default:
        return std::string("\\") + c + " is not POSIX extended regex syntax (a backslash before a letter or digit " +
               "has no defined meaning)";
    }
  };
  const size_t n = pattern.size();
  for (size_t i = 0; i < n; ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < n && std::isalnum(static_cast<unsigned char>(pattern[i + 1]))) return escape(pattern[i + 1]);
      ++i;  // an escaped character: '\.', '\?', '\\'
      continue;
    }
    if (c == '(' && i + 1 < n && pattern[i + 1] == '?') {
      return "(?...) groups (non-capturing, lookaround, flags) are not POSIX extended regex syntax";
    }
    if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && pattern[i + 1] == '?' && i > 0) {
      return std::string("lazy quantifiers (") + c + "?) are not POSIX extended regex syntax";
    }
    if (c == '[') {
      // A bracket expression: a backslash inside is a plain backslash, so [\d] is '\' or 'd'.
      size_t j = i + 1;
      if (j < n && pattern[j] == '^') ++j;
      if (j < n && pattern[j] == ']') ++j;
      for (; j < n && pattern[j] != ']'; ++j) {
        if (pattern[j] == '[' && j + 1 < n && (pattern[j + 1] == ':' || pattern[j + 1] == '=' || pattern[j + 1] == '.')) {
          char kind = pattern[j + 1];
          size_t close = pattern.find(std::string(1, kind) + "]", j + 2);
          if (close == std::string::npos) break;  // regcomp reports it
          j = close + 1;
          continue;
        }
        if (pattern[j] == '\\' && j + 1 < n && std::isalnum(static_cast<unsigned char>(pattern[j + 1]))) {
          return std::string("inside [...] a backslash is a plain backslash, so [\\") + pattern[j + 1] +
                 "] would match '\\' or '" + pattern[j + 1] + "'" +
                 (pattern[j + 1] == 'd' ? "; write [0-9]" : "; use a class such as [:digit:] or [:space:]");
        }
      }
      i = j;
    }
  }
  return "";
}

Scope::Regex Scope::Compile(const std::string& pattern) {
  if (std::string why = NotPosixExtended(pattern); !why.empty()) {
    throw std::invalid_argument("bad regular expression '" + pattern + "': " + why);
  }
  Regex re(new regex_t);
  int rc = regcomp(re.get(), pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char msg[256];
    regerror(rc, re.get(), msg, sizeof msg);
    delete re.release();  // regcomp failed: nothing to regfree
    throw std::invalid_argument("bad regular expression '" + pattern + "': " + msg);
  }
  return re;
}

Scope::Scope(ScopeKind kind, const std::vector<std::string>& include, const std::vector<std::string>& exclude)
    : kind_(kind) {
  for (const auto& p : include) include_.push_back(Compile(p));
  for (const auto& p : exclude) exclude_.push_back(Compile(p));
}

std::string Scope::Key(const std::string& url) const {
  switch (kind_) {
    case ScopeKind::kHost:
      return Origin(url);
    case ScopeKind::kDomain:
      return RegistrableDomain(Host(url));
    case ScopeKind::kPrefix:
      return DirectoryPrefix(url);
    case ScopeKind::kAny:
      break;
  }
  return {};
}

bool Scope::AllowsUnder(const std::string& root_key, const std::string& url) const {
  bool in = false;
  switch (kind_) {
    // `url` is canonical, so its origin and host are substrings (CanonicalOrigin and CanonicalHost, equal to
    // Origin and Host on canonical URLs: url_test). A libcurl parse per link was ~3 % of a recursive
    // crawl's parse threads (bench case d).
    case ScopeKind::kHost:
      in = CanonicalOrigin(url) == root_key;
      break;
    case ScopeKind::kDomain:
      in = RegistrableDomain(std::string(CanonicalHost(url))) == root_key;
      break;
    case ScopeKind::kPrefix:
      in = url.rfind(root_key, 0) == 0;
      break;
    case ScopeKind::kAny:
      in = true;
      break;
  }
  if (!in) return false;
  for (const auto& re : exclude_) {
    if (regexec(re.get(), url.c_str(), 0, nullptr, 0) == 0) return false;
  }
  if (include_.empty()) return true;
  for (const auto& re : include_) {
    if (regexec(re.get(), url.c_str(), 0, nullptr, 0) == 0) return true;
  }
  return false;
}

std::string RegistrableDomain(const std::string& host) {
  // psl_builtin(): the list compiled into Debian's libpsl, no file to find at run time.
  const char* domain = psl_registrable_domain(psl_builtin(), host.c_str());
  return domain ? std::string(domain) : host;
}

std::string PathAndQuery(std::string_view url) {
  CURLU* u = curl_url();
  std::string out = "/";
  if (curl_url_set(u, CURLUPART_URL, std::string(url).c_str(), CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
    char* path = nullptr;
    char* query = nullptr;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path) out = path;
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) out += std::string("?") + query;
    curl_free(path);
    curl_free(query);
  }
  curl_url_cleanup(u);
  return out;
}

}  // namespace gc::urls
