// Output of `greencrawl runs | report | export | diff`: human tables, or JSON for scripts.
#include "app/inspect_commands.h"

#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/crawl.h"
#include "app/output_file.h"
#include "app/reports/format.h"
#include "app/reports/history.h"
#include "app/reports/html.h"
#include "app/reports/json.h"
#include "app/reports/junit.h"
#include "app/reports/markdown.h"
#include "app/reports/text.h"
#include "app/run_lock.h"
#include "storage/history.h"
#include "storage/inspect.h"
#include "storage/schema.h"
#include "storage/redact.h"
#include "storage/result_store.h"
#include "text/escape.h"
#include "text/json.h"

namespace gc {
namespace {

using report::Fixed;

std::string OptInt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "null"; }

// {"status":404,"error":null}: numbers and nulls, not "404" or "error:dns".
void OutcomeJson(JsonWriter& w, const storage::Outcome& o) {
  w.BeginObject().Key("status").OptInt(o.status).Key("error").OptString(o.error).EndObject();
}

// {"hash":"...","size":1020}: a content change's side.
void ContentJson(JsonWriter& w, const std::string& hash, const std::optional<int64_t>& size) {
  w.BeginObject().Key("hash").String(hash).Key("size").OptInt(size).EndObject();
}

// "1020 -> 5020 bytes (+392%)"
std::string SizeChange(const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
  if (!a || !b) return OptInt(a) + " -> " + OptInt(b) + " bytes";
  std::string out = std::to_string(*a) + " -> " + std::to_string(*b) + " bytes";
  if (*a > 0) {
    double pct = 100.0 * double(*b - *a) / double(*a);
    out += " (" + std::string(pct >= 0 ? "+" : "") + Fixed(pct, 0) + "%)";
  }
  return out;
}

// The status to show: a run still marked `running` whose process no longer holds the database's lock
// was killed (SIGKILL, power loss); the database keeps `running` until --resume continues it. An
// unfinished run older than a completed run of its list is `abandoned`, whatever it was.
std::string ShownStatus(const storage::RunSummary& r, const std::optional<int64_t>& lock_holder) {
  if (r.superseded_by) return "abandoned";  // a later run of its list completed: --resume leaves it
  if (r.status != "running") return r.status;
  bool alive = lock_holder && (*lock_holder < 0 || (r.pid && *r.pid == *lock_holder));
  return alive ? "running" : "killed";
}

}  // namespace

int ShowRuns(const std::string& db, bool json, std::ostream& out) {
  storage::Inspector in(db);
  auto runs = in.Runs();
  auto holder = RunLock::Holder(db);
  for (auto& r : runs) r.status = ShownStatus(r, holder);
  if (json) {
    out << "[";
    for (size_t i = 0; i < runs.size(); ++i) out << (i ? "," : "") << RunJson(runs[i]);
    out << "]\n";
    return kExitOk;
  }
  out << std::left << std::setw(5) << "id" << std::setw(25) << "started (UTC)" << std::setw(12) << "status"
      << std::right << std::setw(9) << "results" << std::setw(9) << "ok" << std::setw(8) << "broken" << std::setw(8)
      << "errors"
      << std::setw(11) << "duration" << "  list\n";
  for (const auto& r : runs) {
    out << std::left << std::setw(5) << r.id << std::setw(25) << r.started_at << std::setw(12) << r.status
        << std::right << std::setw(9) << r.results << std::setw(9) << r.ok << std::setw(8) << r.broken
        << std::setw(8) << r.errors
        << std::setw(11) << (r.duration_s ? Fixed(*r.duration_s, 1) + " s" : "-") << "  " << r.list_file << "\n";
  }
  if (runs.empty()) out << "(no runs)\n";
  return kExitOk;
}

storage::ReportData LoadShownReport(storage::Inspector& in, const std::string& db, int64_t run_id,
                                    const storage::ReportLimits& limits) {
  storage::ReportData r = in.LoadReport(run_id, limits);
  r.run.status = ShownStatus(r.run, RunLock::Holder(db));
  r.headline.status = r.run.status;  // one status for every view of the run
  return r;
}

storage::ReportLimits TextLimits(size_t top, bool all) {
  storage::ReportLimits limits;
  limits.top = top;
  limits.broken = all ? size_t(storage::kNoLimit) : storage::kBrokenListed;
  limits.referrers = all ? size_t(storage::kNoLimit) : storage::kReferrersListed;
  limits.fragments = limits.broken;
  return limits;
}

int ShowReport(const std::string& db, std::optional<int64_t> run, size_t top, bool all, bool json,
               std::ostream& out, const std::optional<storage::AcceptSet>& accept) {
  storage::Inspector in(db);
  in.OverrideAccept(accept);
  storage::ReportData r = LoadShownReport(in, db, in.ResolveRun(run), TextLimits(top, all));
  if (json) {
    out << ReportJson(r);
  } else {
    WriteReportText(r, all, out);
  }
  return kExitOk;
}

namespace {

// report --format junit|markdown: both stream from the Inspector their model was read with.
int WriteReportAs(const ReportRequest& request, std::ostream& out) {
  const bool junit = request.format == ReportFormat::kJunit;
  storage::Inspector in(request.db);
  in.OverrideAccept(request.accept);
  int64_t run_id = in.ResolveRun(request.run);
  storage::ReportData r = LoadShownReport(in, request.db, run_id, junit ? JunitLimits() : MarkdownLimits());
  WriteOutput(request.output, out, [&](std::ostream& sink) {
    if (junit) {
      WriteJunit(r, in, sink);
    } else {
      WriteMarkdown(r, storage::RedactPassword(request.db), sink);
    }
  });
  return kExitOk;
}

}  // namespace

int WriteReport(const ReportRequest& request, std::ostream& out, std::ostream& err) {
  switch (request.format) {
    case ReportFormat::kHtml:
      return WriteReportHtml(request.db, request.run, request.output, out, err, request.accept);
    case ReportFormat::kJunit:
    case ReportFormat::kMarkdown:
      return WriteReportAs(request, out);
    case ReportFormat::kText:
    case ReportFormat::kJson:
      break;
  }
  int code = kExitOk;
  WriteOutput(request.output, out, [&](std::ostream& sink) {
    code = ShowReport(request.db, request.run, request.top, request.all, request.format == ReportFormat::kJson, sink,
                      request.accept);
  });
  return code;
}

int ExportResults(const std::string& db, std::optional<int64_t> run, const std::string& format,
                  const std::string& output, std::ostream& out) {
  if (format != "csv" && format != "jsonl") throw std::invalid_argument("--format must be csv or jsonl");
  storage::Inspector in(db);
  int64_t run_id = in.ResolveRun(run);
  // To a file: written beside it and renamed at the end, so a failure never leaves a partial file.
  WriteOutput(output, out, [&](std::ostream& sink) {
    std::vector<std::string> names;
    in.ExportRows(
        run_id,
        [&](const std::vector<std::string>& header) {
          names = header;
          if (format == "csv") {
            for (size_t i = 0; i < header.size(); ++i) sink << (i ? "," : "") << header[i];
            sink << "\r\n";
          }
        },
        [&](const std::vector<storage::Inspector::Value>& values) {
          if (format == "csv") {
            for (size_t i = 0; i < values.size(); ++i) sink << (i ? "," : "") << CsvField(values[i].text.value_or(""));
            sink << "\r\n";
          } else {
            JsonWriter w;
            w.BeginObject();
            for (size_t i = 0; i < values.size(); ++i) {
              const auto& v = values[i];
              w.Key(names[i]);
              if (!v.text) {
                w.Null();
              } else if (v.number) {
                w.Raw(*v.text);  // as SQLite printed it
              } else {
                w.String(*v.text);
              }
            }
            sink << w.EndObject().str() << "\n";
          }
        });
  });
  return kExitOk;
}

int ShowDiff(const std::string& db, std::optional<int64_t> a, std::optional<int64_t> b, double size_threshold_pct,
             bool json, std::ostream& out, std::ostream& err) {
  storage::Inspector in(db);
  int64_t run_a, run_b;
  if (a && b) {
    // Both must exist before anything is printed: `diff 1 99` says only that there is no run 99.
    run_a = in.ResolveRun(a);
    run_b = in.ResolveRun(b);
    // Runs of two lists differ by their lists: every URL of one is "added" or "removed". Allowed (a list
    // moved to a new path), but said, on stderr so that --json stays one document.
    std::string list_a = in.Summary(run_a).list_file, list_b = in.Summary(run_b).list_file;
    if (list_a != list_b) {
      err << "greencrawl: warning: run " << run_a << " and run " << run_b << " are of different lists ("
          << TerminalText(list_a.empty() ? "?" : list_a) << ", " << TerminalText(list_b.empty() ? "?" : list_b)
          << "): URLs only one of them lists show as added or removed\n";
    }
  } else {
    std::tie(run_a, run_b) = in.DefaultDiffRuns();
  }
  size_t n = 0, urls = 0;
  std::string last_url;
  // Streamed: the frame by hand, each change a JsonWriter object, so a large diff is never held whole.
  if (json) out << "{\"run_a\":" << run_a << ",\"run_b\":" << run_b << ",\"changes\":[";
  if (!json) out << "Changes from run " << run_a << " to run " << run_b << ":\n";
  in.Diff(run_a, run_b, size_threshold_pct, [&](const storage::Change& c) {
    if (n == 0 || c.url != last_url) ++urls;
    last_url = c.url;
    if (json) {
      // Typed values: outcomes as {"status","error"}, sizes as numbers, content as hash and size.
      JsonWriter w;
      w.BeginObject().Key("url").String(c.url).Key("kind").String(c.kind).Key("before");
      auto both = [&](auto&& side) {
        side(true);
        w.Key("after");
        side(false);
      };
      if (c.kind == "status") {
        both([&](bool before) { OutcomeJson(w, before ? c.before_outcome : c.after_outcome); });
      } else if (c.kind == "size") {
        both([&](bool before) { w.OptInt(before ? c.before_size : c.after_size); });
      } else if (c.kind == "title") {
        both([&](bool before) { w.String(before ? c.before : c.after); });
      } else if (c.kind == "redirect") {
        // The target URL, or null when the URL answered without redirecting.
        both([&](bool before) {
          const std::string& v = before ? c.before : c.after;
          if (v.empty()) {
            w.Null();
          } else {
            w.String(v);
          }
        });
      } else if (c.kind == "content") {
        both([&](bool before) { ContentJson(w, before ? c.before : c.after, before ? c.before_size : c.after_size); });
      } else {
        both([&](bool) { w.Null(); });
      }
      out << (n ? "," : "") << w.EndObject().str();
    } else {
      char mark = c.kind == "added" ? '+' : c.kind == "removed" ? '-' : '~';
      out << mark << " " << std::left << std::setw(8) << c.kind << " " << c.url;
      if (c.kind == "title") {
        out << "  " << TerminalText(JsonString(c.before)) << " -> " << TerminalText(JsonString(c.after));
      } else if (c.kind == "content") {
        out << "  " << SizeChange(c.before_size, c.after_size) << ", hash " << c.before << " -> " << c.after;
      } else if (c.kind == "size") {
        out << "  " << SizeChange(c.before_size, c.after_size);
      } else if (c.kind == "redirect") {
        auto shown = [](const std::string& v) { return v.empty() ? std::string("(no redirect)") : TerminalText(v); };
        out << "  " << shown(c.before) << " -> " << shown(c.after);
      } else if (!c.before.empty() || !c.after.empty()) {
        out << "  " << c.before << " -> " << c.after;
      }
      out << "\n";
    }
    ++n;
  });
  // New, fixed and lasting breakage of run_b, against run_a (storage/history.h).
  sql::Database read(db, sql::Database::Mode::kReadOnly);
  storage::BrokenHistory history = storage::ReadBrokenHistory(read, run_b, run_a, int64_t(storage::kBrokenListed));
  const int64_t unfetched_a = in.Unfetched(run_a), unfetched_b = in.Unfetched(run_b);
  if (json) {
    // changed_urls stays last, as before the history was added.
    out << "],\"history\":" << HistoryJson(history) << ",\"unfetched_a\":" << unfetched_a
        << ",\"unfetched_b\":" << unfetched_b << ",\"changed_urls\":" << urls << "}\n";
    return kExitOk;
  }
  if (n == 0) {
    out << "  (no changes)\n";
  } else {
    out << urls << " URL(s) changed (" << n << " change(s))\n";
  }
  auto note_unfetched = [&](int64_t run, int64_t count) {
    if (count == 0) return;
    out << "Run " << run << " is unfinished: " << count << (count == 1 ? " URL it holds is" : " URLs it holds are")
        << " still pending, not counted as added or removed (URLs it has not discovered or read yet are).\n";
  };
  note_unfetched(run_a, unfetched_a);
  if (run_b != run_a) note_unfetched(run_b, unfetched_b);
  out << "\n";
  PrintHistory(history, "", out);
  return kExitOk;
}

int PruneRuns(const std::string& db, std::optional<int> keep, std::optional<double> older_than_days, bool dry_run,
              bool yes, double wait_lock_s, std::ostream& out, std::ostream& err) {
  { storage::Inspector check(db); }  // a clear error for a missing or foreign file, before creating anything
  const bool shared = sql::IsPostgresUri(db);
  std::optional<RunLock> lock;
  if (!shared) {
    std::string holder;
    lock = RunLock::Acquire(db, wait_lock_s, &holder);
    if (!lock) {
      err << "greencrawl: " << storage::RedactPassword(db) << " is in use by a crawl (" << holder
          << "); try again later or use --wait-lock\n";
      return kExitLocked;
    }
  }
  std::vector<int64_t> doomed = storage::Inspector(db).PruneCandidates(keep, older_than_days);
  if (shared) {
    // Many workers may be crawling: a run that is not finished stays (its workers would lose it).
    std::vector<int64_t> finished;
    storage::Inspector in(db);
    for (int64_t id : doomed) {
      if (in.Summary(id).status != "running") finished.push_back(id);
    }
    doomed = std::move(finished);
  }
  auto ids = [&] {
    std::string text;
    for (int64_t id : doomed) text += " " + std::to_string(id);
    return text;
  };
  if (!dry_run && !yes && !doomed.empty() &&
      doomed.size() == storage::Inspector(db).PruneCandidates(0, std::nullopt).size()) {
    // `--keep 0` or a large --older-than empties the database: a typo should not do that unasked.
    err << "greencrawl: prune would delete every run in " << storage::RedactPassword(db) << " (" << doomed.size()
        << " run(s):" << ids() << "); add --yes to delete them all\n";
    return kExitUsage;
  }
  if (dry_run) {
    out << "would delete " << doomed.size() << " run(s)" << (doomed.empty() ? "" : ":");
    for (int64_t id : doomed) out << " " << id;
    out << "\n";
    if (auto from = storage::PendingMigration(db)) {
      out << "and would upgrade " << storage::RedactPassword(db) << " from schema " << *from << " to "
          << storage::kSchemaVersion << " (as the next crawl will)\n";
    }
    return kExitOk;
  }
  // The size before: the upgrade below changes it too (free pages the next runs reuse).
  int64_t before = !shared && std::filesystem::exists(db) ? int64_t(std::filesystem::file_size(db)) : 0;
  // Opened for writing (which migrates an older database) only now: a dry run changes nothing.
  std::optional<storage::ResultStore> opened;
  try {
    if (auto from = storage::PendingMigration(db)) {
      err << "greencrawl: upgrading " << storage::RedactPassword(db) << " from schema " << *from << " to "
          << storage::kSchemaVersion << " (each URL stored once; links, anchors and sitemaps by what changed: docs/schema.md); for "
             "millions of results or links this takes a minute or more\n";
    }
    opened.emplace(db);
  } catch (...) {
    if (lock) lock->Discard();  // a refused open leaves no DB.lock behind
    throw;
  }
  opened->PruneRuns(doomed);
  out << "deleted " << doomed.size() << " run(s)";
  for (int64_t id : doomed) out << " " << id;
  if (shared) {
    out << " (running runs are kept)\n";
    return kExitOk;
  }
  opened.reset();  // closed: its WAL is checkpointed into the file, whose size is then the true one
  int64_t after = int64_t(std::filesystem::file_size(db));
  out << "; " << storage::RedactPassword(db) << " " << before / 1024 << " KiB -> " << after / 1024 << " KiB\n";
  return kExitOk;
}

}  // namespace gc
