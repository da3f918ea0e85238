#include "urls/robots.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace gc::urls {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// RFC 9309 2.2.2: octets outside US-ASCII are compared percent-encoded, and %xx escapes with upper-case
// hex; unreserved characters are compared decoded, as URLs are after canonicalisation.
// A Crawl-delay number crawlers agree on: a decimal number of seconds, digits with an optional fraction
// ("10", "0.5", ".5"). RFC 9309 leaves the line out; strtod alone also read hex ("0x1e": 30 s),
// exponents and "infinity".
bool IsDecimalSeconds(std::string_view v) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, digits = 0;
  for (; i < v.size() && digit(v[i]); ++i) ++digits;
  if (i < v.size() && v[i] == '.') {
    for (++i; i < v.size() && digit(v[i]); ++i) ++digits;
  }
  return digits > 0 && i == v.size();
}

std::string NormalizePath(std::string_view in) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      int v = std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16);
      if (std::isalnum(v) || v == '-' || v == '.' || v == '_' || v == '~') {
        out += char(v);
      } else {
        out += '%';
        out += kHex[v >> 4];
        out += kHex[v & 15];
      }
      i += 2;
    } else if (c >= 0x80 || c <= 0x20) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out;
}

// Which of 64 buckets each byte falls in (its low six bits): a rule whose literal bytes hit a bucket the
// path never hits cannot match it. One AND per rule settles most rules of a hostile file, whose patterns
// are built to be searched for and not found.
uint64_t ByteMask(std::string_view s) {
  uint64_t mask = 0;
  for (unsigned char c : s) mask |= uint64_t(1) << (c & 63);
  return mask;
}

// Leftmost occurrence of `needle` (not empty) in `hay` at or after `from`, or npos, by Knuth-Morris-Pratt:
// at most 2 * (hay + needle) steps whatever the bytes, where std::string_view::find takes hay * needle on
// "aaa...b" against "aaa...". `fail` is scratch space reused between calls; `steps` grows by the work done.
size_t FindLinear(std::string_view hay, size_t from, std::string_view needle, std::vector<uint32_t>& fail,
                  uint64_t& steps) {
  size_t m = needle.size();
  if (from > hay.size() || hay.size() - from < m) return std::string_view::npos;
  // fail[i]: length of the longest proper prefix of needle[0..i] that is also a suffix of it.
  fail.assign(m, 0);
  for (size_t i = 1, k = 0; i < m; ++i) {
    while (k > 0 && needle[i] != needle[k]) k = fail[k - 1], ++steps;
    if (needle[i] == needle[k]) ++k;
    fail[i] = uint32_t(k);
    ++steps;
  }
  for (size_t i = from, k = 0; i < hay.size(); ++i) {
    while (k > 0 && hay[i] != needle[k]) k = fail[k - 1], ++steps;
    if (hay[i] == needle[k]) ++k;
    ++steps;
    if (k == m) return i + 1 - m;
  }
  return std::string_view::npos;
}

// Does `pattern` ('*' any run, final '$' end) match a prefix of `path` (or all of it, with '$')?
// The pattern is literal pieces between stars. The first piece must start the path; each later piece is
// taken at its leftmost place after the one before (leftmost never loses with only '*' wildcards, as it
// leaves the most path to the pieces after it); with '$' the last piece must end the path. Every search
// starts where the previous piece ended, so one rule costs O(path + pattern) steps.
bool Matches(std::string_view pattern, std::string_view path, std::vector<uint32_t>& fail, uint64_t& steps) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  size_t star = pattern.find('*');
  std::string_view head = pattern.substr(0, star);
  steps += head.size();
  if (path.substr(0, head.size()) != head) return false;
  if (star == std::string_view::npos) return !anchored || path.size() == head.size();
  size_t pos = head.size();
  std::string_view rest = pattern.substr(star + 1);
  steps += rest.size();  // the finds for '*' below
  for (;;) {
    size_t next = rest.find('*');
    std::string_view piece = rest.substr(0, next);
    if (next == std::string_view::npos && anchored) {
      steps += piece.size();
      return path.size() - pos >= piece.size() && path.substr(path.size() - piece.size()) == piece;
    }
    if (!piece.empty()) {
      size_t at = FindLinear(path, pos, piece, fail, steps);
      if (at == std::string_view::npos) return false;
      pos = at + piece.size();
    }
    if (next == std::string_view::npos) return true;
    rest.remove_prefix(next + 1);
  }
}

}  // namespace

Robots::Rule Robots::MakeRule(std::string pattern, bool allow) {
  uint64_t mask = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    bool wildcard = pattern[i] == '*' || (pattern[i] == '$' && i + 1 == pattern.size());
    if (!wildcard) mask |= ByteMask(std::string_view(&pattern[i], 1));
  }
  return Rule{std::move(pattern), allow, mask};
}

void Robots::SortRules() {
  // Longest first, allow before disallow at equal length: the first rule that matches is then the one
  // RFC 9309 2.2.2 picks, and Check() stops there.
  auto order = [](const Rule& a, const Rule& b) {
    if (a.pattern.size() != b.pattern.size()) return a.pattern.size() > b.pattern.size();
    if (a.allow != b.allow) return a.allow;
    return a.pattern < b.pattern;  // so that duplicates sit together
  };
  std::sort(rules_.begin(), rules_.end(), order);
  auto same = [](const Rule& a, const Rule& b) { return a.allow == b.allow && a.pattern == b.pattern; };
  rules_.erase(std::unique(rules_.begin(), rules_.end(), same), rules_.end());
}

Robots Robots::DisallowAll() {
  Robots r;
  r.rules_.push_back(MakeRule("/", false));
  return r;
}

Robots Robots::Parse(std::string_view text, std::string_view product_token) {
  std::string token = Lower(product_token);
  Robots mine, star;
  bool found_mine = false;
  // A group is a run of user-agent lines and the lines after it, up to the next user-agent line that
  // follows a rule. As in RFC 9309's reference parser (google/robotstxt, RobotsMatcher::HandleAllow and
  // HandleDisallow set seen_separator_), only an allow or disallow line ends the run of agents: a
  // Sitemap, Crawl-delay, unknown or blank line between two user-agent lines leaves them in one group.
  bool rule_seen = false, applies_mine = false, applies_star = false;
  std::optional<double> group_delay;
  auto end_group = [&] {
    if (group_delay && applies_mine) mine.crawl_delay_ = group_delay;
    if (group_delay && applies_star) star.crawl_delay_ = group_delay;
    group_delay.reset();
  };
  // A UTF-8 byte order mark (or a leading part of one, as the reference parser accepts) is not text.
  for (unsigned char b : {0xEF, 0xBB, 0xBF}) {
    if (text.empty() || static_cast<unsigned char>(text.front()) != b) break;
    text.remove_prefix(1);
  }
  std::vector<std::string> sitemaps;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of("\n\r", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, std::min(end - pos, kMaxLineBytes));  // the rest is dropped
    pos = end + 1;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = Lower(Trim(line.substr(0, colon)));
    std::string_view value = Trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (rule_seen) {
        end_group();
        applies_mine = applies_star = rule_seen = false;
      }
      // "*", also followed by a space and junk as the reference parser accepts.
      if (!value.empty() && value[0] == '*' && (value.size() == 1 || value[1] == ' ' || value[1] == '\t')) {
        applies_star = true;
        continue;
      }
      // The product token: the value's leading [A-Za-z_-] characters, case-insensitive (RFC 9309 2.2.1).
      size_t n = 0;
      while (n < value.size() && (std::isalpha(static_cast<unsigned char>(value[n])) || value[n] == '_' || value[n] == '-')) ++n;
      std::string agent = Lower(value.substr(0, n));
      if (!agent.empty() && agent == token) {
        applies_mine = true;
        found_mine = true;
      }
    } else if (key == "allow" || key == "disallow") {
      rule_seen = true;               // even "Disallow:" with nothing ends the agent list
      if (value.empty()) continue;  // ... but is no rule
      Rule rule = MakeRule(NormalizePath(value), key == "allow");
      if (applies_mine && mine.rules_.size() < kMaxRules) mine.rules_.push_back(rule);
      if (applies_star && star.rules_.size() < kMaxRules) star.rules_.push_back(rule);
    } else if (key == "crawl-delay") {
      // The first word: "5 seconds" still asks for 5 s; "0x1e", "1e3", "-1", "soon", "inf" are no delay.
      std::string_view word = value.substr(0, value.find_first_of(" \t"));
      if (!IsDecimalSeconds(word)) continue;
      std::string v(word);
      errno = 0;
      double d = std::strtod(v.c_str(), nullptr);  // LC_NUMERIC stays "C": main() sets LC_CTYPE only
      // A huge delay still says "slowly": kept, and capped where it is used (--max-crawl-delay). One too
      // large for a double (400 digits) is the largest.
      if (errno == ERANGE && d > 0) d = std::numeric_limits<double>::max();
      if (std::isfinite(d)) group_delay = d;
    } else if (key == "sitemap") {
      // Not part of any group (RFC 9309 2.2.4): every Sitemap line of the file counts.
      if (!value.empty() && sitemaps.size() < kMaxSitemaps) sitemaps.emplace_back(value);
    }
  }
  end_group();
  Robots& chosen = found_mine ? mine : star;
  chosen.SortRules();
  chosen.sitemaps_ = std::move(sitemaps);
  return std::move(chosen);
}

std::string Robots::ProductToken(std::string_view user_agent) {
  user_agent = Trim(user_agent);
  auto robots_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; };
  size_t n = 0;
  while (n < user_agent.size() && robots_char(user_agent[n])) ++n;
  if (n == user_agent.size()) return std::string(user_agent);
  // The first product token (RFC 9110 10.1.5: token ["/" version]) ends at '/', a space or a comment; any
  // other byte (a digit, '.', '+', ...) is part of it, and robots.txt cannot name such a token.
  char next = user_agent[n];
  if (next == '/' || next == ' ' || next == '\t' || next == '(') return std::string(user_agent.substr(0, n));
  return "";
}

Robots::Verdict Robots::Check(std::string_view path_in) const {
  std::string path = NormalizePath(path_in.empty() ? "/" : path_in);
  if (path == "/robots.txt") return {true, 0, false};
  Verdict v{true, path.size(), false};
  uint64_t path_mask = ByteMask(path);
  std::vector<uint32_t> scratch;
  for (const Rule& r : rules_) {  // longest first: the first match decides
    if (v.steps > kMaxMatchSteps) {
      // Out of budget: only a file built to be slow gets here; refuse the path rather than stall the loop.
      return {false, v.steps, true};
    }
    ++v.steps;
    if ((r.byte_mask & ~path_mask) != 0) continue;
    if (Matches(r.pattern, path, scratch, v.steps)) {
      v.allowed = r.allow;
      return v;
    }
  }
  return v;
}

}  // namespace gc::urls
