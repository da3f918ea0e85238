#include "app/reports/html_history.h"

#include "app/reports/format.h"
#include "text/escape.h"

namespace gc::report {
namespace {

std::string Chip(const char* key, const char* label, int64_t n) {
  return std::string("<span class=\"chip\" data-history=\"") + key + "\" data-count=\"" + std::to_string(n) + "\">" +
         label + " <b>" + Count(n) + "</b></span>";
}

std::string Row(const std::string& kind, const storage::HistoryLink& l, const std::string& then) {
  return "<tr><td>" + kind + "</td><td class=\"url\">" + HtmlText(l.url, 2083) + "</td><td>" +
         HtmlText(storage::OutcomeText(l.now)) + "</td><td>" + HtmlText(then) + "</td></tr>";
}

}  // namespace

std::string HistoryBlock(const storage::BrokenHistory& h) {
  int64_t lasting = h.BrokenForMoreThan(1);
  std::string s = "<p class=\"chips\">" + Chip("new_broken", "new broken", h.new_broken) +
                  Chip("fixed", "fixed", h.fixed) + Chip("lasting", "broken 2+ runs in a row", lasting) + "</p>";
  if (!h.compared_with) {
    s += "<p class=\"empty\">No earlier completed run of this list: all its breakage is new.</p>";
  }
  if (h.new_links.empty() && h.fixed_links.empty() && h.lasting.empty()) return s;
  std::string prev = h.compared_with ? std::to_string(*h.compared_with) : "";
  s += "<table class=\"sortable\"><thead><tr><th>what</th><th>URL</th><th>now</th><th>before</th></tr></thead><tbody>";
  for (const auto& l : h.new_links) {
    bool absent = !l.before.status && !l.before.error;
    s += Row("new", l, !h.compared_with ? "" : absent ? "not in run " + prev : storage::OutcomeText(l.before));
  }
  for (const auto& l : h.fixed_links) s += Row("fixed", l, storage::OutcomeText(l.before));
  for (const auto& l : h.lasting) s += Row("broken " + std::to_string(l.streak) + " runs in a row", l, "");
  s += "</tbody></table>";
  int64_t listed = int64_t(h.new_links.size() + h.fixed_links.size() + h.lasting.size());
  if (listed < h.new_broken + h.fixed + lasting) {
    s += "<p class=\"note\">" + Count(listed) + " of " + Count(h.new_broken + h.fixed + lasting) +
         " listed; <code>greencrawl report --all --run " + std::to_string(h.run_id) + "</code> has them all.</p>";
  }
  return s;
}

}  // namespace gc::report
