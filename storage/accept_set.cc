#include "storage/accept_set.h"

#include <algorithm>
#include <charconv>

namespace gc::storage {
namespace {

constexpr int64_t kLowest = 100, kHighest = 999;  // HTTP status codes are three digits (RFC 9110 15)

// 'text', for messages. Appends, not `"'" + std::string(...)`: g++ 12 -O3 warns -Wrestrict on that
// (GCC bug 105651, docs/hacking.md).
std::string Quoted(std::string_view text) {
  std::string q = "'";
  q += text;
  q += '\'';
  return q;
}

// "429" -> 429; nullopt unless all digits.
std::optional<int64_t> Code(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 3) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

AcceptSet::AcceptSet() : ranges_{{100, 399}}, robots_(true) {}

std::optional<AcceptSet> AcceptSet::Parse(std::string_view text, std::string* why) {
  AcceptSet set;
  set.ranges_.clear();
  set.robots_ = false;
  size_t parts = 0;
  while (true) {
    size_t comma = text.find(',');
    std::string_view part = Trim(text.substr(0, comma));
    if (++parts > kMaxParts) {
      *why = "more than " + std::to_string(kMaxParts) + " codes and ranges";
      return std::nullopt;
    }
    if (part == "robots") {
      set.robots_ = true;
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
      continue;
    }
    // lychee writes ranges as 200..=299: the same thing.
    size_t dash = part.find('-'), dots = part.find("..=");
    std::string_view lo_text = part, hi_text = part;
    if (dash != std::string_view::npos) {
      lo_text = part.substr(0, dash);
      hi_text = part.substr(dash + 1);
    } else if (dots != std::string_view::npos) {
      lo_text = part.substr(0, dots);
      hi_text = part.substr(dots + 3);
    }
    auto lo = Code(Trim(lo_text)), hi = Code(Trim(hi_text));
    if (!lo || !hi) {
      *why = Quoted(part) + " is not a status code or range (e.g. 200-299,429)";
      return std::nullopt;
    }
    if (*lo < kLowest || *hi > kHighest || *lo > *hi) {
      *why = Quoted(part) + ": status codes run from 100 to 999, low to high";
      return std::nullopt;
    }
    set.ranges_.emplace_back(*lo, *hi);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (set.ranges_.empty()) {
    *why = "no status code or range (e.g. 200-299,429)";
    return std::nullopt;
  }
  std::sort(set.ranges_.begin(), set.ranges_.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& r : set.ranges_) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  set.ranges_ = std::move(merged);
  return set;
}

bool AcceptSet::Accepts(int64_t status) const {
  if (status == 304) return true;
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [status](const auto& r) { return status >= r.first && status <= r.second; });
}

bool AcceptSet::Broken(std::optional<int64_t> status, const std::optional<std::string>& error) const {
  if (error) return *error != "blocked" && !(robots_ && *error == "robots");
  return status && !Accepts(*status);
}

std::string AcceptSet::Text() const {
  std::string s;
  for (const auto& [lo, hi] : ranges_) {
    if (!s.empty()) s += ',';
    s += std::to_string(lo);
    if (hi != lo) {
      s += '-';
      s += std::to_string(hi);
    }
  }
  if (robots_) s += ",robots";
  return s;
}

bool AcceptSet::IsDefault() const { return Text() == AcceptSet().Text(); }

std::string AcceptSet::BrokenSql(std::string_view table) const {
  // Appends, not `"..." + std::string`: g++ 12 -O3 warns -Wrestrict on those (docs/hacking.md).
  std::string prefix(table);
  if (!prefix.empty()) prefix += '.';
  const std::string status = prefix + "status", error = prefix + "error";
  std::string accepted = status;
  accepted += " = 304";
  for (size_t i = 0; i < ranges_.size(); ++i) {
    accepted += " OR ";
    accepted += status;
    accepted += " BETWEEN ? AND ?";
  }
  std::string sql = "((";
  sql += error;
  sql += " IS NOT NULL AND ";
  sql += error;
  sql += robots_ ? " NOT IN ('blocked', 'robots')) OR (" : " <> 'blocked') OR (";
  sql += error;
  sql += " IS NULL AND ";
  sql += status;
  sql += " IS NOT NULL AND NOT (";
  sql += accepted;
  sql += ")))";
  return sql;
}

int AcceptSet::BindBroken(sql::Statement& st, int first) const {
  for (const auto& [lo, hi] : ranges_) {
    st.Bind(first++, lo);
    st.Bind(first++, hi);
  }
  return first;
}

AcceptSet RunAcceptSet(sql::Database& db, int64_t run_id) {
  auto st = db.Prepare("SELECT coalesce(options, '') FROM runs WHERE id = ?");
  st.Bind(1, run_id);
  if (!st.Step()) throw sql::Error("no run " + std::to_string(run_id) + " in " + db.path(), sql::kError);
  // greencrawl writes runs.options itself (app/crawl.cc) with "accept" as a plain string of digits,
  // commas and dashes: no JSON escapes to undo.
  std::string options = st.Text(0);
  const std::string key = "\"accept\":\"";
  size_t at = options.find(key);
  if (at == std::string::npos) return AcceptSet();
  size_t start = at + key.size(), end = options.find('"', start);
  std::string why;
  auto set = end == std::string::npos ? std::nullopt : AcceptSet::Parse(options.substr(start, end - start), &why);
  if (!set) throw sql::Error("run " + std::to_string(run_id) + "'s stored accept set does not parse", sql::kError);
  return *set;
}

}  // namespace gc::storage
