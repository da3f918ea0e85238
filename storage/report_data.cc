#include "storage/report_data.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "storage/schema.h"

namespace gc::storage {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Outcome(const std::optional<int64_t>& status, const std::optional<std::string>& error) {
  if (error) return "error:" + *error;
  return status ? std::to_string(*status) : "none";
}

// The smallest 1, 2 or 5 times a power of ten that is >= x (x > 0).
double NiceStep(double x) {
  double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= x * (1 - 1e-9)) return m * p;
  }
  return 10 * p;
}

// One pass for the extents the other queries need: how many times and sizes there are, their largest
// values, and when the first and last URL were fetched.
struct Shape {
  int64_t times = 0, sizes = 0;
  double max_ms = 0, max_size = 0;
  std::optional<std::string> first_fetch;
  double fetch_span_s = 0;
};

Shape ReadShape(sql::Database& db, int64_t run_id) {
  auto st = db.Prepare(
      "SELECT count(total_ms), coalesce(max(total_ms), 0), count(size), coalesce(max(size), 0), min(fetched_at), "
      "(julianday(max(fetched_at)) - julianday(min(fetched_at))) * 86400.0 FROM results WHERE run_id = ?");
  st.Bind(1, run_id);
  st.Step();
  Shape s;
  s.times = st.Int(0);
  s.max_ms = st.Real(1);
  s.sizes = st.Int(2);
  s.max_size = st.Real(3);
  s.first_fetch = st.OptText(4);
  if (s.first_fetch) s.fetch_span_s = st.Real(5);
  return s;
}

// Streams the n non-NULL values of `column` in ascending order once: nearest-rank percentiles and, when
// `hist` has bins, their counts (bins ascending, the last open-ended). Bounded memory for any n.
Percentiles ScanSorted(sql::Database& db, int64_t run_id, const char* column, int64_t n, std::vector<Bin>* hist) {
  Percentiles p;
  if (n == 0) return p;
  // Same ranks as Inspector::MakeReport: rank ceil(p * n), at least 1.
  auto rank = [n](double q) { return std::max<int64_t>(1, int64_t(std::ceil(q * double(n)))); };
  const int64_t r50 = rank(0.50), r90 = rank(0.90), r99 = rank(0.99);
  auto st = db.Prepare(std::string("SELECT ") + column + " FROM results WHERE run_id = ? AND " + column +
                       " IS NOT NULL ORDER BY " + column);
  st.Bind(1, run_id);
  int64_t i = 0;
  size_t bin = 0;
  while (st.Step()) {
    double v = st.Real(0);
    ++i;
    if (i == r50) p.p50 = v;
    if (i == r90) p.p90 = v;
    if (i == r99) p.p99 = v;
    if (!hist) {
      if (i >= r99) break;
      continue;
    }
    while (bin + 1 < hist->size() && v >= (*hist)[bin + 1].lo) ++bin;
    ++(*hist)[bin].count;
  }
  return p;
}

// Bins over 0, 1, 2, 5, 10, 20, 50, ... up to the last edge at or below `max`, that bin open-ended: a
// log scale with readable labels.
std::vector<Bin> SizeBins(double max) {
  std::vector<double> edges = {0, 1};
  for (double decade = 1; edges.back() <= max && decade < 1e13; decade *= 10) {
    for (double m : {2.0, 5.0, 10.0}) {
      edges.push_back(m * decade);
      if (edges.back() > max) break;
    }
  }
  edges.pop_back();
  std::vector<Bin> bins;
  for (size_t i = 0; i < edges.size(); ++i) bins.push_back({edges[i], i + 1 < edges.size() ? edges[i + 1] : kInf, 0});
  return bins;
}

// Outcomes and depths in one pass, counted here rather than by GROUP BY: SQLite would sort a million
// rows for that (no index covers all three), and there are only a few hundred distinct groups.
void ReadOutcomes(sql::Database& db, int64_t run_id, ReportData& r) {
  auto st = db.Prepare("SELECT status, error, depth FROM results WHERE run_id = ?");
  st.Bind(1, run_id);
  std::map<std::string, int64_t> status, error;
  std::map<int64_t, int64_t> code_count, depth;
  int64_t no_status = 0;
  int64_t klass[6] = {0, 0, 0, 0, 0, 0};  // 1xx..5xx, then errors
  while (st.Step()) {
    ++depth[st.Int(2)];
    bool has_code = !st.IsNull(0);
    int64_t code = st.Int(0);
    if (has_code) {
      ++code_count[code];
    } else {
      ++no_status;
    }
    if (!st.IsNull(1)) {
      ++error[st.Text(1)];
      ++klass[5];
    } else if (has_code && code >= 100 && code < 600) {
      ++klass[code / 100 - 1];
    }
  }
  for (const auto& [code, n] : code_count) status[std::to_string(code)] = n;
  if (no_status) status["none"] = no_status;
  auto sorted = [](const std::map<std::string, int64_t>& m) {
    std::vector<CountRow> v;
    for (const auto& [k, n] : m) v.push_back({k, n});
    std::stable_sort(v.begin(), v.end(), [](const CountRow& a, const CountRow& b) { return a.count > b.count; });
    return v;
  };
  r.by_status = sorted(status);
  r.by_error = sorted(error);
  const char* names[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "error"};
  for (int i = 0; i < 6; ++i) {
    if (klass[i]) r.by_class.push_back({names[i], klass[i]});
  }
  for (const auto& [d, n] : depth) r.by_depth.push_back({std::to_string(d), n});
}

void ReadTimes(sql::Database& db, int64_t run_id, const Shape& shape, const ReportLimits& limits, ReportData& r) {
  r.time_ms = ScanSorted(db, run_id, "total_ms", shape.times, nullptr);
  if (!r.time_ms.p99) return;
  double max = shape.max_ms;
  // Up to p99 (the whole range when the tail is short), so that a few timeouts do not squash the rest
  // into one bar; everything beyond goes into one open-ended bar.
  double upper = max <= *r.time_ms.p99 * 1.25 ? max : *r.time_ms.p99;
  double step = upper > 0 ? NiceStep(upper / limits.time_bins) : 1.0;
  int64_t bins = std::max<int64_t>(1, int64_t(std::floor(upper / step)) + 1);
  bool open_ended = max >= double(bins) * step;
  for (int64_t i = 0; i < bins; ++i) r.time_hist.push_back({double(i) * step, double(i + 1) * step, 0});
  if (open_ended) r.time_hist.push_back({double(bins) * step, kInf, 0});
  auto st = db.Prepare(
      "SELECT CASE WHEN total_ms / ?1 >= ?2 THEN ?2 ELSE floor(total_ms / ?1) END, count(*) FROM results "
      "WHERE run_id = ?3 AND total_ms IS NOT NULL GROUP BY 1");
  st.Bind(1, step).Bind(2, int64_t(r.time_hist.size()) - 1).Bind(3, run_id);
  while (st.Step()) {
    int64_t b = std::clamp<int64_t>(st.Int(0), 0, int64_t(r.time_hist.size()) - 1);
    r.time_hist[size_t(b)].count += st.Int(1);
  }
}

void ReadSizes(sql::Database& db, int64_t run_id, const Shape& shape, ReportData& r) {
  if (shape.sizes == 0) return;
  r.size_hist = SizeBins(shape.max_size);
  r.size_bytes = ScanSorted(db, run_id, "size", shape.sizes, &r.size_hist);
}

void ReadSeries(sql::Database& db, int64_t run_id, const Shape& shape, const ReportLimits& limits, ReportData& r) {
  if (!shape.first_fetch) return;
  r.series_step_s = NiceStep(std::max(shape.fetch_span_s, 0.01) / limits.series_bins);
  int64_t bins = std::max<int64_t>(1, int64_t(std::floor(shape.fetch_span_s / r.series_step_s)) + 1);
  r.series.assign(size_t(bins), {});
  auto st = db.Prepare(
      "SELECT floor((julianday(fetched_at) - julianday(?)) * 86400.0 / ?), count(*), count(error) "
      "FROM results WHERE run_id = ? AND fetched_at IS NOT NULL GROUP BY 1");
  st.Bind(1, *shape.first_fetch).Bind(2, r.series_step_s).Bind(3, run_id);
  while (st.Step()) {
    auto& bin = r.series[size_t(std::clamp<int64_t>(st.Int(0), 0, bins - 1))];
    bin.results += st.Int(1);
    bin.errors += st.Int(2);
  }
}

std::vector<TopPage> Top(sql::Database& db, int64_t run_id, const char* column, size_t n) {
  auto st = db.Prepare(std::string("SELECT url, coalesce(title, ''), status, error, ") + column +
                       " FROM results WHERE run_id = ? AND " + column + " IS NOT NULL ORDER BY " + column +
                       " DESC, url LIMIT ?");
  st.Bind(1, run_id).Bind(2, int64_t(n));
  std::vector<TopPage> out;
  while (st.Step()) out.push_back({st.Text(0), st.Text(1), Outcome(st.OptInt(2), st.OptText(3)), st.Real(4)});
  return out;
}

void ReadBroken(sql::Database& db, int64_t run_id, const AcceptSet& accept, const ReportLimits& limits,
                ReportData& r) {
  r.broken_total = r.headline.broken;
  BrokenLists lists = ReadBrokenLinks(db, run_id, accept, true, int64_t(limits.broken), int64_t(limits.referrers));
  r.broken = std::move(lists.broken);
  r.blocked = std::move(lists.blocked);
}

void ReadRedirects(sql::Database& db, int64_t run_id, const ReportLimits& limits, ReportData& r) {
  r.redirect_total = r.headline.redirected;
  auto st = db.Prepare(
      "SELECT url, coalesce(final_url, ''), redirects, status, error FROM results WHERE run_id = ? AND redirects > 0 "
      "ORDER BY redirects DESC, url LIMIT ?");
  st.Bind(1, run_id).Bind(2, int64_t(limits.redirects));
  while (st.Step()) r.redirects.push_back({st.Text(0), st.Text(1), st.Int(2), Outcome(st.OptInt(3), st.OptText(4))});
}

}  // namespace

std::optional<int64_t> PreviousCompletedRun(sql::Database& db, int64_t run_id) {
  auto st = db.Prepare(
      "SELECT max(id) FROM runs WHERE id < ? AND status = 'completed' "
      "AND list_file IS NOT DISTINCT FROM (SELECT list_file FROM runs WHERE id = ?)");
  st.Bind(1, run_id).Bind(2, run_id);
  if (!st.Step() || st.IsNull(0)) return std::nullopt;
  return st.Int(0);
}

Headline ReadHeadline(sql::Database& db, int64_t run_id, const std::optional<AcceptSet>& override_accept) {
  Headline h;
  {
    // The time its sessions spent crawling, as `runs` shows it: not the hours between a kill and --resume.
    auto st = db.Prepare("SELECT id, started_at, finished_at, status, coalesce(list_file, ''), version, " +
                         RunDurationSql(SchemaVersion(db)) + " FROM runs WHERE id = ?");
    st.Bind(1, run_id);
    if (!st.Step()) throw sql::Error("no run " + std::to_string(run_id) + " in " + db.path(), sql::kError);
    h.run_id = st.Int(0);
    h.started_at = st.Text(1);
    h.finished_at = st.OptText(2);
    h.status = st.Text(3);
    h.list_file = st.Text(4);
    h.version = st.Text(5);
    if (h.finished_at) h.duration_s = st.Real(6);
  }
  {
    // One pass over the run's rows for every headline count.
    AcceptSet accept = override_accept ? *override_accept : RunAcceptSet(db, run_id);
    h.accept = accept.Text();
    auto st = db.Prepare(
        "SELECT count(*), count(error), coalesce(sum(wire_bytes), 0), count(*) FILTER (WHERE unchanged = 1), "
        "coalesce(sum(CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END), 0), count(*) FILTER (WHERE redirects > 0) FROM results WHERE run_id = ?");
    st.Bind(1, run_id);
    st.Step();
    h.results = st.Int(0);
    h.errors = st.Int(1);
    OutcomeCounts counts = CountOutcomes(db, run_id, accept);  // the one definition (storage/inspect.h)
    h.ok = counts.ok;
    h.broken = counts.broken;
    h.blocked = counts.blocked;
    h.wire_bytes = st.Int(2);
    h.unchanged = st.Int(3);
    h.retried = st.Int(4);
    h.redirected = st.Int(5);
  }
  if (h.duration_s && *h.duration_s > 0) h.rate_per_s = double(h.results) / *h.duration_s;
  h.previous_run = PreviousCompletedRun(db, run_id);
  return h;
}

ReportData LoadReportData(const std::string& db_path, std::optional<int64_t> run, const ReportLimits& limits,
                          const std::optional<AcceptSet>& accept) {
  sql::Database db(db_path, sql::Database::Mode::kReadOnly);
  CheckReadable(db);
  int64_t run_id;
  if (run) {
    run_id = *run;
  } else {
    auto st = db.Prepare("SELECT max(id) FROM runs");
    if (!st.Step() || st.IsNull(0)) throw sql::Error(db_path + " has no runs yet", sql::kError);
    run_id = st.Int(0);
  }
  ReportData r;
  const AcceptSet judged = accept ? *accept : RunAcceptSet(db, run_id);
  r.headline = ReadHeadline(db, run_id, judged);
  if (r.headline.previous_run) r.previous = ReadHeadline(db, *r.headline.previous_run, accept);
  Shape shape = ReadShape(db, run_id);
  ReadOutcomes(db, run_id, r);
  ReadTimes(db, run_id, shape, limits, r);
  ReadSizes(db, run_id, shape, r);
  ReadSeries(db, run_id, shape, limits, r);
  r.slowest = Top(db, run_id, "total_ms", limits.top);
  r.largest = Top(db, run_id, "size", limits.top);
  ReadBroken(db, run_id, judged, limits, r);
  ReadRedirects(db, run_id, limits, r);
  {
    Inspector in(db_path);
    in.OverrideAccept(accept);  // the sitemap's broken URLs judged as the headline's
    r.sitemaps = in.Sitemaps(run_id, limits.broken);
  }
  r.history = ReadBrokenHistory(db, run_id, std::nullopt, int64_t(limits.broken), 0, accept);
  if (r.headline.previous_run) {
    // The same comparison as `greencrawl diff` and the crawl's "changed" count (10% size threshold).
    Inspector in(db_path);
    in.Diff(*r.headline.previous_run, run_id, 10.0, [&](const Change& c) {
      if (r.change_counts[c.kind]++ < int64_t(limits.changes_per_kind)) r.changes.push_back(c);
    });
  }
  return r;
}

}  // namespace gc::storage
