// Scope: which discovered URLs a recursive crawl may follow. The kind compares a URL with the root it
// descends from (the final URL of a listed URL); --include / --exclude are POSIX extended regular
// expressions on the whole canonical URL. Safe on any thread after construction.
#pragma once

#include <regex.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gc::urls {

enum class ScopeKind {
  kHost,    // same scheme, host and port as the root (the default)
  kDomain,  // same registrable domain (Public Suffix List, through libpsl): a.example.co.uk ~ b.example.co.uk
  kPrefix,  // under the root's directory: root http://x/docs/a.html -> http://x/docs/...
  kAny,     // anywhere
};
std::optional<ScopeKind> ParseScopeKind(std::string_view name);

class Scope {
 public:
  // Throws std::invalid_argument naming the pattern when a regular expression does not compile.
  Scope(ScopeKind kind, const std::vector<std::string>& include, const std::vector<std::string>& exclude);
  bool Allows(const std::string& root, const std::string& url) const { return AllowsUnder(Key(root), url); }
  // The same in two steps, for the many links of one page: Key(root) once, then AllowsUnder per link.
  // Key takes any absolute URL; AllowsUnder's `url` must be canonical (urls::Canonicalize, Resolve), as
  // links and sitemap entries are: it reads the origin and host as substrings.
  std::string Key(const std::string& root_or_url) const;
  bool AllowsUnder(const std::string& root_key, const std::string& url) const;

 private:
  struct RegexDeleter {
    void operator()(regex_t* r) const {
      regfree(r);
      delete r;
    }
  };
  using Regex = std::unique_ptr<regex_t, RegexDeleter>;
  static Regex Compile(const std::string& pattern);
  ScopeKind kind_;
  std::vector<Regex> include_, exclude_;
};

// Why `pattern` would not mean, as a POSIX extended regex, what it plainly means in Perl/ECMAScript
// syntax (\d, \w, \s, (?:...), lazy quantifiers, [\d]), or "" when it has no such construct. regcomp
// accepts most of these silently (glibc reads \d as 'd'), so --include/--exclude refuse them first.
std::string NotPosixExtended(const std::string& pattern);

// The registrable domain ("eTLD+1") of a host; the host itself for IP addresses and unknown suffixes.
std::string RegistrableDomain(const std::string& host);
// The path and query of an absolute URL ("/a/b?c"), as robots.txt rules are matched against.
std::string PathAndQuery(std::string_view url);

}  // namespace gc::urls
