#include "storage/report_data.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gc::storage {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

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
  // Nearest rank: ceil(p * n), at least 1.
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

void ReadSeries(sql::Database& db, int64_t run_id, const Shape& shape, const ReportLimits& limits,
                const AcceptSet& accept, ReportData& r) {
  if (!shape.first_fetch) return;
  r.series_step_s = NiceStep(std::max(shape.fetch_span_s, 0.01) / limits.series_bins);
  int64_t bins = std::max<int64_t>(1, int64_t(std::floor(shape.fetch_span_s / r.series_step_s)) + 1);
  r.series.assign(size_t(bins), {});
  // ok, broken and blocked as the headline counts them (storage/run_queries.h), not "without an error".
  auto st = db.Prepare(
      "SELECT floor((julianday(fetched_at) - julianday(?)) * 86400.0 / ?), count(*), count(error), "
      "count(*) FILTER (WHERE " + OkSql(accept) + "), count(*) FILTER (WHERE " + accept.BrokenSql() +
      "), count(*) FILTER (WHERE " + kBlockedSql +
      ") FROM results WHERE run_id = ? AND fetched_at IS NOT NULL GROUP BY 1");
  st.Bind(1, *shape.first_fetch).Bind(2, r.series_step_s);
  st.Bind(accept.BindBroken(st, accept.BindBroken(st, 3)), run_id);
  while (st.Step()) {
    auto& bin = r.series[size_t(std::clamp<int64_t>(st.Int(0), 0, bins - 1))];
    bin.results += st.Int(1);
    bin.errors += st.Int(2);
    bin.ok += st.Int(3);
    bin.broken += st.Int(4);
    bin.blocked += st.Int(5);
  }
}

std::vector<TopPage> Top(sql::Database& db, int64_t run_id, const char* column, size_t n) {
  auto st = db.Prepare(std::string("SELECT url, coalesce(title, ''), status, error, ") + column +
                       " FROM results WHERE run_id = ? AND " + column + " IS NOT NULL ORDER BY " + column +
                       " DESC, url LIMIT ?");
  st.Bind(1, run_id).Bind(2, int64_t(n));
  std::vector<TopPage> out;
  while (st.Step()) out.push_back({st.Text(0), st.Text(1), OutcomeText({st.OptInt(2), st.OptText(3)}), st.Real(4)});
  return out;
}

void ReadRedirects(sql::Database& db, int64_t run_id, const ReportLimits& limits, ReportData& r) {
  r.redirect_total = r.headline.redirected;
  auto st = db.Prepare(
      "SELECT url, coalesce(final_url, ''), redirects, status, error FROM results WHERE run_id = ? AND redirects > 0 "
      "ORDER BY redirects DESC, url LIMIT ?");
  st.Bind(1, run_id).Bind(2, int64_t(limits.redirects));
  while (st.Step()) {
    r.redirects.push_back({st.Text(0), st.Text(1), st.Int(2), OutcomeText({st.OptInt(3), st.OptText(4)})});
  }
}

}  // namespace

Headline ReadHeadline(sql::Database& db, const RunSummary& run) {
  Headline h;
  h.run_id = run.id;
  h.started_at = run.started_at;
  h.finished_at = run.finished_at;
  h.status = run.status;
  h.list_file = run.list_file;
  h.version = run.version;
  h.duration_s = run.duration_s;
  h.results = run.results;
  h.ok = run.ok;
  h.errors = run.errors;
  h.broken = run.broken;
  h.blocked = run.blocked;
  h.skipped = run.skipped;
  h.accept = run.accept;
  auto st = db.Prepare(
      "SELECT coalesce(sum(wire_bytes), 0), count(*) FILTER (WHERE unchanged = 1), "
      "coalesce(sum(CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END), 0), count(*) FILTER (WHERE redirects > 0) "
      "FROM results WHERE run_id = ?");
  st.Bind(1, run.id);
  st.Step();
  h.wire_bytes = st.Int(0);
  h.unchanged = st.Int(1);
  h.retried = st.Int(2);
  h.redirected = st.Int(3);
  if (h.duration_s && *h.duration_s > 0) h.rate_per_s = double(h.results) / *h.duration_s;
  h.previous_run = PreviousCompletedRun(db, run.id);
  return h;
}

ReportData Inspector::LoadReport(int64_t run_id, const ReportLimits& limits) {
  ReportData r;
  const AcceptSet accept = AcceptFor(run_id);
  r.run = ReadRunSummary(db_, run_id, accept);
  r.headline = ReadHeadline(db_, r.run);
  if (r.headline.previous_run) {
    r.previous = ReadHeadline(db_, ReadRunSummary(db_, *r.headline.previous_run, AcceptFor(*r.headline.previous_run)));
  }
  Breakdown breakdown = ReadBreakdown(db_, run_id);
  r.by_status = std::move(breakdown.by_status);
  r.by_error = std::move(breakdown.by_error);
  r.by_class = std::move(breakdown.by_class);
  r.by_depth = std::move(breakdown.by_depth);
  Shape shape = ReadShape(db_, run_id);
  ReadTimes(db_, run_id, shape, limits, r);
  ReadSizes(db_, run_id, shape, r);
  ReadSeries(db_, run_id, shape, limits, accept, r);
  r.slowest = Top(db_, run_id, "total_ms", limits.top);
  r.largest = Top(db_, run_id, "size", limits.top);
  const int64_t listed = limits.broken == size_t(kNoLimit) ? kNoLimit : int64_t(limits.broken);
  const int64_t referrers = limits.referrers == size_t(kNoLimit) ? kNoLimit : int64_t(limits.referrers);
  LinkSections sections = ReadLinkSections(db_, run_id, accept, listed, referrers);
  r.broken = std::move(sections.broken);
  r.blocked = std::move(sections.blocked);
  ReadRedirects(db_, run_id, limits, r);
  const bool all = listed == kNoLimit;
  r.fragments = ReadFragmentReport(db_, run_id, limits.fragments == size_t(kNoLimit) ? -1 : int64_t(limits.fragments),
                                   referrers == kNoLimit ? -1 : referrers);
  r.sitemaps = Sitemaps(run_id, listed);
  r.history = ReadBrokenHistory(db_, run_id, std::nullopt, all ? -1 : listed, 0, accept_override_);
  if (r.headline.previous_run) {
    // The same comparison as `greencrawl diff` and the crawl's "changed" count (10% size threshold).
    std::string last;
    Diff(*r.headline.previous_run, run_id, 10.0, [&](const Change& c) {
      if (r.changed_urls == 0 || c.url != last) ++r.changed_urls;  // one URL's changes come together
      last = c.url;
      if (r.change_counts[c.kind]++ < int64_t(limits.changes_per_kind)) r.changes.push_back(c);
    });
  }
  return r;
}

ReportData LoadReportData(const std::string& db_path, std::optional<int64_t> run, const ReportLimits& limits,
                          const std::optional<AcceptSet>& accept) {
  Inspector in(db_path);
  in.OverrideAccept(accept);
  return in.LoadReport(in.ResolveRun(run), limits);
}

}  // namespace gc::storage
