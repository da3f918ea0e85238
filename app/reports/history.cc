#include "app/reports/history.h"

#include <iomanip>

#include "app/json.h"
#include "text/escape.h"

namespace gc {
namespace {

std::string OptInt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "null"; }

std::string LinkJson(const storage::HistoryLink& l) {
  return "{\"url\":" + JsonString(l.url) + ",\"status\":" + OptInt(l.now.status) +
         ",\"error\":" + (l.now.error ? JsonString(*l.now.error) : "null") + ",\"before\":{\"status\":" +
         OptInt(l.before.status) + ",\"error\":" + (l.before.error ? JsonString(*l.before.error) : "null") +
         "},\"streak\":" + std::to_string(l.streak) + "}";
}

std::string LinksJson(const std::vector<storage::HistoryLink>& links) {
  std::string s = "[";
  for (size_t i = 0; i < links.size(); ++i) {
    if (i) s += ',';
    s += LinkJson(links[i]);  // not ("," + ...): g++ 12 -Wrestrict false positive (docs/hacking.md)
  }
  return s + "]";
}

// "404 (was 200)", "error:dns (not in run 3)"
std::string Before(const storage::HistoryLink& l, int64_t run) {
  if (!l.before.status && !l.before.error) return "not in run " + std::to_string(run);
  return "was " + storage::OutcomeText(l.before);
}

void More(int64_t total, size_t listed, const std::string& hint, std::ostream& out) {
  if (total > int64_t(listed)) {
    out << "    ... " << total - int64_t(listed) << " more" << (hint.empty() ? "" : " (" + hint + ")") << "\n";
  }
}

}  // namespace

void PrintHistory(const storage::BrokenHistory& h, const std::string& more_hint, std::ostream& out) {
  out << "History (" << h.runs.size() << " run(s) of this list";
  if (h.compared_with) {
    out << ", compared with run " << *h.compared_with << "):\n";
  } else {
    out << "; no earlier completed run, so all breakage is new):\n";
  }
  out << "  new broken:   " << h.new_broken << "\n  fixed:        " << h.fixed << "\n  still broken: "
      << h.broken - h.new_broken << (h.longest > 1 ? " (longest " + std::to_string(h.longest) + " runs in a row)" : "")
      << "\n";
  if (!h.new_links.empty()) out << "\n  New broken (" << h.new_broken << "):\n";
  for (const auto& l : h.new_links) {
    out << "    " << std::left << std::setw(22) << storage::OutcomeText(l.now) << std::right << " "
        << TerminalText(l.url);
    if (h.compared_with) out << "  (" << Before(l, *h.compared_with) << ")";
    out << "\n";
  }
  More(h.new_broken, h.new_links.size(), more_hint, out);
  if (!h.fixed_links.empty()) out << "\n  Fixed (" << h.fixed << "):\n";
  for (const auto& l : h.fixed_links) {
    out << "    " << std::left << std::setw(22) << storage::OutcomeText(l.now) << std::right << " "
        << TerminalText(l.url) << "  (" << Before(l, h.compared_with.value_or(0)) << ")\n";
  }
  More(h.fixed, h.fixed_links.size(), more_hint, out);
  int64_t lasting = h.BrokenForMoreThan(1);
  if (!h.lasting.empty()) out << "\n  Broken for 2 or more runs in a row (" << lasting << "):\n";
  for (const auto& l : h.lasting) {
    out << "    " << std::setw(3) << l.streak << " runs  " << std::left << std::setw(16) << storage::OutcomeText(l.now)
        << std::right << " " << TerminalText(l.url) << "\n";
  }
  More(lasting, h.lasting.size(), more_hint, out);
}

std::string HistoryJson(const storage::BrokenHistory& h) {
  std::string runs = "[", streaks = "{";
  for (size_t i = 0; i < h.runs.size(); ++i) {
    if (i) runs += ',';
    runs += std::to_string(h.runs[i]);
  }
  for (const auto& [streak, n] : h.by_streak) {
    streaks += (streaks.size() > 1 ? ",\"" : "\"") + std::to_string(streak) + "\":" + std::to_string(n);
  }
  return "{\"compared_with\":" + OptInt(h.compared_with) + ",\"runs\":" + runs + "]" +
         ",\"broken\":" + std::to_string(h.broken) + ",\"new_broken\":" + std::to_string(h.new_broken) +
         ",\"fixed\":" + std::to_string(h.fixed) + ",\"longest\":" + std::to_string(h.longest) +
         ",\"by_streak\":" + streaks + "}" + ",\"new\":" + LinksJson(h.new_links) +
         ",\"fixed_links\":" + LinksJson(h.fixed_links) + ",\"lasting\":" + LinksJson(h.lasting) + "}";
}

}  // namespace gc
