#include "app/thresholds.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace gc {

std::optional<Threshold> ParseThreshold(const std::string& text, std::string* why) {
  size_t gt = text.find('>');
  if (gt == std::string::npos) {
    *why = "expected METRIC>N or METRIC>N% (e.g. errors>5%)";
    return std::nullopt;
  }
  Threshold t;
  t.text = text;
  t.metric = text.substr(0, gt);
  if (t.metric != "errors" && t.metric != "broken" && t.metric != "changed" && t.metric != "blocked" &&
      t.metric != "new-broken" && t.metric != "broken-for") {
    *why = "unknown metric '" + t.metric + "' (errors, broken, changed, blocked, new-broken or broken-for)";
    return std::nullopt;
  }
  std::string value = text.substr(gt + 1);
  if (!value.empty() && value.back() == '%') {
    t.percent = true;
    value.pop_back();
  }
  char* end = nullptr;
  t.limit = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || t.limit < 0) {
    *why = "'" + value + "' is not a number";
    return std::nullopt;
  }
  if (t.metric == "broken-for" && t.percent) {
    *why = "broken-for counts runs in a row, not a percentage (e.g. broken-for>3)";
    return std::nullopt;
  }
  return t;
}

bool NeedsHistory(const std::vector<Threshold>& thresholds) {
  return std::any_of(thresholds.begin(), thresholds.end(),
                     [](const Threshold& t) { return t.metric == "new-broken" || t.metric == "broken-for"; });
}

int64_t StreakNeeded(const std::vector<Threshold>& thresholds) {
  int64_t runs = 1;
  for (const auto& t : thresholds) {
    if (t.metric == "broken-for") runs = std::max(runs, int64_t(std::min(t.limit, 1e9)) + 1);
  }
  return runs;
}

std::vector<std::string> Crossed(const std::vector<Threshold>& thresholds, const RunMetrics& m) {
  std::vector<std::string> out;
  for (const auto& t : thresholds) {
    if (t.metric == "broken-for") {
      // A URL crosses it, not a count: any URL broken for more than N runs in a row. (The streaks were
      // followed back only as far as this needs: StreakNeeded.)
      int64_t urls = 0;
      for (const auto& [streak, n] : m.broken_streaks) {
        if (double(streak) > t.limit) urls += n;
      }
      if (urls > 0) {
        out.push_back("--fail-on " + t.text + ": " + std::to_string(urls) + " URL(s) broken for more than " +
                      t.text.substr(t.text.find('>') + 1) + " runs in a row");
      }
      continue;
    }
    int64_t count = t.metric == "errors"       ? m.errors
                    : t.metric == "broken"     ? m.broken
                    : t.metric == "blocked"    ? m.blocked
                    : t.metric == "new-broken" ? m.new_broken
                                               : m.changed;
    double value = t.percent ? (m.results ? 100.0 * double(count) / double(m.results) : 0.0) : double(count);
    if (value > t.limit) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "--fail-on %s: %s is %lld (%.1f%% of %lld results)", t.text.c_str(),
                    t.metric.c_str(), static_cast<long long>(count),
                    m.results ? 100.0 * double(count) / double(m.results) : 0.0, static_cast<long long>(m.results));
      out.push_back(buf);
    }
  }
  return out;
}

}  // namespace gc
