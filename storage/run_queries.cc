#include "storage/run_queries.h"

#include <algorithm>
#include <map>

#include "storage/schema.h"

namespace gc::storage {

Verdict Judge(const AcceptSet& accept, const std::optional<int64_t>& status, const std::optional<std::string>& error) {
  if (error && *error == "blocked") return Verdict::kBlocked;
  if (accept.Broken(status, error)) return Verdict::kBroken;
  return status ? Verdict::kOk : Verdict::kSkipped;
}

std::string OkSql(const AcceptSet& accept) {
  return "(error IS NULL AND status IS NOT NULL AND NOT " + accept.BrokenSql() + ")";
}

std::string SkippedSql(const AcceptSet& accept) {
  return "(status IS NULL AND (error IS NULL OR error <> 'blocked') AND NOT " + accept.BrokenSql() + ")";
}

int Severity(const Outcome& o) {
  if (!o.status || *o.status >= 500) return 0;
  return *o.status >= 400 ? 1 : 2;
}

std::string SeveritySql(const std::string& table) {
  const std::string status = table.empty() ? "status" : table + ".status";
  return "(CASE WHEN " + status + " IS NULL OR " + status + " >= 500 THEN 0 WHEN " + status +
         " >= 400 THEN 1 ELSE 2 END)";
}

std::string SourceGroupSql(int schema_version) {
  if (schema_version < 5) return "'page'";  // no source_kind before schema 5: every URL is the list's or a link
  return "(CASE source_kind WHEN 'external' THEN 'external' WHEN 'sitemap' THEN 'sitemap' "
         "WHEN 'resource' THEN 'resource' ELSE 'page' END)";
}

std::string RunColumnsSql(int version) {
  return "SELECT r.id, r.started_at, r.finished_at, r.status, coalesce(r.list_file, ''), r.version, " +
         RunDurationSql(version, "r.") + ", r.urls_total, r.lines_invalid, r.pid, " +
         // A later run of the same list completed: an unfinished run is then abandoned (never resumed).
         "(SELECT max(l.id) FROM runs l WHERE l.id > r.id AND l.status = 'completed' "
         "AND l.list_file IS NOT DISTINCT FROM r.list_file) FROM runs r ";
}

RunSummary ReadRunRow(sql::Statement& st) {
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

void FillCounts(sql::Database& db, const AcceptSet& accept, RunSummary& s) {
  OutcomeCounts c = CountOutcomes(db, s.id, accept);
  s.results = c.results;
  s.responses = c.responses;
  s.ok = c.ok;
  s.errors = c.errors;
  s.broken = c.broken;
  s.blocked = c.blocked;
  s.skipped = c.skipped;
  s.accept = accept.Text();
}

OutcomeCounts CountOutcomes(sql::Database& db, int64_t run_id, const AcceptSet& accept) {
  auto st = db.Prepare("SELECT count(*), count(status), count(*) FILTER (WHERE " + OkSql(accept) +
                       "), count(error), count(*) FILTER (WHERE " + accept.BrokenSql() +
                       "), count(*) FILTER (WHERE " + kBlockedSql + "), count(*) FILTER (WHERE " +
                       SkippedSql(accept) + ") FROM results WHERE run_id = ?");
  int next = accept.BindBroken(st, 1);
  next = accept.BindBroken(st, next);
  next = accept.BindBroken(st, next);
  st.Bind(next, run_id);
  st.Step();
  OutcomeCounts c;
  c.results = st.Int(0);
  c.responses = st.Int(1);
  c.ok = st.Int(2);
  c.errors = st.Int(3);
  c.broken = st.Int(4);
  c.blocked = st.Int(5);
  c.skipped = st.Int(6);
  return c;
}

RunSummary ReadRunSummary(sql::Database& db, int64_t run_id, const AcceptSet& accept) {
  auto st = db.Prepare(RunColumnsSql(SchemaVersion(db)) + "WHERE r.id = ?");
  st.Bind(1, run_id);
  if (!st.Step()) throw sql::Error("no run " + std::to_string(run_id) + " in " + db.path(), sql::kError);
  RunSummary s = ReadRunRow(st);
  FillCounts(db, accept, s);
  return s;
}

Breakdown ReadBreakdown(sql::Database& db, int64_t run_id) {
  auto st = db.Prepare("SELECT status, error, depth FROM results WHERE run_id = ?");
  st.Bind(1, run_id);
  std::map<std::string, int64_t> error;
  std::map<int64_t, int64_t> code_count, depth;
  int64_t no_status = 0;
  int64_t klass[6] = {0, 0, 0, 0, 0, 0};  // 1xx..5xx, then errors
  while (st.Step()) {
    ++depth[st.Int(2)];
    const bool has_code = !st.IsNull(0);
    const int64_t code = st.Int(0);
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
  Breakdown b;
  // Keys in tie order ("none", then codes ascending), then a stable sort by count.
  if (no_status) b.by_status.push_back({"none", no_status});
  for (const auto& [code, n] : code_count) b.by_status.push_back({std::to_string(code), n});
  for (const auto& [k, n] : error) b.by_error.push_back({k, n});
  auto most_first = [](const CountRow& x, const CountRow& y) { return x.count > y.count; };
  std::stable_sort(b.by_status.begin(), b.by_status.end(), most_first);
  std::stable_sort(b.by_error.begin(), b.by_error.end(), most_first);
  const char* names[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "error"};
  for (int i = 0; i < 6; ++i) {
    if (klass[i]) b.by_class.push_back({names[i], klass[i]});
  }
  for (const auto& [d, n] : depth) b.by_depth.push_back({std::to_string(d), n});
  return b;
}

std::optional<int64_t> PreviousCompletedRun(sql::Database& db, int64_t run_id) {
  auto st = db.Prepare(
      "SELECT max(id) FROM runs WHERE id < ?1 AND status = 'completed' "
      "AND list_file IS NOT DISTINCT FROM (SELECT list_file FROM runs WHERE id = ?1)");
  st.Bind(1, run_id);
  if (!st.Step() || st.IsNull(0)) return std::nullopt;
  return st.Int(0);
}

namespace {

// One section per source group: a count per group, then each group's first `limit` rows.
std::vector<LinkSection> Sections(sql::Database& db, int64_t run_id, const std::string& where,
                                  const AcceptSet* accept, int64_t limit, int64_t referrers) {
  const int version = SchemaVersion(db);
  const std::string group = SourceGroupSql(version);
  const std::string source = std::string(version >= 5 ? "source_kind, source" : "NULL, NULL") +
                             (version >= 8 ? ", resource_kind" : ", NULL");
  auto bind_where = [&](sql::Statement& st, int first) { return accept ? accept->BindBroken(st, first) : first; };
  std::vector<LinkSection> out;
  auto counts = db.Prepare("SELECT " + group + ", count(*) FROM results WHERE run_id = ? AND " + where +
                           " GROUP BY 1");
  counts.Bind(1, run_id);
  bind_where(counts, 2);
  std::map<std::string, int64_t> totals;
  while (counts.Step()) totals[counts.Text(0)] = counts.Int(1);
  auto rows = db.Prepare(
      "SELECT url, status, error, (SELECT count(*) FROM links l WHERE l.run_id = r.run_id AND l.to_url = r.url) AS "
      "refs, error_message, list_line, " + source + " FROM results r WHERE run_id = ? AND " + group + " = ? AND " +
      where + " ORDER BY " + SeveritySql() + ", refs DESC, url LIMIT ?");
  auto refs = db.Prepare("SELECT from_url FROM links WHERE run_id = ? AND to_url = ? ORDER BY from_url LIMIT ?");
  for (const char* g : kSourceGroups) {
    auto total = totals.find(g);
    if (total == totals.end()) continue;
    LinkSection section{g, total->second, {}};
    rows.Bind(1, run_id).Bind(2, std::string(g));
    rows.Bind(bind_where(rows, 3), limit);
    while (rows.Step()) {
      BrokenLink b;
      b.url = rows.Text(0);
      b.typed = {rows.OptInt(1), rows.OptText(2)};
      b.outcome = OutcomeText(b.typed);
      b.referrer_count = rows.Int(3);
      b.error_message = rows.OptText(4);
      b.list_line = rows.OptInt(5);
      b.source_kind = rows.OptText(6);
      b.source = rows.OptText(7);
      b.resource_kind = rows.OptText(8);
      b.group = g;
      refs.Bind(1, run_id).Bind(2, b.url).Bind(3, referrers);
      while (refs.Step()) b.referrers.push_back(refs.Text(0));
      refs.Reset();
      section.rows.push_back(std::move(b));
    }
    rows.Reset();
    out.push_back(std::move(section));
  }
  return out;
}

}  // namespace

LinkSections ReadLinkSections(sql::Database& db, int64_t run_id, const AcceptSet& accept, int64_t limit,
                              int64_t referrers) {
  return {Sections(db, run_id, accept.BrokenSql(), &accept, limit, referrers),
          Sections(db, run_id, kBlockedSql, nullptr, limit, referrers)};
}

}  // namespace gc::storage
