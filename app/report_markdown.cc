#include "app/report_markdown.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "parser/utf8.h"

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

void Table(const char* heading, const std::vector<storage::BrokenLink>& rows, int64_t total, const std::string& more,
           std::ostream& out) {
  out << "\n### " << heading << " (" << total << ")\n\n";
  if (total == 0) {
    out << "None.\n";
    return;
  }
  out << "| URL | outcome | linked from |\n|---|---|---|\n";
  size_t shown = std::min(rows.size(), kMarkdownRows);
  for (size_t i = 0; i < shown; ++i) {
    const auto& b = rows[i];
    std::string status = b.typed.status ? "HTTP " + std::to_string(*b.typed.status) : "";
    std::string outcome = !b.typed.error ? (status.empty() ? "no response" : status)
                                         : *b.typed.error + (status.empty() ? "" : " (" + status + ")");
    std::string from = "listed";
    if (b.referrer_count > 0) {
      from = std::to_string(b.referrer_count) + (b.referrer_count == 1 ? " page: " : " pages, e.g. ") +
             MarkdownCode(b.referrers.empty() ? "" : b.referrers.front(), 200);
    }
    out << "| " << MarkdownCode(b.url) << " | " << MarkdownText(outcome, 80) << " | " << from << " |\n";
  }
  if (int64_t(shown) < total) {
    out << "\n" << total - int64_t(shown) << " more not shown: " << more << "\n";
  }
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

void WriteMarkdown(storage::Inspector& in, int64_t run_id, const std::string& db, std::ostream& out) {
  storage::Report r = in.MakeReport(run_id, 0, false);
  const storage::RunSummary& s = r.run;
  std::string verdict = s.broken == 0 ? "no broken links" : Count(s.broken) + " broken";
  out << "## greencrawl run " << s.id << ": " << verdict << " of " << Count(s.results) << " URLs\n\n";
  out << "| URLs | ok (2xx/3xx) | broken | blocked | errors | duration |\n|---:|---:|---:|---:|---:|---:|\n";
  char duration[32] = "–";
  if (s.duration_s) std::snprintf(duration, sizeof duration, "%.1f s", *s.duration_s);
  out << "| " << s.results << " | " << s.ok << " | " << s.broken << " | " << s.blocked << " | " << s.errors << " | "
      << duration << " |\n\n";
  out << "Run " << s.id << " of " << MarkdownCode(s.list_file, 200) << ", " << MarkdownText(s.status, 40)
      << ", started " << MarkdownText(s.started_at, 40) << ". Broken: an error, or an HTTP status outside "
      << MarkdownCode(s.accept, 200) << "; blocked: a bot wall or challenge (not counted as broken).\n";
  std::string more = MarkdownCode("greencrawl report --db " + db + " --run " + std::to_string(s.id) + " --all", 400);
  Table("Broken", r.broken, r.broken_count, more, out);
  if (s.blocked > 0) Table("Blocked", r.blocked, s.blocked, more, out);
}

}  // namespace gc
