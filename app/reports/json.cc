#include "app/reports/json.h"

#include "app/reports/fragments.h"
#include "app/reports/history.h"
#include "app/reports/html.h"
#include "app/reports/sitemap.h"
#include "text/json.h"

namespace gc {
namespace {

void Counts(JsonWriter& w, const std::vector<storage::CountRow>& rows) {
  w.BeginObject();
  for (const auto& row : rows) w.Key(row.key).Int(row.count);
  w.EndObject();
}

void Pages(JsonWriter& w, const std::vector<storage::TopPage>& rows) {
  w.BeginArray();
  for (const auto& row : rows) w.BeginObject().Key("url").String(row.url).Key("value").Fixed(row.value, 1).EndObject();
  w.EndArray();
}

void Percentiles(JsonWriter& w, const storage::Percentiles& p) {
  w.BeginObject().Key("p50").OptFixed(p.p50, 1).Key("p90").OptFixed(p.p90, 1).Key("p99").OptFixed(p.p99, 1).EndObject();
}

// Every row of every section, in section order (pages, external, sitemap, resource), each most severe first.
void Links(JsonWriter& w, const std::vector<storage::LinkSection>& sections) {
  w.BeginArray();
  for (const auto& section : sections) {
    for (const auto& b : section.rows) {
      w.BeginObject().Key("url").String(b.url).Key("status").OptInt(b.typed.status);
      w.Key("error").OptString(b.typed.error).Key("error_message").OptString(b.error_message);
      w.Key("list_line").OptInt(b.list_line).Key("referrer_count").Int(b.referrer_count);
      w.Key("referrers").BeginArray();
      for (const auto& referrer : b.referrers) w.String(referrer);
      w.EndArray();
      w.Key("source_kind").OptString(b.source_kind).Key("source").OptString(b.source).Key("group").String(b.group);
      w.Key("resource_kind").OptString(b.resource_kind).EndObject();
    }
  }
  w.EndArray();
}

// {"page":3,"external":1}: each section's full count.
void GroupCounts(JsonWriter& w, const std::vector<storage::LinkSection>& sections) {
  w.BeginObject();
  for (const auto& section : sections) w.Key(section.group).Int(section.total);
  w.EndObject();
}

void Redirects(JsonWriter& w, const storage::ReportData& r) {
  w.BeginArray();
  for (const auto& d : r.redirects) {
    w.BeginObject().Key("url").String(d.url).Key("final_url").String(d.final_url);
    w.Key("redirects").Int(d.redirects).Key("outcome").String(d.outcome).EndObject();
  }
  w.EndArray();
}

void Changes(JsonWriter& w, const storage::ReportData& r) {
  if (!r.headline.previous_run) {
    w.Null();
    return;
  }
  w.BeginObject().Key("compared_with").Int(*r.headline.previous_run).Key("changed_urls").Int(r.changed_urls);
  w.Key("by_kind").BeginObject();
  for (const char* kind : {"added", "removed", "status", "redirect", "size", "title", "content"}) {
    auto it = r.change_counts.find(kind);
    w.Key(kind).Int(it == r.change_counts.end() ? 0 : it->second);
  }
  w.EndObject().EndObject();
}

}  // namespace

std::string RunJson(const storage::RunSummary& r) {
  JsonWriter w;
  w.BeginObject().Key("id").Int(r.id).Key("started_at").String(r.started_at);
  w.Key("finished_at").OptString(r.finished_at).Key("status").String(r.status).Key("list_file").String(r.list_file);
  w.Key("version").String(r.version).Key("results").Int(r.results).Key("responses").Int(r.responses);
  w.Key("ok").Int(r.ok).Key("broken").Int(r.broken).Key("blocked").Int(r.blocked);
  w.Key("accept").String(r.accept).Key("errors").Int(r.errors);
  w.Key("duration_s").OptFixed(r.duration_s, 3);  // ms: a short run is not 0
  w.Key("skipped").Int(r.skipped).EndObject();
  return w.Take();
}

std::string ReportJson(const storage::ReportData& r) {
  JsonWriter w;
  w.BeginObject().Key("run").Raw(RunJson(r.run)).Key("headline").Raw(HeadlineJson(r.headline));
  Counts(w.Key("by_status"), r.by_status);
  Counts(w.Key("by_error"), r.by_error);
  Percentiles(w.Key("size_bytes"), r.size_bytes);
  Percentiles(w.Key("time_ms"), r.time_ms);
  Pages(w.Key("slowest_ms"), r.slowest);
  Pages(w.Key("largest_bytes"), r.largest);
  w.Key("redirected").Int(r.redirect_total).Key("broken_count").Int(r.run.broken);
  Links(w.Key("broken"), r.broken);
  w.Key("blocked_count").Int(r.run.blocked);
  Links(w.Key("blocked"), r.blocked);
  w.Key("sitemaps").Raw(report::SitemapJson(r.sitemaps)).Key("history").Raw(HistoryJson(r.history));
  w.Key("fragments").Raw(FragmentsJson(r.fragments)).Key("skipped_count").Int(r.run.skipped);
  GroupCounts(w.Key("broken_by_group"), r.broken);
  GroupCounts(w.Key("blocked_by_group"), r.blocked);
  Redirects(w.Key("redirects"), r);
  Changes(w.Key("changes"), r);
  w.EndObject();
  return w.Take() + "\n";
}

}  // namespace gc
