#include "app/reports/format.h"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace gc::report {

std::string Count(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string Printf(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string Bytes(double v) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (std::fabs(v) >= 999.5 && u < 4) {
    v /= 1000;
    ++u;
  }
  if (u == 0) return Printf("%.0f", v) + " B";
  std::string n = Printf(std::fabs(v) >= 99.95 ? "%.0f" : "%.1f", v);
  if (n.size() > 2 && n.compare(n.size() - 2, 2, ".0") == 0) n.resize(n.size() - 2);
  return n + " " + units[u];
}

std::string Ms(double ms) {
  if (ms < 1) return Printf("%.2f", ms) + " ms";
  if (ms < 10) return Printf("%.1f", ms) + " ms";
  if (ms < 1000) return Printf("%.0f", ms) + " ms";
  return Printf("%.2f", ms / 1000) + " s";
}

std::string Duration(double s) {
  if (s < 60) return Printf(s < 10 ? "%.2f" : "%.1f", s) + " s";
  long long t = std::llround(s);
  if (t < 3600) return std::to_string(t / 60) + " min " + std::to_string(t % 60) + " s";
  return std::to_string(t / 3600) + " h " + std::to_string(t % 3600 / 60) + " min";
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "";
  double p = 100.0 * double(part) / double(whole);
  return Printf(p < 10 && p > 0 ? "%.1f" : "%.0f", p) + "%";
}

std::string HeadlineNumber(double v) {
  if (std::fabs(v) < 9e15 && v == std::floor(v)) return Printf("%.0f", v);
  return Printf("%.3f", v);
}

std::string GroupTitle(const std::string& group) {
  if (group == "external") return "Links to other sites";
  if (group == "sitemap") return "Listed in sitemaps";
  if (group == "resource") return "Page resources";
  return "Pages";
}

std::string Origin(const storage::BrokenLink& b) {
  if (b.referrer_count > 0) return "";
  if (b.source_kind == "sitemap" && b.source) return "in sitemap " + *b.source;
  if (b.list_line) return "list line " + std::to_string(*b.list_line);
  return "listed";
}

}  // namespace gc::report
