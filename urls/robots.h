// Robots: robots.txt rules for one host (RFC 9309), for one crawler's product token. Pure functions of
// the file's text; safe on any thread.
//
//   gc::urls::Robots r = gc::urls::Robots::Parse(text, "greencrawl");
//   if (!r.Allowed("/private/x?y=1")) ...       // path and query, as sent on the wire
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gc::urls {

class Robots {
 public:
  // Rules of the group whose user-agent matches `product_token` (case-insensitive), else of the '*'
  // group; all groups naming the same agent are merged (RFC 9309 2.2.1).
  static Robots Parse(std::string_view text, std::string_view product_token);
  static Robots AllowAll() { return Robots(); }
  static Robots DisallowAll();

  // Longest matching rule wins; on a tie, allow wins; no match allows (RFC 9309 2.2.2). `path` is the
  // URL's path and query. /robots.txt itself is always allowed.
  bool Allowed(std::string_view path) const;
  // Crawl-delay of the matched group, in seconds (not in RFC 9309, honoured as most crawlers do).
  std::optional<double> crawl_delay() const { return crawl_delay_; }
  size_t rules() const { return rules_.size(); }

 private:
  struct Rule {
    std::string pattern;  // percent-encoding normalised; may hold '*' and a final '$'
    bool allow;
  };
  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_;
};

}  // namespace gc::urls
