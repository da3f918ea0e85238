#include "app/reports/json.h"

#include <iomanip>
#include <sstream>

#include "app/json.h"
#include "app/reports/fragments.h"
#include "app/reports/history.h"
#include "app/reports/html.h"
#include "app/reports/sitemap.h"

namespace gc {
namespace {

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string OptNumber(const std::optional<double>& v) { return v ? Fixed(*v, 1) : "null"; }
std::string OptInt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "null"; }
std::string OptString(const std::optional<std::string>& v) { return v ? JsonString(*v) : "null"; }

std::string Counts(const std::vector<storage::CountRow>& rows) {
  std::string s = "{";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) s += ',';  // not ("," + ...): g++ 12 -Wrestrict false positive (docs/hacking.md)
    s += JsonString(rows[i].key) + ":" + std::to_string(rows[i].count);
  }
  return s + "}";
}

std::string Pages(const std::vector<storage::TopPage>& rows) {
  std::string s = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) s += ',';
    s += "{\"url\":" + JsonString(rows[i].url) + ",\"value\":" + Fixed(rows[i].value, 1) + "}";
  }
  return s + "]";
}

std::string Percentiles(const storage::Percentiles& p) {
  return "{\"p50\":" + OptNumber(p.p50) + ",\"p90\":" + OptNumber(p.p90) + ",\"p99\":" + OptNumber(p.p99) + "}";
}

// Every row of every section, in section order (pages, external, sitemap, resource), each most severe first.
std::string Links(const std::vector<storage::LinkSection>& sections) {
  std::string s = "[";
  bool first = true;
  for (const auto& section : sections) {
    for (const auto& b : section.rows) {
      if (!first) s += ',';
      first = false;
      s += "{\"url\":" + JsonString(b.url) + ",\"status\":" + OptInt(b.typed.status) +
           ",\"error\":" + OptString(b.typed.error) + ",\"error_message\":" + OptString(b.error_message) +
           ",\"list_line\":" + OptInt(b.list_line) + ",\"referrer_count\":" + std::to_string(b.referrer_count) +
           ",\"referrers\":[";
      for (size_t k = 0; k < b.referrers.size(); ++k) {
        if (k) s += ',';
        s += JsonString(b.referrers[k]);
      }
      s += "],\"source_kind\":" + OptString(b.source_kind) + ",\"source\":" + OptString(b.source) +
           ",\"group\":" + JsonString(b.group) + ",\"resource_kind\":" + OptString(b.resource_kind) + "}";
    }
  }
  return s + "]";
}

// {"page":3,"external":1}: each section's full count.
std::string GroupCounts(const std::vector<storage::LinkSection>& sections) {
  std::string s = "{";
  for (size_t i = 0; i < sections.size(); ++i) {
    if (i) s += ',';
    s += JsonString(sections[i].group) + ":" + std::to_string(sections[i].total);
  }
  return s + "}";
}

std::string Redirects(const storage::ReportData& r) {
  std::string s = "[";
  for (size_t i = 0; i < r.redirects.size(); ++i) {
    const auto& d = r.redirects[i];
    if (i) s += ',';
    s += "{\"url\":" + JsonString(d.url) + ",\"final_url\":" + JsonString(d.final_url) +
         ",\"redirects\":" + std::to_string(d.redirects) + ",\"outcome\":" + JsonString(d.outcome) + "}";
  }
  return s + "]";
}

std::string Changes(const storage::ReportData& r) {
  if (!r.headline.previous_run) return "null";
  std::string counts = "{";
  for (const char* kind : {"added", "removed", "status", "redirect", "size", "title", "content"}) {
    auto it = r.change_counts.find(kind);
    if (counts.size() > 1) counts += ',';
    counts += "\"" + std::string(kind) + "\":" + std::to_string(it == r.change_counts.end() ? 0 : it->second);
  }
  return "{\"compared_with\":" + std::to_string(*r.headline.previous_run) + ",\"changed_urls\":" +
         std::to_string(r.changed_urls) + ",\"by_kind\":" + counts + "}}";
}

}  // namespace

std::string RunJson(const storage::RunSummary& r) {
  return "{\"id\":" + std::to_string(r.id) + ",\"started_at\":" + JsonString(r.started_at) +
         ",\"finished_at\":" + (r.finished_at ? JsonString(*r.finished_at) : "null") +
         ",\"status\":" + JsonString(r.status) + ",\"list_file\":" + JsonString(r.list_file) +
         ",\"version\":" + JsonString(r.version) + ",\"results\":" + std::to_string(r.results) +
         ",\"responses\":" + std::to_string(r.responses) + ",\"ok\":" + std::to_string(r.ok) +
         ",\"broken\":" + std::to_string(r.broken) + ",\"blocked\":" + std::to_string(r.blocked) +
         ",\"accept\":" + JsonString(r.accept) + ",\"errors\":" + std::to_string(r.errors) +
         ",\"duration_s\":" + (r.duration_s ? Fixed(*r.duration_s, 3) : "null") +  // ms: a short run is not 0
         ",\"skipped\":" + std::to_string(r.skipped) + "}";
}

std::string ReportJson(const storage::ReportData& r) {
  return "{\"run\":" + RunJson(r.run) + ",\"headline\":" + HeadlineJson(r.headline) +
         ",\"by_status\":" + Counts(r.by_status) + ",\"by_error\":" + Counts(r.by_error) +
         ",\"size_bytes\":" + Percentiles(r.size_bytes) + ",\"time_ms\":" + Percentiles(r.time_ms) +
         ",\"slowest_ms\":" + Pages(r.slowest) + ",\"largest_bytes\":" + Pages(r.largest) +
         ",\"redirected\":" + std::to_string(r.redirect_total) + ",\"broken_count\":" + std::to_string(r.run.broken) +
         ",\"broken\":" + Links(r.broken) + ",\"blocked_count\":" + std::to_string(r.run.blocked) +
         ",\"blocked\":" + Links(r.blocked) + ",\"sitemaps\":" + report::SitemapJson(r.sitemaps) +
         ",\"history\":" + HistoryJson(r.history) + ",\"fragments\":" + FragmentsJson(r.fragments) +
         ",\"skipped_count\":" + std::to_string(r.run.skipped) + ",\"broken_by_group\":" + GroupCounts(r.broken) +
         ",\"blocked_by_group\":" + GroupCounts(r.blocked) + ",\"redirects\":" + Redirects(r) +
         ",\"changes\":" + Changes(r) + "}\n";
}

}  // namespace gc
