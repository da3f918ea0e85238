#include "app/reports/text.h"

#include <iomanip>
#include <sstream>

#include "app/reports/format.h"
#include "app/reports/fragments.h"
#include "app/reports/history.h"
#include "app/reports/sitemap.h"

namespace gc {
namespace {

using report::Fixed;

void Counts(const char* heading, const std::vector<storage::CountRow>& rows, std::ostream& out) {
  out << "\n" << heading << ":\n";
  for (const auto& c : rows) {
    out << "  " << std::left << std::setw(20) << c.key << std::right << std::setw(10) << c.count << "\n";
  }
  if (rows.empty()) out << "  (none)\n";
}

void Link(const storage::BrokenLink& b, const char* indent, std::ostream& out) {
  out << indent << std::left << std::setw(26) << b.outcome << " " << std::right << b.url;
  if (b.resource_kind) out << "  (" << *b.resource_kind << ")";
  if (b.list_line) out << "  (list line " << *b.list_line << ")";
  if (b.referrer_count == 0 && b.source_kind == "sitemap" && b.source) out << "  (in sitemap " << *b.source << ")";
  if (b.error_message) out << "\n" << indent << "    " << *b.error_message;
  if (b.referrer_count > 0) {
    out << "\n" << indent << "    linked from " << b.referrer_count << " page(s):";
    for (const auto& ref : b.referrers) out << " " << ref;
    if (int64_t(b.referrers.size()) < b.referrer_count) {
      out << " ... " << b.referrer_count - int64_t(b.referrers.size()) << " more (--all)";
    }
  }
  out << "\n";
}

// The sections of one list. Only the pages of a run that has nothing else: rows without a sub-heading.
void Sections(const std::vector<storage::LinkSection>& sections, int64_t total, std::ostream& out) {
  const bool headings = !(sections.size() == 1 && sections[0].group == "page");
  for (const auto& s : sections) {
    const char* indent = headings ? "    " : "  ";
    if (headings) out << "  " << report::GroupTitle(s.group) << " (" << s.total << "):\n";
    for (const auto& b : s.rows) Link(b, indent, out);
    if (int64_t(s.rows.size()) < s.total) {
      out << indent << "... " << s.total - int64_t(s.rows.size()) << " more (--all lists them all)\n";
    }
  }
  if (total == 0) out << "  (none)\n";
}

}  // namespace

void WriteReportText(const storage::ReportData& r, bool all, std::ostream& out) {
  const auto& s = r.run;
  out << "Run " << s.id << ": " << s.status << ", " << s.results << " results (" << s.ok << " ok, " << s.broken
      << " broken, " << (s.blocked ? std::to_string(s.blocked) + " blocked, " : "")
      << (s.skipped ? std::to_string(s.skipped) + " skipped, " : "") << s.errors << " errors)";
  if (s.duration_s) out << " in " << Fixed(*s.duration_s, 1) << " s";
  out << ", list " << s.list_file << ", started " << s.started_at << "\n";
  Counts("By status", r.by_status, out);
  Counts("By error", r.by_error, out);
  if (r.size_bytes.p50) {
    out << "\nSize (bytes):  p50 " << Fixed(*r.size_bytes.p50, 0) << "   p90 " << Fixed(*r.size_bytes.p90, 0)
        << "   p99 " << Fixed(*r.size_bytes.p99, 0) << "\n";
  }
  if (r.time_ms.p50) {
    out << "Time (ms):     p50 " << Fixed(*r.time_ms.p50, 1) << "   p90 " << Fixed(*r.time_ms.p90, 1) << "   p99 "
        << Fixed(*r.time_ms.p99, 1) << "\n";
  }
  out << "Redirected:    " << r.redirect_total << "\n\nSlowest:\n";
  for (const auto& p : r.slowest) out << "  " << std::setw(10) << Fixed(p.value, 1) << " ms  " << p.url << "\n";
  if (r.slowest.empty()) out << "  (none)\n";  // an empty run, or nothing timed: not a bare heading
  out << "\nLargest:\n";
  for (const auto& p : r.largest) out << "  " << std::setw(10) << Fixed(p.value, 0) << " B   " << p.url << "\n";
  if (r.largest.empty()) out << "  (none)\n";
  out << "\nBroken (" << s.broken << (s.accept == storage::AcceptSet().Text() ? "" : ", accepting " + s.accept)
      << "):\n";
  Sections(r.broken, s.broken, out);
  // Bot walls and challenges: the site did not fail, the crawler was kept out (docs/errors.md).
  out << "\nBlocked (" << s.blocked << "):\n";
  Sections(r.blocked, s.blocked, out);
  PrintFragments(r.fragments, out);
  report::PrintSitemapText(r.sitemaps, out);
  if (!r.redirects.empty()) {
    out << "\nRedirects (" << r.redirect_total << "):\n";
    for (const auto& d : r.redirects) {
      out << "  " << std::left << std::setw(26) << d.outcome << std::right << " " << d.url << " -> " << d.final_url
          << "  (" << d.redirects << " hop(s))\n";
    }
    if (int64_t(r.redirects.size()) < r.redirect_total) {
      out << "  ... " << r.redirect_total - int64_t(r.redirects.size()) << " more (greencrawl export)\n";
    }
  }
  if (r.headline.previous_run) {
    out << "\nChanges since run " << *r.headline.previous_run << " (" << r.changed_urls << " URL(s)):";
    for (const char* kind : {"added", "removed", "status", "redirect", "size", "title", "content"}) {
      auto it = r.change_counts.find(kind);
      out << " " << kind << " " << (it == r.change_counts.end() ? 0 : it->second);
    }
    out << "\n";
  }
  out << "\n";
  PrintHistory(r.history, all ? "" : "--all", out);
}

}  // namespace gc
