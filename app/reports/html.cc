#include "app/reports/html.h"

#include <iostream>
#include <sstream>
#include <stdexcept>

#include "app/crawl.h"
#include "app/inspect_commands.h"
#include "app/output_file.h"
#include "app/reports/format.h"
#include "app/reports/html_history.h"
#include "app/reports/html_sections.h"
#include "app/reports/sitemap.h"
#include "storage/redact.h"
#include "storage/result_store.h"
#include "text/escape.h"
#include "text/json.h"
#include "version.h"

namespace gc {
namespace {

// Sorting for table.sortable: click (or Enter on) a header. The page's Content-Security-Policy allows
// exactly this script by its hash, so nothing else can run even if escaping ever failed; the browser
// test checks the hash (tests/report_html_browser_test.py).
constexpr const char kScript[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th){"
    "th.tabIndex=0;th.title='Sort';"
    "th.addEventListener('click',function(){sortBy(th)});"
    "th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sortBy(th)}})});"
    "function sortBy(th){"
    "var body=th.closest('table').tBodies[0],cells=th.parentNode.children,"
    "i=Array.prototype.indexOf.call(cells,th),num=th.dataset.type==='num',"
    "dir=th.getAttribute('aria-sort')==='ascending'?-1:1;"
    "Array.prototype.forEach.call(cells,function(h){h.removeAttribute('aria-sort')});"
    "th.setAttribute('aria-sort',dir>0?'ascending':'descending');"
    "function key(c){var v=c.dataset.sort!==undefined?c.dataset.sort:c.textContent;"
    "return num?(parseFloat(v)||0):v.toLowerCase()}"
    "var rows=Array.prototype.slice.call(body.rows);"
    "rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);return (x<y?-1:x>y?1:0)*dir});"
    "rows.forEach(function(r){body.appendChild(r)})}";
// base64(SHA-256(kScript)), for the CSP. Change both together; the browser test fails otherwise.
constexpr const char kScriptHash[] = "sha256-/6hTzuGD13SC789I4xbo4sGMe9RyJPTKpvBGLx+eEHc=";

constexpr const char kStyle[] = R"css(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f5f6f8;--card:#fff;--good:#2f9e44;--bad:#c92a2a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 20px 40px}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 14px;margin-bottom:4px}
header.top .brand{font-weight:600;color:var(--muted);letter-spacing:.02em}
h1{font-size:26px;margin:0;font-weight:650}
h1 .list{font-weight:400;color:var(--muted);word-break:break-all}
.status{display:inline-block;padding:2px 10px;border-radius:999px;font-size:13px;font-weight:600;vertical-align:middle}
.status-completed{background:#d3f9d8;color:#1b5e20}.status-interrupted{background:#fff3bf;color:#7c5700}
.status-running,.status-failed,.status-killed,.status-abandoned{background:#ffe3e3;color:#a51111}
p.meta{margin:2px 0 18px;color:var(--muted)}
nav.toc{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 18px}
nav.toc a{padding:3px 10px;border-radius:6px;background:#e9ecef;color:var(--ink);text-decoration:none;font-size:13px}
nav.toc a:hover{background:#dee2e6}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin-bottom:22px}
@media (min-width:900px){.cards{grid-template-columns:repeat(5,1fr)}}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .num{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .hint{color:var(--muted);font-size:12px}
.card-errors .num,.card-broken .num{color:var(--bad)}.card-ok .num{color:var(--good)}
.delta{font-size:12px;margin-top:4px}.delta.worse{color:var(--bad)}.delta.better{color:var(--good)}
.delta.same{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px;margin-bottom:22px;align-items:start}
figure.chart-card,section.block{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:0;padding:14px 16px}
figcaption,section.block h2{font-size:16px;font-weight:650;margin:0 0 8px}
svg.chart{display:block;width:100%;height:auto}
details summary{cursor:pointer;color:var(--muted);font-size:13px}
section.block{margin-bottom:16px;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:6px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f8f9fa;font-weight:600;white-space:nowrap;position:sticky;top:0}
table.sortable th{cursor:pointer}table.sortable th:hover{background:#eef0f2}
th[aria-sort=ascending]::after{content:" \25B2";font-size:10px}th[aria-sort=descending]::after{content:" \25BC";font-size:10px}
tbody tr:nth-child(even){background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.url{max-width:460px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
td.url a{color:#1c64c4;text-decoration:none}td.url a:hover{text-decoration:underline}
td.title{max-width:320px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:#495057}
td.refs{text-align:left}td.refs ul{margin:4px 0 0;padding-left:18px;text-align:left;white-space:normal;word-break:break-all}
.o{display:inline-block;padding:0 7px;border-radius:5px;font-size:12px;font-weight:600;color:#fff;background:#868e96}
.o-2xx{background:#2f9e44}.o-3xx{background:#1c7ed6}.o-4xx{background:#f08c00}.o-5xx{background:#e8590c}
.o-error{background:#c92a2a}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:0}
.chip{display:inline-block;padding:1px 9px;border-radius:999px;background:#e9ecef;font-size:12px}
.chip-added{background:#d3f9d8}.chip-removed{background:#ffe3e3}.chip-status{background:#fff3bf}
.chip-size{background:#e7f5ff}.chip-title{background:#f3f0ff}.chip-redirect{background:#fff4e6}.chip-content{background:#e6fcf5}
.note,.empty,.muted{color:var(--muted)}p.note{margin:6px 0 0;font-size:13px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f5;padding:1px 4px;border-radius:4px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
@media print{body{background:#fff}.card,figure.chart-card,section.block{break-inside:avoid}}
)css";

std::string StatusBadge(const std::string& status) {
  // A run still marked running after its process died was killed; `report` cannot tell the two apart
  // without the run lock, so it says both.
  std::string text = status == "running" ? "running or killed" : status;
  return "<span class=\"status status-" + HtmlAttr(status, 40) + "\">" + HtmlText(text, 40) + "</span>";
}

std::string Page(const storage::ReportData& r, const std::string& db_label, const std::string& generated_at) {
  using namespace report;
  const auto& h = r.headline;
  std::string run = std::to_string(h.run_id);
  std::string list = h.list_file.empty() ? "(no list)" : h.list_file;
  std::string s;
  s.reserve(256 * 1024);
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No fetch of any kind: the page must work offline and never call home when opened.
  s += std::string("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "style-src 'unsafe-inline'; script-src '") + kScriptHash + "'; base-uri 'none'; form-action 'none'\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<meta name=\"generator\" content=\"greencrawl " GREENCRAWL_VERSION "\">\n";
  s += "<title>greencrawl run " + run + " · " + HtmlText(list, 200) + "</title>\n<style>" + kStyle + "</style>\n";
  s += "</head>\n<body>\n<main>\n";
  s += "<header class=\"top\"><span class=\"brand\">greencrawl report</span><h1>Run " + run +
       " <span class=\"list\">" + HtmlText(list, 200) + "</span></h1>" + StatusBadge(h.status) + "</header>\n";
  s += "<p class=\"meta\">Started " + HtmlText(h.started_at, 40);
  if (h.finished_at) s += " · finished " + HtmlText(*h.finished_at, 40);
  s += " · greencrawl " + HtmlText(h.version, 40);
  if (h.previous_run) s += " · compared with run " + std::to_string(*h.previous_run) + ", the previous completed run of this list";
  s += "</p>\n";
  s += "<nav class=\"toc\" aria-label=\"Sections\"><a href=\"#headline\">Headline</a><a href=\"#charts\">Charts</a>"
       "<a href=\"#broken\">Broken</a><a href=\"#blocked\">Blocked</a>" +
       std::string(r.fragments.checked ? "<a href=\"#fragments\">Fragments</a>" : "") + "<a href=\"#changes\">Changes</a><a href=\"#history\">Flaky</a><a href=\"#slowest\">Slowest</a>"
       "<a href=\"#largest\">Largest</a><a href=\"#redirects\">Redirects</a>" +
       // Only when the section is there: a link to nothing would be a dead end.
       std::string(r.sitemaps.read ? "<a href=\"#sitemaps\">Sitemaps</a>" : "") + "</nav>\n";
  s += HeadlineCards(r) + "\n";
  s += "<div id=\"charts\">" + Charts(r) + "</div>\n";
  s += Section("broken", "Broken links <span class=\"muted\">" + Count(h.broken) + "</span>", BrokenTable(r)) + "\n";
  s += Section("blocked", "Blocked <span class=\"muted\">" + Count(h.blocked) + "</span>", BlockedTable(r)) + "\n";
  if (r.fragments.checked) {
    s += Section("fragments", "Broken fragments <span class=\"muted\">" + Count(r.fragments.broken_count) + "</span>",
                 FragmentTable(r.fragments)) + "\n";
  }
  std::string changes_heading = "What changed";
  if (h.previous_run) changes_heading += " <span class=\"muted\">since run " + std::to_string(*h.previous_run) + "</span>";
  s += Section("changes", changes_heading, ChangesBlock(r)) + "\n";
  s += Section("history", "Flaky links <span class=\"muted\">" + std::to_string(r.history.runs.size()) +
                              " run(s) of this list</span>", HistoryBlock(r.history)) + "\n";
  s += Section("slowest", "Slowest", TopTable(r.slowest, "time", false)) + "\n";
  s += Section("largest", "Largest", TopTable(r.largest, "size", true)) + "\n";
  s += Section("redirects", "Redirects <span class=\"muted\">" + Count(r.redirect_total) + "</span>", RedirectTable(r)) +
       "\n";
  if (r.sitemaps.read) s += Section("sitemaps", "Sitemaps", report::SitemapHtml(r.sitemaps)) + "\n";
  s += "<footer>Generated " + HtmlText(generated_at, 40) + " by greencrawl " GREENCRAWL_VERSION " from " +
       HtmlText(db_label, 300) + ". The same headline: <code>greencrawl report --db " + HtmlText(db_label, 300) +
       " --run " + run + " --json</code>; every row: <code>greencrawl export --run " + run + "</code>.</footer>\n";
  s += "</main>\n<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return s;
}

}  // namespace

std::string RenderReportHtml(const storage::ReportData& data, const std::string& db_label,
                             const std::string& generated_at) {
  return Page(data, db_label, generated_at);
}

int WriteReportHtml(const std::string& db, std::optional<int64_t> run, const std::string& output, std::ostream& out,
                    std::ostream& note, const std::optional<storage::AcceptSet>& accept) {
  storage::Inspector in(db);
  in.OverrideAccept(accept);
  storage::ReportData data = LoadShownReport(in, db, in.ResolveRun(run), storage::ReportLimits());
  std::string page = RenderReportHtml(data, storage::RedactPassword(db), storage::UtcNow());
  auto write = [&](std::ostream& sink) { sink << page; };
  if (output == "-") {
    WriteOutput(output, out, write);
    return kExitOk;
  }
  std::string id = std::to_string(data.headline.run_id);
  std::string path = output.empty() ? "report-run-" + id + ".html" : output;
  for (size_t at; (at = path.find("{run}")) != std::string::npos;) path.replace(at, 5, id);
  WriteOutput(path, out, write);
  note << "greencrawl: report of run " << id << " written to " << path << " (" << report::Bytes(double(page.size()))
       << ")\n";
  return kExitOk;
}

bool WriteCrawlReport(const std::string& db, int64_t run_id, const std::string& output, bool quiet, std::ostream& err) {
  std::ostringstream note;
  try {
    WriteReportHtml(db, run_id, output, std::cout, note);
  } catch (const std::exception& e) {
    err << "greencrawl: the HTML report was not written: " << e.what() << "\n";
    return false;
  }
  if (!quiet) err << note.str();
  return true;
}

std::string HeadlineJson(const storage::Headline& h) {
  using report::HeadlineNumber;
  JsonWriter w;
  auto opt = [&](const std::optional<double>& v) {
    if (v) {
      w.Raw(HeadlineNumber(*v));
    } else {
      w.Null();
    }
  };
  w.BeginObject().Key("run_id").Int(h.run_id).Key("list_file").String(h.list_file).Key("status").String(h.status);
  w.Key("started_at").String(h.started_at).Key("finished_at").OptString(h.finished_at);
  w.Key("results").Int(h.results).Key("ok").Int(h.ok).Key("errors").Int(h.errors).Key("broken").Int(h.broken);
  w.Key("blocked").Int(h.blocked).Key("accept").String(h.accept);
  w.Key("duration_s");
  opt(h.duration_s);
  w.Key("rate_per_s");
  opt(h.rate_per_s);
  w.Key("wire_bytes").Int(h.wire_bytes).Key("unchanged").Int(h.unchanged).Key("retried").Int(h.retried);
  w.Key("redirected").Int(h.redirected).Key("skipped").Int(h.skipped).Key("previous_run").OptInt(h.previous_run);
  w.EndObject();
  return w.Take();
}

}  // namespace gc
