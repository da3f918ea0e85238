#include "app/thresholds.h"

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
  if (t.metric != "errors" && t.metric != "broken" && t.metric != "changed" && t.metric != "blocked") {
    *why = "unknown metric '" + t.metric + "' (errors, broken, changed or blocked)";
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
  return t;
}

std::vector<std::string> Crossed(const std::vector<Threshold>& thresholds, const RunMetrics& m) {
  std::vector<std::string> out;
  for (const auto& t : thresholds) {
    int64_t count = t.metric == "errors"    ? m.errors
                    : t.metric == "broken"  ? m.broken
                    : t.metric == "blocked" ? m.blocked
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
