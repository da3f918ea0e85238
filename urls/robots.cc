#include "urls/robots.h"

#include <cctype>
#include <cstdlib>

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

// Does `pattern` ('*' any run, final '$' end) match a prefix of `path` (or all of it, with '$')?
// Iterative with one backtrack point per '*', so hostile patterns cannot blow up.
bool Matches(std::string_view pattern, std::string_view path) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (true) {
    if (p == pattern.size()) {
      if (!anchored || s == path.size()) return true;
    } else if (pattern[p] == '*') {
      star = p++;
      mark = s;
      continue;
    } else if (s < path.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
      continue;
    }
    if (star == std::string_view::npos || mark >= path.size()) return false;
    p = star + 1;
    s = ++mark;
  }
}

}  // namespace

Robots Robots::DisallowAll() {
  Robots r;
  r.rules_.push_back({"/", false});
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
    std::string_view line = text.substr(pos, end - pos);
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
      Rule rule{NormalizePath(value), key == "allow"};
      if (applies_mine) mine.rules_.push_back(rule);
      if (applies_star) star.rules_.push_back(rule);
    } else if (key == "crawl-delay") {
      char* endp = nullptr;
      std::string v(value);
      double d = std::strtod(v.c_str(), &endp);
      if (endp != v.c_str() && d >= 0 && d < 86400) group_delay = d;
    } else if (key == "sitemap") {
      // Not part of any group (RFC 9309 2.2.4): every Sitemap line of the file counts.
      if (!value.empty() && sitemaps.size() < kMaxSitemaps) sitemaps.emplace_back(value);
    }
  }
  end_group();
  Robots& chosen = found_mine ? mine : star;
  chosen.sitemaps_ = std::move(sitemaps);
  return std::move(chosen);
}

bool Robots::Allowed(std::string_view path_in) const {
  std::string path = NormalizePath(path_in.empty() ? "/" : path_in);
  if (path == "/robots.txt") return true;
  const Rule* best = nullptr;
  for (const Rule& r : rules_) {
    if (!Matches(r.pattern, path)) continue;
    if (!best || r.pattern.size() > best->pattern.size() || (r.pattern.size() == best->pattern.size() && r.allow)) {
      best = &r;
    }
  }
  return !best || best->allow;
}

}  // namespace gc::urls
