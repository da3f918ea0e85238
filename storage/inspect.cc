#include "storage/inspect.h"

#include <unistd.h>

#include <cmath>

#include "storage/redact.h"
#include "storage/run_queries.h"
#include "storage/schema.h"

namespace gc::storage {
AcceptSet Inspector::AcceptFor(int64_t run_id) {
  return accept_override_ ? *accept_override_ : RunAcceptSet(db_, run_id);
}

std::string OutcomeText(const Outcome& o) {
  if (o.error) return "error:" + *o.error;
  return o.status ? std::to_string(*o.status) : "none";
}

namespace {
// SQLite would say "cannot open database X: unable to open database file".
const std::string& Existing(const std::string& path) {
  if (!sql::IsPostgresUri(path) && access(path.c_str(), F_OK) != 0) {
    const std::string shown = RedactPassword(path);  // a conninfo string given by mistake is a file name here
    throw sql::Error("cannot open database " + shown + ": it does not exist (greencrawl crawl --db " + shown +
                         " creates it)",
                     sql::kIoError);
  }
  return path;
}
}  // namespace

Inspector::Inspector(const std::string& db_path)
    : db_(Existing(db_path), sql::Database::Mode::kReadOnly) {
  CheckReadable(db_);
  version_ = SchemaVersion(db_);
  run_columns_ = RunColumnsSql(version_);
}

std::vector<RunSummary> Inspector::Runs() {
  auto st = db_.Prepare(run_columns_ + "ORDER BY r.id");
  std::vector<RunSummary> out;
  while (st.Step()) {
    out.push_back(ReadRunRow(st));
    FillCounts(db_, AcceptFor(out.back().id), out.back());
  }
  return out;
}

RunSummary Inspector::Summary(int64_t run_id) {
  // The override first: RunAcceptSet throws for an unknown run, as ReadRunSummary does.
  return ReadRunSummary(db_, run_id, accept_override_ ? *accept_override_ : RunAcceptSet(db_, run_id));
}

int64_t Inspector::ResolveRun(std::optional<int64_t> id) {
  if (id) return Summary(*id).id;
  auto st = db_.Prepare("SELECT max(id) FROM runs");
  if (!st.Step() || st.IsNull(0)) throw sql::Error(db_.path() + " has no runs yet", sql::kError);
  return st.Int(0);
}

std::optional<RunSummary> Inspector::ResumableRun() {
  auto st = db_.Prepare(run_columns_ +
                        // A run that failed before any of its list was stored has nothing to resume; one
                        // that failed while its list was still being read (crawler/list_feed.h) has.
                        "WHERE r.status != 'completed' AND NOT (r.status = 'failed' AND r.urls_total IS NULL "
                        "AND NOT EXISTS (SELECT 1 FROM frontier f WHERE f.run_id = r.id)) "
                        "ORDER BY r.id DESC LIMIT 1");
  if (!st.Step()) return std::nullopt;
  RunSummary s = ReadRunRow(st);
  FillCounts(db_, AcceptFor(s.id), s);
  return s;
}

std::pair<int64_t, int64_t> Inspector::DefaultDiffRuns() {
  int64_t b = ResolveRun(std::nullopt);
  std::optional<int64_t> a = PreviousCompletedRun(db_, b);
  if (!a) {
    throw sql::Error("run " + std::to_string(b) + " (" + Summary(b).list_file +
                            ") has no earlier completed run of the same list to compare with; give two run ids",
                        sql::kError);
  }
  return {*a, b};
}

Breakdown Inspector::Break(int64_t run_id) { return ReadBreakdown(db_, run_id); }

void Inspector::ExportRows(int64_t run_id, const std::function<void(const std::vector<std::string>&)>& header,
                           const std::function<void(const std::vector<Value>&)>& row) {
  // One statement stepped row by row: constant memory however many rows the run has.
  auto st = db_.Prepare(
      "SELECT run_id, url, final_url, status, size, content_type, title, error, error_message, depth, fetched_at, "
      "redirects, wire_bytes, ip, etag, last_modified, content_hash, dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms, "
      "list_line, attempts, " +
      std::string(version_ >= 3 ? "unchanged" : "NULL AS unchanged") +
      // Where each URL came from (list, sitemap, link) and which list line, sitemap or page: schema 5.
      std::string(version_ >= 5 ? ", source_kind, source" : ", NULL AS source_kind, NULL AS source") +
      // A resource's kind (image, script, style, frame, media): schema 8.
      std::string(version_ >= 8 ? ", resource_kind" : ", NULL AS resource_kind") +
      " FROM results WHERE run_id = ? ORDER BY id");
  st.Bind(1, run_id);
  std::vector<std::string> names;
  for (int i = 0; i < st.columns(); ++i) names.push_back(st.ColumnName(i));
  header(names);
  std::vector<Value> values(names.size());
  while (st.Step()) {
    for (int i = 0; i < int(names.size()); ++i) {
      values[size_t(i)].text = st.OptText(i);
      values[size_t(i)].number = st.IsNumber(i);
    }
    row(values);
  }
}

void Inspector::ForEachResult(int64_t run_id, const std::function<void(const ResultLine&)>& row) {
  // One statement stepped row by row: constant memory however many rows the run has.
  auto st = db_.Prepare(
      "SELECT url, status, error, error_message, total_ms, " +
      std::string(version_ >= 8 ? "resource_kind" : "NULL") + " FROM results WHERE run_id = ? ORDER BY id");
  st.Bind(1, run_id);
  ResultLine line;
  while (st.Step()) {
    line.url = st.Text(0);
    line.status = st.OptInt(1);
    line.error = st.OptText(2);
    line.error_message = st.OptText(3);
    line.total_ms = st.IsNull(4) ? std::nullopt : std::optional<double>(st.Real(4));
    line.resource_kind = st.OptText(5);
    row(line);
  }
}

namespace {

struct Redirect {
  bool known = false;                 // false: the row cannot say (no HTTP answer, or an older row)
  std::optional<std::string> target;  // the URL it ends at after redirects; none: it answered itself
};

// A result's redirect, for `diff`. Only a row with an HTTP answer knows it: a transport error (no status)
// may have stopped before or after a redirect. A 304 recorded as unchanged carries the earlier size, hash
// and title but not the earlier final_url: when it has none it says nothing about redirects, so it is no
// "redirect removed".
Redirect RedirectTarget(std::optional<int64_t> status, std::optional<int64_t> redirects,
                        std::optional<std::string> final_url, bool unchanged) {
  Redirect r;
  if (!status || !redirects) return r;
  if (unchanged && !final_url) return r;
  r.known = true;
  if (*redirects > 0) r.target = final_url.value_or("");
  return r;
}

}  // namespace

void Inspector::Diff(int64_t a, int64_t b, double size_threshold_pct, const std::function<void(const Change&)>& out) {
  Summary(a);
  Summary(b);
  // A URL one run has no result for is added or removed, unless that run is unfinished and still holds
  // it pending: an interrupted run's unfetched URLs were not removed (see Unfetched).
  auto only = db_.Prepare(
      "SELECT x.url FROM results x WHERE x.run_id = ? AND NOT EXISTS "
      "(SELECT 1 FROM results y WHERE y.run_id = ? AND y.url = x.url) AND NOT EXISTS "
      "(SELECT 1 FROM frontier f WHERE f.run_id = ? AND f.url = x.url AND f.done = 0) ORDER BY x.url");
  only.Bind(1, b).Bind(2, a).Bind(3, a);
  while (only.Step()) out({only.Text(0), "added", "", "", {}, {}, {}, {}});
  only.Reset();
  only.Bind(1, a).Bind(2, b).Bind(3, b);
  while (only.Step()) out({only.Text(0), "removed", "", "", {}, {}, {}, {}});

  auto both = db_.Prepare(
      "SELECT x.url, x.status, y.status, x.error, y.error, x.size, y.size, x.title, y.title, x.content_hash, "
      "y.content_hash, x.unchanged, y.unchanged, x.redirects, y.redirects, x.final_url, y.final_url "
      "FROM results x JOIN results y ON y.run_id = ? AND y.url = x.url "
      "WHERE x.run_id = ? AND "
      "(x.status IS DISTINCT FROM y.status OR x.error IS DISTINCT FROM y.error OR x.size IS DISTINCT FROM y.size "
      "OR x.title IS DISTINCT FROM y.title OR x.content_hash IS DISTINCT FROM y.content_hash "
      "OR x.redirects IS DISTINCT FROM y.redirects OR x.final_url IS DISTINCT FROM y.final_url) ORDER BY x.url");
  both.Bind(1, b).Bind(2, a);
  while (both.Step()) {
    std::string url = both.Text(0);
    Outcome before{both.OptInt(1), both.OptText(3)};
    Outcome after{both.OptInt(2), both.OptText(4)};
    // A 304 recorded as unchanged carries the earlier response: it is the same outcome as any 2xx.
    auto fine = [](const Outcome& o) {
      return !o.error && o.status && (*o.status == 304 || (*o.status >= 200 && *o.status < 300));
    };
    if (both.OptInt(11).value_or(0) == 1 && fine(after)) before = after;
    if (both.OptInt(12).value_or(0) == 1 && fine(before)) after = before;
    auto sa = both.OptInt(5), sb = both.OptInt(6);
    // Where the URL redirects to. Status, size and title are the final page's, so a new redirect to a page
    // that also answers 200 would otherwise show only as a new title: it is a change of its own.
    auto ra = RedirectTarget(both.OptInt(1), both.OptInt(13), both.OptText(15), both.OptInt(11).value_or(0) == 1);
    auto rb = RedirectTarget(both.OptInt(2), both.OptInt(14), both.OptText(16), both.OptInt(12).value_or(0) == 1);
    const bool redirect_changed = ra.known && rb.known && ra.target != rb.target;
    auto redirect = [&] {
      out({url, "redirect", ra.target.value_or(""), rb.target.value_or(""), before, after, sa, sb});
    };
    if (before != after) {
      out({url, "status", OutcomeText(before), OutcomeText(after), before, after, sa, sb});
      if (redirect_changed) redirect();
      continue;  // a different outcome explains the rest
    }
    if (redirect_changed) redirect();
    if (sa && sb && *sa != *sb) {
      double base = std::max<double>(1.0, double(*sa));
      if (std::fabs(double(*sb - *sa)) * 100.0 / base > size_threshold_pct) {
        out({url, "size", std::to_string(*sa), std::to_string(*sb), before, after, sa, sb});
      }
    }
    auto ta = both.OptText(7), tb = both.OptText(8);
    if (ta != tb) out({url, "title", ta.value_or(""), tb.value_or(""), before, after, sa, sb});
    auto ha = both.OptText(9), hb = both.OptText(10);
    if (ha && hb && *ha != *hb) out({url, "content", *ha, *hb, before, after, sa, sb});
  }
}

std::vector<int64_t> Inspector::PruneCandidates(std::optional<int> keep, std::optional<double> older_than_days) {
  auto st = db_.Prepare(keep ? "SELECT id FROM runs ORDER BY id DESC"
                             : "SELECT id FROM runs WHERE julianday('now') - julianday(started_at) > ? ORDER BY id");
  if (!keep) st.Bind(1, older_than_days.value_or(0));
  std::vector<int64_t> ids;
  int64_t skip = keep ? *keep : 0;  // the newest `keep` stay
  while (st.Step()) {
    if (skip > 0) {
      --skip;
      continue;
    }
    ids.push_back(st.Int(0));
  }
  return ids;
}

std::string Inspector::RunOptions(int64_t run_id) {
  auto st = db_.Prepare("SELECT coalesce(options, '') FROM runs WHERE id = ?");
  st.Bind(1, run_id);
  return st.Step() ? st.Text(0) : std::string();
}

int64_t Inspector::Unfetched(int64_t run_id) {
  auto st = db_.Prepare("SELECT count(*) FROM frontier WHERE run_id = ? AND done = 0");
  st.Bind(1, run_id);
  return st.Step() ? st.Int(0) : 0;
}

int64_t Inspector::ChangedUrls(int64_t a, int64_t b, double size_threshold_pct) {
  int64_t n = 0;
  std::string last;
  // Changes of one URL come one after another (see Diff): count each URL once.
  Diff(a, b, size_threshold_pct, [&](const Change& c) {
    if (n == 0 || c.url != last) ++n;
    last = c.url;
  });
  return n;
}

}  // namespace gc::storage
