#include "storage/inspect.h"

#include <unistd.h>

#include <cmath>

#include "storage/redact.h"
#include "storage/schema.h"

namespace gc::storage {
namespace {

// The runs columns every summary reads, for a file of schema `version`.
std::string RunColumns(int version) {
  return "SELECT r.id, r.started_at, r.finished_at, r.status, coalesce(r.list_file, ''), r.version, " +
         RunDurationSql(version, "r.") + ", r.urls_total, r.lines_invalid, r.pid, " +
         // A later run of the same list completed: an unfinished run is then abandoned (never resumed).
         "(SELECT max(l.id) FROM runs l WHERE l.id > r.id AND l.status = 'completed' "
         "AND l.list_file IS NOT DISTINCT FROM r.list_file) FROM runs r ";
}

RunSummary ReadRun(sql::Statement& st) {
  RunSummary s;
  s.id = st.Int(0);
  s.started_at = st.Text(1);
  s.finished_at = st.OptText(2);
  s.status = st.Text(3);
  s.list_file = st.Text(4);
  s.version = st.Text(5);
  if (s.finished_at) s.duration_s = st.Real(6);
  s.urls_total = st.OptInt(7);
  s.lines_invalid = st.OptInt(8);
  s.pid = st.OptInt(9);
  if (s.status != "completed") s.superseded_by = st.OptInt(10);
  return s;
}

void ReadCounts(sql::Database& db, const AcceptSet& accept, RunSummary& s) {
  OutcomeCounts c = CountOutcomes(db, s.id, accept);
  s.results = c.results;
  s.responses = c.responses;
  s.ok = c.ok;
  s.errors = c.errors;
  s.broken = c.broken;
  s.blocked = c.blocked;
  s.accept = accept.Text();
}

}  // namespace

OutcomeCounts CountOutcomes(sql::Database& db, int64_t run_id, const AcceptSet& accept) {
  auto st = db.Prepare(
      "SELECT count(*), count(status), count(*) FILTER (WHERE error IS NULL AND status BETWEEN 200 AND 399), "
      "count(error), count(*) FILTER (WHERE " +
      accept.BrokenSql() + "), count(*) FILTER (WHERE error = 'blocked') FROM results WHERE run_id = ?");
  st.Bind(accept.BindBroken(st, 1), run_id);
  st.Step();
  return {st.Int(0), st.Int(1), st.Int(2), st.Int(3), st.Int(4), st.Int(5)};
}

AcceptSet Inspector::AcceptFor(int64_t run_id) {
  return accept_override_ ? *accept_override_ : RunAcceptSet(db_, run_id);
}

BrokenLists ReadBrokenLinks(sql::Database& db, int64_t run_id, const AcceptSet& accept, bool most_referred,
                            int64_t limit, int64_t referrers) {
  BrokenLists lists;
  auto list = [&](const std::string& where, bool broken, std::vector<BrokenLink>& out) {
    auto st = db.Prepare(
        "SELECT url, status, error, (SELECT count(*) FROM links l WHERE l.run_id = r.run_id AND l.to_url = r.url) AS "
        "refs, error_message, list_line FROM results r WHERE run_id = ? AND " + where + " ORDER BY " +
        (most_referred ? "refs DESC, url" : "url") + " LIMIT ?");
    auto refs = db.Prepare("SELECT from_url FROM links WHERE run_id = ? AND to_url = ? ORDER BY from_url LIMIT ?");
    st.Bind(1, run_id);
    st.Bind(broken ? accept.BindBroken(st, 2) : 2, limit);
    while (st.Step()) {
      BrokenLink b;
      b.url = st.Text(0);
      b.typed = {st.OptInt(1), st.OptText(2)};
      b.outcome = OutcomeText(b.typed);
      b.referrer_count = st.Int(3);
      b.error_message = st.OptText(4);
      b.list_line = st.OptInt(5);
      refs.Bind(1, run_id).Bind(2, b.url).Bind(3, referrers);
      while (refs.Step()) b.referrers.push_back(refs.Text(0));
      refs.Reset();
      out.push_back(std::move(b));
    }
  };
  list(accept.BrokenSql(), true, lists.broken);
  list("error = 'blocked'", false, lists.blocked);
  return lists;
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
  run_columns_ = RunColumns(version_);
}

std::vector<RunSummary> Inspector::Runs() {
  auto st = db_.Prepare(run_columns_ + "ORDER BY r.id");
  std::vector<RunSummary> out;
  while (st.Step()) {
    out.push_back(ReadRun(st));
    ReadCounts(db_, AcceptFor(out.back().id), out.back());
  }
  return out;
}

RunSummary Inspector::Summary(int64_t run_id) {
  auto st = db_.Prepare(run_columns_ + "WHERE r.id = ?");
  st.Bind(1, run_id);
  if (!st.Step()) throw sql::Error("no run " + std::to_string(run_id) + " in " + db_.path(), sql::kError);
  RunSummary s = ReadRun(st);
  ReadCounts(db_, AcceptFor(s.id), s);
  return s;
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
  RunSummary s = ReadRun(st);
  ReadCounts(db_, AcceptFor(s.id), s);
  return s;
}

std::pair<int64_t, int64_t> Inspector::DefaultDiffRuns() {
  int64_t b = ResolveRun(std::nullopt);
  auto st = db_.Prepare(
      "SELECT max(id) FROM runs WHERE id < ?1 AND status = 'completed' "
      "AND list_file IS NOT DISTINCT FROM (SELECT list_file FROM runs WHERE id = ?1)");
  st.Bind(1, b);
  if (!st.Step() || st.IsNull(0)) {
    throw sql::Error("run " + std::to_string(b) + " (" + Summary(b).list_file +
                            ") has no earlier completed run of the same list to compare with; give two run ids",
                        sql::kError);
  }
  return {st.Int(0), b};
}

Breakdown Inspector::Break(int64_t run_id) {
  Breakdown b;
  {
    auto st = db_.Prepare(
        "SELECT coalesce(CAST(status AS TEXT), 'none'), count(*) FROM results WHERE run_id = ? "
        "GROUP BY status ORDER BY count(*) DESC, status NULLS FIRST");
    st.Bind(1, run_id);
    while (st.Step()) b.by_status.push_back({st.Text(0), st.Int(1)});
  }
  {
    auto st = db_.Prepare(
        "SELECT error, count(*) FROM results WHERE run_id = ? AND error IS NOT NULL "
        "GROUP BY error ORDER BY count(*) DESC, error");
    st.Bind(1, run_id);
    while (st.Step()) b.by_error.push_back({st.Text(0), st.Int(1)});
  }
  return b;
}

Report Inspector::MakeReport(int64_t run_id, size_t top_n, bool all) {
  Report r;
  r.run = Summary(run_id);
  Breakdown b = Break(run_id);
  r.by_status = std::move(b.by_status);
  r.by_error = std::move(b.by_error);
  // Nearest-rank percentiles: the value at rank ceil(p * n) in ascending order.
  auto percentiles = [&](const char* column, std::optional<double>& p50, std::optional<double>& p90,
                         std::optional<double>& p99) {
    auto count = db_.Prepare(std::string("SELECT count(") + column + ") FROM results WHERE run_id = ?");
    count.Bind(1, run_id);
    count.Step();
    int64_t n = count.Int(0);
    if (n == 0) return;
    auto at = db_.Prepare(std::string("SELECT ") + column + " FROM results WHERE run_id = ? AND " + column +
                          " IS NOT NULL ORDER BY " + column + " LIMIT 1 OFFSET ?");
    auto value = [&](double p) {
      int64_t rank = std::max<int64_t>(1, int64_t(std::ceil(p * double(n))));
      at.Bind(1, run_id).Bind(2, rank - 1);
      at.Step();
      double v = at.Real(0);
      at.Reset();
      return v;
    };
    p50 = value(0.50);
    p90 = value(0.90);
    p99 = value(0.99);
  };
  percentiles("size", r.size_p50, r.size_p90, r.size_p99);
  percentiles("total_ms", r.time_p50, r.time_p90, r.time_p99);
  auto top = [&](const char* column, std::vector<PageRow>& out) {
    auto st = db_.Prepare(std::string("SELECT url, ") + column + " FROM results WHERE run_id = ? AND " + column +
                          " IS NOT NULL ORDER BY " + column + " DESC, url LIMIT ?");
    st.Bind(1, run_id).Bind(2, int64_t(top_n));
    while (st.Step()) out.push_back({st.Text(0), st.Real(1)});
  };
  top("total_ms", r.slowest);
  top("size", r.largest);
  {
    auto st = db_.Prepare("SELECT count(*) FROM results WHERE run_id = ? AND redirects > 0");
    st.Bind(1, run_id);
    st.Step();
    r.redirected = st.Int(0);
  }
  // Broken (AcceptSet), then blocked, by URL. --all: a LIMIT no run reaches.
  r.broken_count = r.run.broken;
  BrokenLists lists = ReadBrokenLinks(db_, run_id, AcceptFor(run_id), false, all ? kNoLimit : int64_t(kBrokenListed),
                                      all ? kNoLimit : int64_t(kReferrersListed));
  r.broken = std::move(lists.broken);
  r.blocked = std::move(lists.blocked);
  return r;
}

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
      "SELECT url, status, error, error_message, total_ms FROM results WHERE run_id = ? ORDER BY id");
  st.Bind(1, run_id);
  ResultLine line;
  while (st.Step()) {
    line.url = st.Text(0);
    line.status = st.OptInt(1);
    line.error = st.OptText(2);
    line.error_message = st.OptText(3);
    line.total_ms = st.IsNull(4) ? std::nullopt : std::optional<double>(st.Real(4));
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
