#include "app/crawl_summary.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "app/progress.h"
#include "storage/redact.h"
#include "text/json.h"

namespace gc {

void PrintSummary(const CrawlOptions& o, const storage::RunSummary& run, const storage::Breakdown& b, double wall_s,
                  int64_t fetched, const SummaryExtras& x, std::ostream& out, std::ostream& err) {
  double rate = wall_s > 0 ? double(fetched) / wall_s : 0;
  if (o.json) {
    auto counts = [](JsonWriter& w, const std::vector<storage::CountRow>& rows) {
      w.BeginObject();
      for (const auto& c : rows) w.Key(c.key).Int(c.count);
      w.EndObject();
    };
    JsonWriter w;
    w.BeginObject().Key("run_id").Int(run.id).Key("status").String(run.status).Key("results").Int(run.results);
    w.Key("responses").Int(run.responses).Key("ok").Int(run.ok).Key("errors").Int(run.errors);
    w.Key("broken").Int(run.broken).Key("blocked").Int(run.blocked);
    counts(w.Key("by_status"), b.by_status);
    counts(w.Key("by_error"), b.by_error);
    w.Key("fetched").Int(fetched).Key("wall_s").Number(wall_s).Key("pages_per_s").Number(rate);
    w.Key("unchanged").Int(x.unchanged).Key("retried").Int(x.retried).Key("previous_run").OptInt(x.previous_run);
    w.Key("changed").OptInt(x.changed).Key("db").String(storage::RedactPassword(o.db)).EndObject();
    out << w.str() << "\n";
    return;
  }
  if (o.quiet) return;
  // The database as it may be shown: a password in a PostgreSQL URI would reach logs and shell history.
  const std::string shown_db = storage::RedactPassword(o.db);
  // The first line stands alone, for logs: run, outcome, counts, time.
  char line[320];
  std::snprintf(line, sizeof line,
                "greencrawl: run %lld %s: %lld results: %lld ok, %lld broken, %s%s%lld errors; "
                "%lld fetched in %.2f s (%.0f/s)%s\n",
                static_cast<long long>(run.id), run.status.c_str(), static_cast<long long>(run.results),
                static_cast<long long>(run.ok), static_cast<long long>(run.broken),
                run.blocked ? (std::to_string(run.blocked) + " blocked, ").c_str() : "",
                run.skipped ? (std::to_string(run.skipped) + " skipped, ").c_str() : "",
                static_cast<long long>(run.errors), static_cast<long long>(fetched), wall_s, rate,
                x.changed ? (", " + std::to_string(*x.changed) + " changed").c_str() : "");
  // " (200: 7, 404: 1)" after a total; nothing for an empty breakdown.
  auto breakdown = [&err](const std::vector<storage::CountRow>& counts) {
    const char* sep = " (";
    for (const auto& c : counts) {
      if (c.key == "none") continue;  // no response: not a status
      err << sep << c.key << ": " << c.count;
      sep = ", ";
    }
    if (*sep == ',') err << ")";
  };
  err << WrapForTerminal(line, &err == &std::cerr && isatty(STDERR_FILENO) ? TerminalWidth(STDERR_FILENO) : 0)
      << "  responses " << run.responses;
  breakdown(b.by_status);
  err << ", errors " << run.errors;
  breakdown(b.by_error);
  err << "\n";
  if (x.unchanged || x.retried) err << "  unchanged (304) " << x.unchanged << ", retried " << x.retried << "\n";
  if (x.changed) {
    err << "  changed since run " << *x.previous_run << ": " << *x.changed << (*x.changed == 1 ? " URL" : " URLs")
        << "   (greencrawl diff --db " << shown_db
        << " " << *x.previous_run << " " << run.id << ")\n";
  }
  err << "  database: " << shown_db << "   (greencrawl report --db " << shown_db << " --run " << run.id << ")\n";
}

}  // namespace gc
