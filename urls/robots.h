// Robots: robots.txt rules for one host (RFC 9309), for one crawler's product token. Pure functions of
// the file's text; safe on any thread.
//
//   gc::urls::Robots r = gc::urls::Robots::Parse(text, Robots::ProductToken("MyBot/1.0 (+https://x)"));
//   if (!r.Allowed("/private/x?y=1")) ...       // path and query, as sent on the wire
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gc::urls {

class Robots {
 public:
  // Bounds on what a hostile robots.txt can cost (issue 15.4):
  // - a line is cut after kMaxLineBytes, as the RFC's reference parser does (it keeps 8 x 2083 - 1), so
  //   no pattern is longer (3 times that at most once non-ASCII bytes are percent-encoded);
  // - at most kMaxRules rules are kept for the chosen group (later ones are ignored; a 500 KiB file, the
  //   most the crawler reads, holds fewer);
  // - one Check() stops after about kMaxMatchSteps byte steps and then refuses the path (fail closed).
  //   Each rule costs O(path + pattern) steps at most (no backtracking), and most are settled after a
  //   few, so only a file built to be slow runs out.
  // - at most kMaxSitemaps Sitemap lines are kept, in file order.
  static constexpr size_t kMaxLineBytes = 8 * 2083 - 1;
  static constexpr size_t kMaxRules = 50'000;
  static constexpr uint64_t kMaxMatchSteps = uint64_t(1) << 22;
  static constexpr size_t kMaxSitemaps = 1000;

  struct Verdict {
    bool allowed = true;
    uint64_t steps = 0;        // work done, in byte steps: for tests and benchmarks
    bool over_budget = false;  // stopped at kMaxMatchSteps; allowed is then false
  };

  // Rules of the group whose user-agent matches `product_token` (case-insensitive), else of the '*'
  // group; all groups naming the same agent are merged (RFC 9309 2.2.1). As in the RFC's reference parser
  // (google/robotstxt), a group's user-agent lines end only at an allow or disallow line: Sitemap,
  // Crawl-delay and unknown lines between two user-agent lines leave both agents in one group.
  // A leading UTF-8 byte order mark is skipped.
  // An empty token matches no group: only '*' applies.
  static Robots Parse(std::string_view text, std::string_view product_token);
  // The product token a crawler sending `user_agent` (a User-Agent header's value) is named by in robots.txt
  // (RFC 9309 2.2.1): the header's first product token, the name before its "/version" ("MyBot" of
  // "MyBot/1.0 (+https://example.org/bot)"). "" when that name is empty or holds a character a robots.txt
  // product token cannot have (only letters, '_' and '-': "Bot2/1.0", "my.bot"), as the reference
  // parser's IsValidUserAgentToObey refuses such a name: a group could never name it, so only '*' applies.
  static std::string ProductToken(std::string_view user_agent);
  static Robots AllowAll() { return Robots(); }
  static Robots DisallowAll();

  // Longest matching rule wins; on a tie, allow wins; no match allows (RFC 9309 2.2.2). `path` is the
  // URL's path and query. /robots.txt itself is always allowed. A path that takes more than
  // kMaxMatchSteps to decide is refused.
  bool Allowed(std::string_view path) const { return Check(path).allowed; }
  // Allowed(), with the work it took.
  Verdict Check(std::string_view path) const;
  // Crawl-delay of the matched group, in seconds (not in RFC 9309, honoured as most crawlers do): a
  // decimal number ("10", "0.5"), the first word of the value; anything else (hex, exponents) is none.
  std::optional<double> crawl_delay() const { return crawl_delay_; }
  size_t rules() const { return rules_.size(); }
  // Bytes of all rule patterns: what one Check() can cost at most, per byte of the path, with the path's
  // length added per rule (a caller decides from it whether a check is cheap enough to run inline).
  size_t pattern_bytes() const {
    size_t n = 0;
    for (const Rule& r : rules_) n += r.pattern.size();
    return n;
  }
  // Values of every Sitemap line in the file, whatever group they sit in (RFC 9309 2.2.4), trimmed and
  // otherwise as written: not validated, may be relative or not http(s) at all.
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }

 private:
  struct Rule {
    std::string pattern;  // percent-encoding normalised; may hold '*' and a final '$'
    bool allow;
    uint64_t byte_mask;   // buckets (byte & 63) of the pattern's literal bytes, see ByteMask in robots.cc
  };
  static Rule MakeRule(std::string pattern, bool allow);
  void SortRules();       // longest first, allow first on a tie, duplicates removed

  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_;
  std::vector<std::string> sitemaps_;
};

}  // namespace gc::urls
