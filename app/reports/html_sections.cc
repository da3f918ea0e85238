#include "app/reports/html_sections.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "app/reports/format.h"
#include "app/svg.h"
#include "text/escape.h"

namespace gc::report {
namespace {

using storage::ReportData;

// Colours by outcome: the same in charts, badges and the legend.
constexpr const char* kColor2xx = "#2f9e44";
constexpr const char* kColor3xx = "#1c7ed6";
constexpr const char* kColor4xx = "#f08c00";
constexpr const char* kColor5xx = "#e8590c";
constexpr const char* kColorError = "#c92a2a";
constexpr const char* kColorOther = "#868e96";
constexpr const char* kColorTime = "#4c6ef5";
constexpr const char* kColorSize = "#0c8599";
constexpr const char* kColorDepth = "#7048e8";

// Bounds on what one value may add to the page, whatever the database holds.
constexpr size_t kUrlText = 200, kUrlHref = 4096, kTitleText = 160, kValueText = 200;

const char* ClassColor(const std::string& klass) {
  if (klass == "2xx") return kColor2xx;
  if (klass == "3xx") return kColor3xx;
  if (klass == "4xx") return kColor4xx;
  if (klass == "5xx") return kColor5xx;
  if (klass == "error") return kColorError;
  return kColorOther;
}

// "404" -> 4xx badge, "error:timeout" -> "timeout" in red.
std::string OutcomeBadge(const std::string& outcome) {
  std::string css = "o-none", text = outcome;
  if (outcome.rfind("error:", 0) == 0) {
    css = "o-error";
    text = outcome.substr(6);
  } else if (outcome.size() == 3 && outcome[0] >= '1' && outcome[0] <= '5') {
    css = std::string("o-") + outcome[0] + "xx";
  }
  return "<span class=\"o " + css + "\">" + HtmlText(text, 60) + "</span>";
}

std::string UrlCell(const std::string& url) {
  std::string text = HtmlText(url, kUrlText);
  if (!IsWebUrl(url)) return "<td class=\"url\"><span title=\"" + HtmlAttr(url, kUrlHref) + "\">" + text + "</span></td>";
  return "<td class=\"url\"><a href=\"" + HtmlAttr(url, kUrlHref) + "\" title=\"" + HtmlAttr(url, kUrlHref) +
         "\" rel=\"noopener noreferrer\">" + text + "</a></td>";
}

std::string NumCell(double sort_key, const std::string& text) {
  return "<td class=\"num\" data-sort=\"" + Printf("%.3f", sort_key) + "\">" + text + "</td>";
}

std::string Th(const std::string& label, bool numeric = false) {
  return std::string("<th") + (numeric ? " data-type=\"num\" class=\"num\"" : "") + " scope=\"col\">" + label + "</th>";
}

// ---- headline ----

struct Card {
  const char* key;     // the headline's JSON key (tests compare data-value with report --json)
  const char* label;
  std::optional<double> value;
  std::string text;    // formatted for people
  std::optional<double> before;  // the previous run's value, for a delta
  int bad_direction = 0;         // +1: up is bad (errors), -1: down is bad, 0: neutral
  std::string hint;
};

std::string Delta(const Card& c, const std::string& run_name) {
  if (!c.value || !c.before) return "";
  double d = *c.value - *c.before;
  std::string css = "same", sign;
  // Counts differ or not; times, rates and volumes always wobble a little, so under 1% is "same".
  bool measured = std::string(c.key) == "duration_s" || std::string(c.key) == "rate_per_s" ||
                  std::string(c.key) == "wire_bytes";
  double noise = measured ? 0.01 * std::max(std::fabs(*c.value), std::fabs(*c.before)) : 1e-9;
  if (std::fabs(d) <= noise) return "<div class=\"delta same\">same as " + run_name + "</div>";
  if (c.bad_direction != 0) css = (d > 0) == (c.bad_direction > 0) ? "worse" : "better";
  sign = d > 0 ? "▲ +" : "▼ −";
  double a = std::fabs(d);
  std::string amount = std::string(c.key) == "wire_bytes"   ? Bytes(a)
                       : std::string(c.key) == "duration_s" ? Duration(a)
                       : std::string(c.key) == "rate_per_s" ? Printf("%.1f/s", a)
                                                           : Count(int64_t(std::llround(a)));
  return "<div class=\"delta " + css + "\">" + sign + amount + " vs " + run_name + "</div>";
}

}  // namespace

std::string HeadlineCards(const ReportData& r) {
  const auto& h = r.headline;
  const storage::Headline* p = r.previous ? &*r.previous : nullptr;
  auto opt = [](int64_t v) { return std::optional<double>(double(v)); };
  std::vector<Card> cards = {
      {"results", "URLs", opt(h.results), Count(h.results), p ? opt(p->results) : std::nullopt, 0, "result rows"},
      {"ok", "ok", opt(h.ok), Count(h.ok), p ? opt(p->ok) : std::nullopt, -1, Percent(h.ok, h.results)},
      {"errors", "errors", opt(h.errors), Count(h.errors), p ? opt(p->errors) : std::nullopt, 1,
       Percent(h.errors, h.results)},
      {"broken", "broken", opt(h.broken), Count(h.broken), p ? opt(p->broken) : std::nullopt, 1,
       h.accept == storage::AcceptSet().Text() ? "error or HTTP ≥ 400" : "error or HTTP not in " + h.accept},
      {"blocked", "blocked", opt(h.blocked), Count(h.blocked), p ? opt(p->blocked) : std::nullopt, 0,
       "bot wall or challenge"},
      {"skipped", "skipped", opt(h.skipped), Count(h.skipped), p ? opt(p->skipped) : std::nullopt, 0,
       "not fetched: robots.txt"},
      {"duration_s", "duration", h.duration_s, h.duration_s ? Duration(*h.duration_s) : "—",
       p ? p->duration_s : std::nullopt, 1, h.finished_at ? "" : "not finished"},
      {"rate_per_s", "rate", h.rate_per_s, h.rate_per_s ? Printf("%.1f", *h.rate_per_s) + "/s" : "—",
       p ? p->rate_per_s : std::nullopt, -1, "URLs per second"},
      {"wire_bytes", "received", opt(h.wire_bytes), Bytes(double(h.wire_bytes)), p ? opt(p->wire_bytes) : std::nullopt,
       0, "on the wire"},
      {"unchanged", "unchanged", opt(h.unchanged), Count(h.unchanged), p ? opt(p->unchanged) : std::nullopt, 0,
       "304 Not Modified"},
      {"retried", "retried", opt(h.retried), Count(h.retried), p ? opt(p->retried) : std::nullopt, 1, "extra attempts"},
      {"redirected", "redirected", opt(h.redirected), Count(h.redirected), p ? opt(p->redirected) : std::nullopt, 0,
       "followed a redirect"},
  };
  std::string run_name = p ? "run " + std::to_string(p->run_id) : "";
  std::string s = "<section class=\"cards\" id=\"headline\" aria-label=\"Headline\">";
  for (const auto& c : cards) {
    s += std::string("<div class=\"card card-") + c.key + "\" data-key=\"" + c.key + "\" data-value=\"" +
         (c.value ? HeadlineNumber(*c.value) : "null") + "\"><div class=\"num\">" + HtmlText(c.text) +
         "</div><div class=\"label\">" + c.label + "</div>";
    if (!c.hint.empty()) s += "<div class=\"hint\">" + HtmlText(c.hint) + "</div>";
    s += Delta(c, run_name) + "</div>";
  }
  return s + "</section>";
}

namespace {

// ---- charts ----

std::string Figure(const char* id, const std::string& heading, const std::string& svg, const std::string& table,
                   const std::string& note = "") {
  std::string s = std::string("<figure class=\"chart-card\" id=\"") + id + "\"><figcaption>" + HtmlText(heading) +
                  "</figcaption>" + svg;
  if (!note.empty()) s += "<p class=\"note\">" + note + "</p>";
  return s + "<details><summary>Data</summary>" + table + "</details></figure>";
}

std::string CountTable(const char* first, const std::vector<std::pair<std::string, int64_t>>& rows, int64_t total) {
  std::string s = std::string("<table class=\"sortable\"><thead><tr>") + Th(first) + Th("count", true) +
                  Th("share", true) + "</tr></thead><tbody>";
  for (const auto& [k, n] : rows) {
    s += "<tr><td>" + HtmlText(k, kValueText) + "</td>" + NumCell(double(n), Count(n)) +
         NumCell(total ? double(n) / double(total) : 0, Percent(n, total)) + "</tr>";
  }
  return s + "</tbody></table>";
}

std::string OutcomeChart(const ReportData& r) {
  int64_t total = r.headline.results;
  std::vector<svg::Bar> bars;
  std::vector<std::pair<std::string, int64_t>> rows;
  std::string summary = "Outcomes of " + Count(total) + " URLs:";
  for (const auto& c : r.by_class) {
    if (c.key == "error") continue;  // shown per error class below
    bars.push_back({c.key, double(c.count), Count(c.count) + " (" + Percent(c.count, total) + ")", ClassColor(c.key)});
    summary += " " + c.key + " " + Count(c.count) + ",";
  }
  for (const auto& e : r.by_error) {
    bars.push_back({e.key, double(e.count), Count(e.count) + " (" + Percent(e.count, total) + ")", kColorError});
    summary += " " + e.key + " " + Count(e.count) + ",";
  }
  summary.pop_back();
  for (const auto& c : r.by_status) rows.push_back({c.key == "none" ? "no response" : "HTTP " + c.key, c.count});
  for (const auto& e : r.by_error) rows.push_back({"error: " + e.key, e.count});
  return Figure("chart-outcomes", "Outcomes by status class and error class", svg::BarChart(summary, bars),
                CountTable("outcome", rows, total));
}

std::string PercentileNote(const storage::Percentiles& p, std::string (*format)(double)) {
  if (!p.p50) return "";
  return "p50 <b>" + format(*p.p50) + "</b> · p90 <b>" + format(*p.p90) + "</b> · p99 <b>" + format(*p.p99) + "</b>";
}

std::string BytesOf(double v) { return Bytes(v); }

// Axis labels for the response-time histogram: "0.4 ms", "250 ms", "1.5 s".
std::string MsTick(double ms) { return ms < 1000 ? svg::AxisNumber(ms) + " ms" : svg::AxisNumber(ms / 1000) + " s"; }

std::string BinTable(const std::vector<storage::Bin>& bins, const char* first, std::string (*format)(double)) {
  std::string s = std::string("<table><thead><tr><th scope=\"col\">") + first +
                  "</th><th scope=\"col\" class=\"num\">count</th></tr></thead><tbody>";
  for (const auto& b : bins) {
    std::string range = std::isinf(b.hi) ? "≥ " + format(b.lo) : format(b.lo) + " – " + format(b.hi);
    s += "<tr><td>" + range + "</td><td class=\"num\">" + Count(b.count) + "</td></tr>";
  }
  return s + "</tbody></table>";
}

// Where value v falls, in bucket units, for a mark.
double BucketPosition(const std::vector<storage::Bin>& bins, double v, bool log_scale) {
  for (size_t i = 0; i < bins.size(); ++i) {
    const auto& b = bins[i];
    if (v >= b.hi) continue;
    if (std::isinf(b.hi)) return double(i) + 0.5;
    double f = log_scale && b.lo > 0 ? std::log(v / b.lo) / std::log(b.hi / b.lo) : (v - b.lo) / (b.hi - b.lo);
    return double(i) + std::clamp(f, 0.0, 1.0);
  }
  return double(bins.size());
}

std::string DistributionChart(const char* id, const char* heading, const std::vector<storage::Bin>& bins,
                              const storage::Percentiles& p, std::string (*format)(double),
                              std::string (*tick)(double), bool log_scale, const char* x_label, const char* color) {
  svg::HistogramSpec spec;
  spec.color = color;
  spec.x_label = x_label;
  spec.y_label = "URLs";
  spec.title = std::string(heading) + ", " + std::to_string(bins.size()) + " bars";
  if (p.p50) spec.title += ": p50 " + format(*p.p50) + ", p90 " + format(*p.p90) + ", p99 " + format(*p.p99);
  for (const auto& b : bins) {
    std::string range = std::isinf(b.hi) ? "≥ " + format(b.lo) : format(b.lo) + " – " + format(b.hi);
    std::string label = b.lo == 0 ? "0" : tick(b.lo);
    // The open-ended last bar (everything beyond the axis) is paler: its width is not its range.
    spec.buckets.push_back({label, double(b.count), range + ": " + Count(b.count) + " URLs",
                            std::isinf(b.hi) && !log_scale ? "#adb5bd" : ""});
  }
  if (!bins.empty() && !std::isinf(bins.back().hi)) spec.end_label = tick(bins.back().hi);
  if (p.p50) {
    spec.marks = {{"p50 " + format(*p.p50), BucketPosition(bins, *p.p50, log_scale)},
                  {"p90 " + format(*p.p90), BucketPosition(bins, *p.p90, log_scale)},
                  {"p99 " + format(*p.p99), BucketPosition(bins, *p.p99, log_scale)}};
  }
  return Figure(id, heading, svg::Histogram(spec), BinTable(bins, x_label, format), PercentileNote(p, format));
}

std::string SeriesChart(const ReportData& r) {
  // The run's words (storage/run_queries.h), as the headline counts them: a 404 is broken, not ok.
  std::vector<double> ok, broken, other;
  double step = r.series_step_s;
  std::string table = "<table><thead><tr><th scope=\"col\">from (s)</th><th scope=\"col\" class=\"num\">results</th>"
                      "<th scope=\"col\" class=\"num\">ok</th><th scope=\"col\" class=\"num\">broken</th>"
                      "<th scope=\"col\" class=\"num\">blocked or skipped</th></tr></thead><tbody>";
  int64_t peak = 0;
  for (size_t i = 0; i < r.series.size(); ++i) {
    const auto& b = r.series[i];
    const int64_t rest = b.results - b.ok - b.broken;
    ok.push_back(double(b.ok) / step);
    broken.push_back(double(b.broken) / step);
    other.push_back(double(rest) / step);
    peak = std::max(peak, b.results);
    table += "<tr><td>" + Printf("%g", step * double(i)) + "</td><td class=\"num\">" + Count(b.results) +
             "</td><td class=\"num\">" + Count(b.ok) + "</td><td class=\"num\">" + Count(b.broken) +
             "</td><td class=\"num\">" + Count(rest) + "</td></tr>";
  }
  table += "</tbody></table>";
  std::string title = "Throughput over the run in " + Printf("%g", step) + " s steps, peak " +
                      Printf("%.1f", double(peak) / std::max(step, 1e-9)) + " URLs per second";
  return Figure("chart-throughput", "Throughput and broken links over time",
                svg::TimeSeries(title, step,
                                {{"ok", kColor2xx, ok}, {"broken", kColorError, broken},
                                 {"blocked or skipped", kColorOther, other}},
                                "URLs / s"),
                table);
}

std::string DepthChart(const ReportData& r) {
  std::vector<svg::Bar> bars;
  std::vector<std::pair<std::string, int64_t>> rows;
  std::string summary = "Pages by link depth:";
  for (const auto& d : r.by_depth) {
    bars.push_back({"depth " + d.key, double(d.count), Count(d.count), kColorDepth});
    rows.push_back({d.key, d.count});
    summary += " depth " + d.key + " " + Count(d.count) + ",";
  }
  summary.pop_back();
  return Figure("chart-depth", "Pages by depth", svg::BarChart(summary, bars),
                CountTable("depth", rows, r.headline.results));
}

}  // namespace

std::string Charts(const ReportData& r) {
  if (r.headline.results == 0) return "<p class=\"empty\">This run has no results yet: nothing to chart.</p>";
  std::string s = "<section class=\"charts\" aria-label=\"Charts\">";
  s += OutcomeChart(r);
  if (!r.time_hist.empty()) {
    s += DistributionChart("chart-time", "Response time", r.time_hist, r.time_ms, Ms, MsTick, false, "response time",
                           kColorTime);
  }
  if (!r.size_hist.empty()) {
    s += DistributionChart("chart-size", "Body size (log scale)", r.size_hist, r.size_bytes, BytesOf, BytesOf, true,
                           "decoded body size", kColorSize);
  }
  if (!r.series.empty()) s += SeriesChart(r);
  if (r.by_depth.size() > 1) s += DepthChart(r);
  return s + "</section>";
}

// ---- tables ----

std::string Section(const char* id, const std::string& heading, const std::string& body) {
  return std::string("<section class=\"block\" id=\"") + id + "\"><h2>" + heading + "</h2>" + body + "</section>";
}

namespace {

std::string Shown(size_t shown, int64_t total) {
  if (int64_t(shown) >= total) return "";
  return "<p class=\"note\">The first " + Count(int64_t(shown)) + " of " + Count(total) +
         " are listed; <code>greencrawl export</code> has every row.</p>";
}

}  // namespace

std::string TopTable(const std::vector<storage::TopPage>& rows, const char* value_label, bool bytes) {
  if (rows.empty()) return "<p class=\"empty\">None.</p>";
  std::string s = std::string("<table class=\"sortable\"><thead><tr>") + Th("URL") + Th("title") + Th("outcome") +
                  Th(value_label, true) + "</tr></thead><tbody>";
  for (const auto& p : rows) {
    s += "<tr>" + UrlCell(p.url) + "<td class=\"title\">" + HtmlText(p.title, kTitleText) + "</td><td>" +
         OutcomeBadge(p.outcome) + "</td>" + NumCell(p.value, bytes ? Bytes(p.value) : Ms(p.value)) + "</tr>";
  }
  return s + "</tbody></table>";
}

namespace {

std::string LinkTable(const std::vector<storage::BrokenLink>& rows, int64_t total, const char* none) {
  if (rows.empty()) return std::string("<p class=\"empty\">") + none + "</p>";
  std::string s = std::string("<table class=\"sortable\"><thead><tr>") + Th("URL") + Th("outcome") +
                  Th("linked from", true) + "</tr></thead><tbody>";
  for (const auto& b : rows) {
    s += "<tr>" + UrlCell(b.url) + "<td>" + OutcomeBadge(b.outcome) +
         (b.resource_kind ? " <span class=\"muted\">" + HtmlText(*b.resource_kind, kValueText) + "</span>" : "") +
         "</td><td class=\"num refs\" data-sort=\"" +
         std::to_string(b.referrer_count) + "\">";
    if (b.referrer_count == 0) {
      s += "<span class=\"muted\">" + HtmlText(Origin(b), kUrlText) + "</span>";
    } else {
      s += "<details><summary>" + Count(b.referrer_count) + (b.referrer_count == 1 ? " page" : " pages") +
           "</summary><ul>";
      for (const auto& from : b.referrers) {
        s += "<li>" + (IsWebUrl(from) ? "<a href=\"" + HtmlAttr(from, kUrlHref) + "\" rel=\"noopener noreferrer\">" +
                                            HtmlText(from, kUrlText) + "</a>"
                                      : HtmlText(from, kUrlText)) +
             "</li>";
      }
      if (b.referrer_count > int64_t(b.referrers.size())) {
        s += "<li class=\"muted\">and " + Count(b.referrer_count - int64_t(b.referrers.size())) + " more</li>";
      }
      s += "</ul></details>";
    }
    s += "</td></tr>";
  }
  return s + "</tbody></table>" + Shown(rows.size(), total);
}

}  // namespace

namespace {

// One table per source group; only the pages of a run that has nothing else: one table, no sub-heading.
std::string SectionTables(const std::vector<storage::LinkSection>& sections, const char* id, const char* none) {
  if (sections.empty()) return std::string("<p class=\"empty\">") + none + "</p>";
  const bool headings = !(sections.size() == 1 && sections[0].group == "page");
  std::string s;
  for (const auto& section : sections) {
    if (headings) {
      s += std::string("<h3 id=\"") + id + "-" + section.group + "\">" + HtmlText(GroupTitle(section.group)) +
           " <span class=\"muted\">" + Count(section.total) + "</span></h3>";
    }
    s += LinkTable(section.rows, section.total, none);
  }
  return s;
}

}  // namespace

std::string BrokenTable(const ReportData& r) { return SectionTables(r.broken, "broken", "No broken URLs."); }

std::string BlockedTable(const ReportData& r) {
  return SectionTables(r.blocked, "blocked", "No URL answered with a bot wall or challenge.");
}

std::string FragmentTable(const storage::FragmentReport& f) {
  std::string s = "<p>" + Count(f.broken_count) + " of " + Count(f.verified) + " checked; " +
                  Count(f.links - f.verified) + " on pages not fetched as 2xx HTML, not checked.</p>";
  if (f.broken.empty()) return s + "<p class=\"empty\">No broken fragments.</p>";
  s += std::string("<table class=\"sortable\"><thead><tr>") + Th("URL") + Th("fragment") + Th("linked from", true) +
       "</tr></thead><tbody>";
  for (const auto& b : f.broken) {
    s += "<tr>" + UrlCell(b.url + "#" + b.fragment) + "<td><code>" + HtmlText(b.fragment, kValueText) +
         "</code></td><td class=\"num refs\" data-sort=\"" + std::to_string(b.referrer_count) +
         "\"><details><summary>" + Count(b.referrer_count) + (b.referrer_count == 1 ? " page" : " pages") + "</summary><ul>";
    for (const auto& from : b.referrers) s += "<li>" + HtmlText(from, kUrlText) + "</li>";
    if (b.referrer_count > int64_t(b.referrers.size())) {
      s += "<li class=\"muted\">and " + Count(b.referrer_count - int64_t(b.referrers.size())) + " more</li>";
    }
    s += "</ul></details></td></tr>";
  }
  return s + "</tbody></table>" + Shown(f.broken.size(), f.broken_count);
}

std::string RedirectTable(const ReportData& r) {
  if (r.redirects.empty()) return "<p class=\"empty\">No redirects.</p>";
  std::string s = std::string("<table class=\"sortable\"><thead><tr>") + Th("URL") + Th("final URL") +
                  Th("hops", true) + Th("outcome") + "</tr></thead><tbody>";
  for (const auto& d : r.redirects) {
    s += "<tr>" + UrlCell(d.url) + UrlCell(d.final_url) + NumCell(double(d.redirects), Count(d.redirects)) + "<td>" +
         OutcomeBadge(d.outcome) + "</td></tr>";
  }
  return s + "</tbody></table>" + Shown(r.redirects.size(), r.redirect_total);
}

namespace {

std::string ChangeValue(const storage::Change& c, const std::string& v) {
  if (c.kind == "status") return OutcomeBadge(v);
  if (c.kind == "size" && !v.empty()) return Bytes(std::strtod(v.c_str(), nullptr));
  if (c.kind == "content") return "<code>" + HtmlText(v, 32) + "</code>";
  if (c.kind == "redirect") return v.empty() ? "<span class=\"muted\">no redirect</span>" : HtmlText(v, kUrlText);
  return HtmlText(v, kTitleText);
}

}  // namespace

std::string ChangesBlock(const ReportData& r) {
  if (!r.headline.previous_run) {
    return "<p class=\"empty\">No earlier completed run of this list to compare with: this is the first.</p>";
  }
  std::string prev = std::to_string(*r.headline.previous_run);
  int64_t total = 0;
  for (const auto& [k, n] : r.change_counts) total += n;
  std::string s = "<p class=\"chips\">";
  for (const char* kind : {"added", "removed", "status", "redirect", "size", "title", "content"}) {
    auto it = r.change_counts.find(kind);
    int64_t n = it == r.change_counts.end() ? 0 : it->second;
    s += std::string("<span class=\"chip chip-") + kind + "\" data-kind=\"" + kind + "\" data-count=\"" +
         std::to_string(n) + "\">" + kind + " <b>" + Count(n) + "</b></span>";
  }
  s += "</p>";
  if (total == 0) return s + "<p class=\"empty\">Nothing changed since run " + prev + ".</p>";
  s += std::string("<table class=\"sortable\"><thead><tr>") + Th("change") + Th("URL") + Th("before (run " + prev + ")") +
       Th("after (run " + std::to_string(r.headline.run_id) + ")") + "</tr></thead><tbody>";
  for (const auto& c : r.changes) {
    s += "<tr><td><span class=\"chip chip-" + c.kind + "\">" + c.kind + "</span></td>" + UrlCell(c.url) + "<td>" +
         ChangeValue(c, c.before) + "</td><td>" + ChangeValue(c, c.after) + "</td></tr>";
  }
  s += "</tbody></table>";
  if (int64_t(r.changes.size()) < total) {
    s += "<p class=\"note\">" + Count(int64_t(r.changes.size())) + " of " + Count(total) +
         " changes listed; <code>greencrawl diff " + prev + " " + std::to_string(r.headline.run_id) +
         "</code> has them all.</p>";
  }
  return s;
}

}  // namespace gc::report
