#include "app/reports/history.h"

#include <iomanip>

#include "text/escape.h"
#include "text/json.h"

namespace gc {
namespace {

void LinkJson(JsonWriter& w, const storage::HistoryLink& l) {
  w.BeginObject().Key("url").String(l.url).Key("status").OptInt(l.now.status).Key("error").OptString(l.now.error);
  w.Key("before").BeginObject().Key("status").OptInt(l.before.status).Key("error").OptString(l.before.error);
  w.EndObject().Key("streak").Int(l.streak).EndObject();
}

void LinksJson(JsonWriter& w, const std::vector<storage::HistoryLink>& links) {
  w.BeginArray();
  for (const auto& l : links) LinkJson(w, l);
  w.EndArray();
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
  JsonWriter w;
  w.BeginObject().Key("compared_with").OptInt(h.compared_with).Key("runs").BeginArray();
  for (int64_t run : h.runs) w.Int(run);
  w.EndArray().Key("broken").Int(h.broken).Key("new_broken").Int(h.new_broken).Key("fixed").Int(h.fixed);
  w.Key("longest").Int(h.longest).Key("by_streak").BeginObject();
  for (const auto& [streak, n] : h.by_streak) w.Key(std::to_string(streak)).Int(n);
  w.EndObject();
  LinksJson(w.Key("new"), h.new_links);
  LinksJson(w.Key("fixed_links"), h.fixed_links);
  LinksJson(w.Key("lasting"), h.lasting);
  w.EndObject();
  return w.Take();
}

}  // namespace gc
