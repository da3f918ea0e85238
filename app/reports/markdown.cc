#include "app/reports/markdown.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "app/reports/format.h"
#include "text/utf8.h"

namespace gc {
namespace {

// At most max_bytes of `s`, cut on a character boundary, controls as spaces, invalid UTF-8 as U+FFFD.
std::string Clean(std::string_view s, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (out.size() >= max_bytes) {
      out += "…";
      break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += c < 0x20 || c == 0x7f ? ' ' : char(c);
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string Count(int64_t v) { return std::to_string(v); }

std::string Outcome(const storage::Outcome& o) {
  std::string status = o.status ? "HTTP " + std::to_string(*o.status) : "";
  if (!o.error) return status.empty() ? "skipped" : status;
  return *o.error + (status.empty() ? "" : " (" + status + ")");
}

// "By status: 200 4, none 3, 404 3. By error: blocked 1, connect 1.": the breakdown, in one paragraph.
void Outcomes(const storage::ReportData& r, std::ostream& out) {
  auto counts = [](const std::vector<storage::CountRow>& rows) {
    std::string s;
    for (const auto& c : rows) s += (s.empty() ? "" : ", ") + MarkdownText(c.key, 40) + " " + std::to_string(c.count);
    return s.empty() ? std::string("none") : s;
  };
  out << "\nBy status: " << counts(r.by_status) << ". By error: " << counts(r.by_error) << ".\n";
}

void More(size_t shown, int64_t total, const std::string& more, std::ostream& out) {
  if (int64_t(shown) < total) out << "\n" << total - int64_t(shown) << " more not shown: " << more << "\n";
}

void Rows(const storage::LinkSection& section, const std::string& more, std::ostream& out) {
  out << "| URL | outcome | linked from |\n|---|---|---|\n";
  size_t shown = std::min(section.rows.size(), kMarkdownRows);
  for (size_t i = 0; i < shown; ++i) {
    const auto& b = section.rows[i];
    std::string from = MarkdownText(report::Origin(b), 300);
    if (b.referrer_count > 0) {
      from = std::to_string(b.referrer_count) + (b.referrer_count == 1 ? " page: " : " pages, e.g. ") +
             MarkdownCode(b.referrers.empty() ? "" : b.referrers.front(), 200);
    } else if (b.source_kind == "sitemap" && b.source) {
      from = "in sitemap " + MarkdownCode(*b.source, 200);
    }
    std::string kind = b.resource_kind ? " (" + MarkdownText(*b.resource_kind, 20) + ")" : "";
    out << "| " << MarkdownCode(b.url) << kind << " | " << MarkdownText(Outcome(b.typed), 80) << " | " << from << " |\n";
  }
  More(shown, section.total, more, out);
}

// One table per source group; only the pages of a run that has nothing else: one table, no sub-heading.
void Table(const char* heading, const std::vector<storage::LinkSection>& sections, int64_t total,
           const std::string& more, std::ostream& out) {
  out << "\n### " << heading << " (" << total << ")\n\n";
  if (total == 0) {
    out << "None.\n";
    return;
  }
  const bool headings = !(sections.size() == 1 && sections[0].group == "page");
  for (size_t i = 0; i < sections.size(); ++i) {
    if (headings) {
      out << (i ? "\n" : "") << "#### " << report::GroupTitle(sections[i].group) << " (" << sections[i].total
          << ")\n\n";
    }
    Rows(sections[i], more, out);
  }
}

void Fragments(const storage::FragmentReport& f, const std::string& more, std::ostream& out) {
  if (!f.checked) return;
  out << "\n### Broken fragments (" << f.broken_count << ")\n\n" << f.broken_count << " of " << f.verified
      << " checked; " << f.links - f.verified << " on pages not fetched as 2xx HTML, not checked.\n";
  if (f.broken.empty()) return;
  out << "\n| URL | linked from |\n|---|---|\n";
  size_t shown = std::min(f.broken.size(), kMarkdownRows);
  for (size_t i = 0; i < shown; ++i) {
    const auto& b = f.broken[i];
    out << "| " << MarkdownCode(b.url + "#" + b.fragment) << " | " << b.referrer_count
        << (b.referrer_count == 1 ? " page: " : " pages, e.g. ")
        << MarkdownCode(b.referrers.empty() ? "" : b.referrers.front(), 200) << " |\n";
  }
  More(shown, f.broken_count, more, out);
}

void Sitemaps(const storage::SitemapFindings& f, std::ostream& out) {
  if (!f.read) return;
  out << "\n### Sitemaps\n\n"
      << f.files << " sitemap file(s), " << f.urls << " URLs listed; in the sitemap but broken: " << f.broken_count;
  if (f.links_known) {
    out << "; in the sitemap but not linked: " << f.not_linked_count << "; linked but not in the sitemap: "
        << f.not_in_sitemap_count;
  }
  out << ".\n";
}

void Others(const storage::ReportData& r, const std::string& more, std::ostream& out) {
  out << "\n### Redirects (" << r.redirect_total << ")\n\n";
  if (r.redirects.empty()) {
    out << "None.\n";
  } else {
    out << "| URL | final URL | hops |\n|---|---|---:|\n";
    for (const auto& d : r.redirects) {
      out << "| " << MarkdownCode(d.url) << " | " << MarkdownCode(d.final_url) << " | " << d.redirects << " |\n";
    }
    More(r.redirects.size(), r.redirect_total, more, out);
  }
  out << "\n### Changes\n\n";
  if (!r.headline.previous_run) {
    out << "No earlier completed run of this list to compare with.\n";
  } else {
    out << r.changed_urls << " URL(s) changed since run " << *r.headline.previous_run << ":";
    for (const char* kind : {"added", "removed", "status", "redirect", "size", "title", "content"}) {
      auto it = r.change_counts.find(kind);
      out << " " << kind << " " << (it == r.change_counts.end() ? 0 : it->second)
          << (std::string(kind) == "content" ? "." : ",");
    }
    out << "\n";
  }
  const auto& h = r.history;
  out << "\n### History\n\nNew broken: " << h.new_broken << ", fixed: " << h.fixed
      << ", broken 2 or more runs in a row: " << h.BrokenForMoreThan(1) << " (" << h.runs.size()
      << " run(s) of this list).\n";
}

}  // namespace

std::string MarkdownText(std::string_view s, size_t max_bytes) {
  std::string clean = Clean(s, max_bytes), out;
  for (char c : clean) {
    auto u = static_cast<unsigned char>(c);
    // CommonMark 2.4: any ASCII punctuation may be backslash-escaped, and then is a literal character.
    if (u < 0x80 && std::ispunct(u)) out += '\\';
    out += c;
  }
  return out;
}

std::string MarkdownCode(std::string_view s, size_t max_bytes) {
  std::string clean = Clean(s, max_bytes), body;
  size_t run = 0, longest = 0;
  for (char c : clean) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '|') body += '\\';  // GFM 4.10: a pipe in a cell is escaped, even inside a code span
    body += c;
  }
  std::string fence(longest + 1, '`');
  // CommonMark 6.1: one space on each side is stripped, so a span starting or ending with ` still works.
  bool pad = body.empty() || body.front() == '`' || body.back() == '`' || body.front() == ' ';
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

storage::ReportLimits MarkdownLimits() {
  storage::ReportLimits limits;
  limits.top = 0;
  limits.broken = kMarkdownRows;
  limits.fragments = kMarkdownRows;
  limits.referrers = 1;
  limits.redirects = kMarkdownShortRows;
  limits.changes_per_kind = 0;
  return limits;
}

void WriteMarkdown(const storage::ReportData& r, const std::string& db, std::ostream& out) {
  const storage::RunSummary& s = r.run;
  std::string verdict = s.broken == 0 ? "no broken links" : Count(s.broken) + " broken";
  out << "## greencrawl run " << s.id << ": " << verdict << " of " << Count(s.results) << " URLs\n\n";
  out << "| URLs | ok | broken | blocked | errors | skipped | duration |\n|---:|---:|---:|---:|---:|---:|---:|\n";
  char duration[32] = "–";
  if (s.duration_s) std::snprintf(duration, sizeof duration, "%.1f s", *s.duration_s);
  out << "| " << s.results << " | " << s.ok << " | " << s.broken << " | " << s.blocked << " | " << s.errors << " | "
      << s.skipped << " | " << duration << " |\n\n";
  out << "Run " << s.id << " of " << MarkdownCode(s.list_file, 200) << ", " << MarkdownText(s.status, 40)
      << ", started " << MarkdownText(s.started_at, 40) << ". Broken: an error, or an HTTP status outside "
      << MarkdownCode(s.accept, 200) << "; blocked: a bot wall or challenge (not counted as broken); skipped: "
      << "not fetched by choice (robots.txt). Most severe first.\n";
  std::string more = MarkdownCode("greencrawl report --db " + db + " --run " + std::to_string(s.id) + " --all", 400);
  Outcomes(r, out);
  Table("Broken", r.broken, s.broken, more, out);
  if (s.blocked > 0) Table("Blocked", r.blocked, s.blocked, more, out);
  Fragments(r.fragments, more, out);
  Sitemaps(r.sitemaps, out);
  Others(r, more, out);
}

}  // namespace gc
