// ResultStore's multi-row writes for PostgreSQL: a batch of rows in one statement, each column bound as one
// array (storage/pg_array.h) and spread by unnest(), so that a worker's batch costs a constant number of
// round trips however many results, links and discoveries it holds. Across a network each round trip is
// the cost (a 4,500-URL list loaded one INSERT per URL took 12 s through 1 ms each way, against 1 s
// direct). SQLite keeps its one statement per row: it has no round trips.
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "storage/pg_array.h"
#include "storage/result_rows.h"
#include "storage/result_store.h"

namespace gc::storage {
namespace {

// Rows per statement: bounds a parameter's size (a few MB) while keeping the statements per batch few.
constexpr size_t kRowsPerStatement = 5'000;

// The arrays UpsertResults binds as ?2, ?3, ...: a row's URL texts (found in urls by the statement; the
// batch's writer has added them first), then result_rows' other columns (result_rows.h), with their types.
struct Column {
  const char* name;
  const char* type;
};
constexpr Column kArrays[] = {
    {"url", "TEXT"},           {"final_url", "TEXT"},     {"source", "TEXT"},         {"status", "BIGINT"},
    {"size", "BIGINT"},        {"content_type", "TEXT"},  {"title", "TEXT"},          {"error", "TEXT"},
    {"error_message", "TEXT"}, {"depth", "BIGINT"},       {"fetched_ms", "BIGINT"},   {"redirects", "BIGINT"},
    {"wire_bytes", "BIGINT"},  {"ip", "TEXT"},            {"etag", "TEXT"},           {"last_modified_s", "BIGINT"},
    {"last_modified_text", "TEXT"}, {"content_hash", "BIGINT"}, {"dns_us", "BIGINT"}, {"connect_us", "BIGINT"},
    {"tls_us", "BIGINT"},      {"ttfb_us", "BIGINT"},     {"total_us", "BIGINT"},     {"list_line", "BIGINT"},
    {"attempts", "BIGINT"},    {"unchanged", "BIGINT"},   {"source_kind", "TEXT"},    {"resource_kind", "TEXT"},
};
constexpr size_t kResultArrays = std::size(kArrays);

// The result_rows upsert over unnest()ed arrays ?2 .. ?29 (run_id is ?1). With `mark`, a row is written
// only when its URL's frontier entry is marked done by this same statement (?30: the seqs, as mark_done_
// matches them): a result whose mark finds nothing to mark (done already: a commit retried; queued
// again since) is not written, as one statement — the fence of WriteSharedOnce.
std::string ResultsSql(bool mark) {
  std::string arrays, names, cols = "u.id, f.id, s.id", targets = "run_id, url_id, final_url_id, source_id", set;
  for (size_t i = 0; i < kResultArrays; ++i) {
    const Column& c = kArrays[i];
    arrays += std::string(i ? ", " : "") + "CAST(?" + std::to_string(i + 2) + " AS " + c.type + "[])";
    names += std::string(i ? ", " : "") + c.name;
    if (i >= 3) cols += std::string(", r.") + c.name, targets += std::string(", ") + c.name;
    if (i >= 3) set += std::string(", ") + c.name + " = excluded." + c.name;
  }
  std::string sql = "WITH r AS (SELECT * FROM unnest(" + arrays + ") AS r(" + names + "))";
  std::string where;
  if (mark) {
    // In URL order (the arrays are sorted): rows locked in one order by every worker cannot deadlock.
    sql += ", m AS (UPDATE frontier f SET done = 1, lease = NULL FROM unnest(CAST(?2 AS TEXT[]), CAST(?" +
           std::to_string(kResultArrays + 2) +
           " AS BIGINT[])) AS k(url, seq) WHERE f.run_id = CAST(?1 AS BIGINT) AND f.url = k.url "
           "AND (k.seq = 0 OR f.seq = k.seq) AND f.done = 0 RETURNING f.url)";
    where = " WHERE r.url IN (SELECT url FROM m)";
  }
  return sql + " INSERT INTO result_rows (" + targets + ") SELECT CAST(?1 AS BIGINT), " + cols +
         " FROM r JOIN urls u ON u.url = r.url LEFT JOIN urls f ON f.url = r.final_url LEFT JOIN urls s ON s.url = "
         "r.source" + where + " ORDER BY r.url ON CONFLICT (run_id, url_id) DO UPDATE SET final_url_id = "
         "excluded.final_url_id, source_id = excluded.source_id" + set;
}

// Runs the results upsert for `rows` (at most one per URL, in URL order).
void UpsertResults(sql::Database& db, int64_t run_id, const std::vector<const ResultRow*>& rows, bool mark) {
  for (size_t from = 0; from < rows.size(); from += kRowsPerStatement) {
    size_t to = std::min(rows.size(), from + kRowsPerStatement);
    PgArray a[kResultArrays + 1];
    for (size_t i = from; i < to; ++i) {
      const ResultRow& r = *rows[i];
      StoredValues v = Stored(r);
      a[0].Add(r.url), a[1].Add(r.final_url), a[2].Add(r.source), a[3].Add(r.status), a[4].Add(r.size);
      a[5].Add(r.content_type), a[6].Add(r.title), a[7].Add(r.error), a[8].Add(r.error_message), a[9].Add(r.depth);
      a[10].Add(v.fetched_ms), a[11].Add(r.redirects), a[12].Add(r.wire_bytes), a[13].Add(r.ip), a[14].Add(r.etag);
      a[15].Add(v.last_modified_s), a[16].Add(v.last_modified_text), a[17].Add(v.content_hash), a[18].Add(v.dns_us);
      a[19].Add(v.connect_us), a[20].Add(v.tls_us), a[21].Add(v.ttfb_us), a[22].Add(v.total_us);
      a[23].Add(r.list_line), a[24].Add(r.attempts), a[25].Add(r.unchanged), a[26].Add(v.source_kind);
      a[27].Add(r.resource_kind), a[28].Add(r.seq);
    }
    auto st = db.Prepare(ResultsSql(mark));
    st.Bind(1, run_id);
    for (size_t k = 0; k < kResultArrays + (mark ? 1 : 0); ++k) st.Bind(int(k + 2), a[k].str());
    st.Run();
  }
}

}  // namespace

std::vector<bool> ResultStore::AddToFrontier(int64_t run_id, std::span<const FrontierItem> items) {
  std::vector<bool> added(items.size(), false);
  if (!db_->postgres()) {
    for (size_t i = 0; i < items.size(); ++i) added[i] = AddToFrontier(run_id, items[i]);
    return added;
  }
  for (size_t from = 0; from < items.size(); from += kRowsPerStatement) {
    size_t to = std::min(items.size(), from + kRowsPerStatement);
    std::vector<std::string> hosts;
    PgArray urls, seqs, depths, lines, origins;
    for (size_t i = from; i < to; ++i) {
      const FrontierItem& item = items[i];
      hosts.push_back(HostKey(item.url));
      urls.Add(item.url), seqs.Add(item.seq), depths.Add(item.depth), lines.Add(item.list_line);
      origins.Add(hosts.back());
    }
    EnsureHosts(run_id, hosts);
    // In the list's order (WITH ORDINALITY): of a URL listed twice, the first line is the one queued.
    auto st = db_->Prepare(
        "INSERT INTO frontier (run_id, url, seq, depth, list_line, source_kind, host) "
        "SELECT CAST(?1 AS BIGINT), u.url, u.seq, u.depth, u.line, 'list', u.host FROM unnest(CAST(?2 AS TEXT[]), "
        "CAST(?3 AS BIGINT[]), CAST(?4 AS BIGINT[]), CAST(?5 AS BIGINT[]), CAST(?6 AS TEXT[])) WITH ORDINALITY "
        "AS u(url, seq, depth, line, host, n) ORDER BY u.n ON CONFLICT DO NOTHING RETURNING url");
    st.Bind(1, run_id).Bind(2, urls.str()).Bind(3, seqs.str()).Bind(4, depths.str()).Bind(5, lines.str());
    st.Bind(6, origins.str());
    std::unordered_multiset<std::string> inserted;
    while (st.Step()) inserted.insert(st.Text(0));
    st.Reset();
    for (size_t i = from; i < to; ++i) {
      auto it = inserted.find(items[i].url);
      if (it == inserted.end()) continue;
      inserted.erase(it);
      added[i] = true;
    }
  }
  return added;
}

void ResultStore::EnsureHosts(int64_t run_id, const std::vector<std::string>& hosts) {
  std::vector<std::string> unknown;
  for (const std::string& h : hosts) {
    if (!hosts_known_.count(h)) unknown.emplace_back(h);
  }
  if (unknown.empty()) return;
  std::sort(unknown.begin(), unknown.end());  // one lock order for every worker
  unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
  PgArray names;
  for (const std::string& h : unknown) names.Add(h);
  auto st = db_->Prepare(
      "INSERT INTO hosts (run_id, host) SELECT CAST(?1 AS BIGINT), h FROM unnest(CAST(?2 AS TEXT[])) "
      "WITH ORDINALITY AS u(h, n) ORDER BY u.n ON CONFLICT DO NOTHING");
  st.Bind(1, run_id).Bind(2, names.str()).Run();
  for (std::string& h : unknown) {
    if (hosts_known_.size() < 1'000'000) hosts_known_.insert(std::move(h));
  }
}

void ResultStore::AddSitemapUrlsShared(int64_t run_id, const std::vector<SitemapUrlRow>& rows) {
  // In the batch's order, so that of a URL listed twice the first sitemap's row stays (ON CONFLICT DO
  // NOTHING skips a later row of the same statement as it does one already there). The URLs are in urls
  // already (AddUrls).
  for (size_t from = 0; from < rows.size(); from += kRowsPerStatement) {
    PgArray url, sitemap, lastmod;
    for (size_t i = from; i < std::min(rows.size(), from + kRowsPerStatement); ++i) {
      url.Add(rows[i].url), sitemap.Add(rows[i].sitemap), lastmod.Add(rows[i].lastmod);
    }
    auto st = db_->Prepare(
        "INSERT INTO sitemap_url_rows (run_id, url_id, sitemap_id, lastmod) SELECT CAST(?1 AS BIGINT), u.id, m.id, x.l "
        "FROM unnest(CAST(?2 AS TEXT[]), CAST(?3 AS TEXT[]), CAST(?4 AS TEXT[])) WITH ORDINALITY AS x(u, m, l, n) "
        "JOIN urls u ON u.url = x.u JOIN urls m ON m.url = x.m ORDER BY x.n ON CONFLICT (run_id, url_id) DO NOTHING");
    st.Bind(1, run_id).Bind(2, url.str()).Bind(3, sitemap.str()).Bind(4, lastmod.str()).Run();
  }
}

void ResultStore::DiscoverShared(int64_t run_id, const std::vector<FrontierItem>& discovered) {
  if (discovered.empty()) return;
  // In URL order, one row per URL at its smallest depth: an upsert may not touch a row twice, and the
  // rows one at a time came to that (the second lowered the first's depth).
  std::vector<FrontierItem> rows;
  for (const FrontierItem& item : discovered) rows.push_back(item);
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.url < b.url; });
  size_t kept = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (kept && rows[kept - 1].url == rows[i].url) {
      rows[kept - 1].depth = std::min(rows[kept - 1].depth, rows[i].depth);
    } else {
      if (kept != i) rows[kept] = std::move(rows[i]);
      ++kept;
    }
  }
  rows.resize(kept);
  std::vector<std::string> hosts;
  for (const FrontierItem& item : rows) hosts.push_back(HostKey(item.url));
  EnsureHosts(run_id, hosts);
  for (size_t from = 0; from < rows.size(); from += kRowsPerStatement) {
    size_t to = std::min(rows.size(), from + kRowsPerStatement);
    PgArray urls, depths, roots, kinds, sources, origins, resource_kinds;
    for (size_t i = from; i < to; ++i) {
      const FrontierItem& item = rows[i];
      urls.Add(item.url), depths.Add(item.depth), roots.Add(item.root), kinds.Add(item.source_kind);
      sources.Add(item.source), origins.Add(hosts[i]), resource_kinds.Add(item.resource_kind);
    }
    // As discover_ (result_store.cc) says, row by row: seq from the database's sequence; a URL found
    // nearer the root than the table has it goes out again at the smaller depth.
    auto st = db_->Prepare(
        "INSERT INTO frontier (run_id, url, seq, depth, list_line, root, source_kind, source, host, resource_kind) "
        "SELECT CAST(?1 AS BIGINT), d.url, nextval('frontier_seq'), d.depth, NULL, d.root, d.kind, d.source, d.host, "
        "d.rkind FROM unnest(CAST(?2 AS TEXT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS TEXT[]), CAST(?5 AS TEXT[]), "
        "CAST(?6 AS TEXT[]), CAST(?7 AS TEXT[]), CAST(?8 AS TEXT[])) WITH ORDINALITY "
        "AS d(url, depth, root, kind, source, host, rkind, n) "
        "ORDER BY d.n "
        "ON CONFLICT (run_id, url) DO UPDATE SET depth = excluded.depth, done = 0, seq = CASE WHEN "
        "frontier.done = 1 OR frontier.lease IS NOT NULL THEN excluded.seq ELSE frontier.seq END, "
        "lease = NULL WHERE excluded.depth < frontier.depth");
    st.Bind(1, run_id).Bind(2, urls.str()).Bind(3, depths.str()).Bind(4, roots.str()).Bind(5, kinds.str());
    st.Bind(6, sources.str()).Bind(7, origins.str()).Bind(8, resource_kinds.str()).Run();
  }
}

void ResultStore::WriteResultsShared(int64_t run_id, const std::vector<ResultRow>& results,
                                     const std::unordered_set<std::string>& mine) {
  // Frontier results (marked done by the same statement) apart from the rest (malformed list lines,
  // unreadable sitemaps: no frontier entry), each in URL order with one row per URL. Of a frontier URL
  // twice, the first result is the one (the second's mark found it done); of another, the last (the
  // upsert kept the latest). The marked ones go first, as the rows one at a time did.
  std::vector<const ResultRow*> marked, plain;
  for (const ResultRow& r : results) {
    if (!r.in_frontier) {
      plain.push_back(&r);
    } else if (mine.count(HostKey(r.url))) {
      marked.push_back(&r);
    } else {
      ++fenced_;  // its host is not this worker's (any more): another may have fetched it
    }
  }
  auto by_url = [](const ResultRow* a, const ResultRow* b) { return a->url < b->url; };
  // Of a URL fetched twice in one batch, the copy with the larger seq: a URL found nearer the root while a
  // copy was in memory went out again with a new seq, and only that seq's result can mark it done (the
  // row, leased to this worker, would otherwise stay undone and never be claimed again: a run that
  // never ended). With one seq, the first result is the one (the second's mark would find it done).
  std::stable_sort(marked.begin(), marked.end(), [](const ResultRow* a, const ResultRow* b) {
    return a->url != b->url ? a->url < b->url : a->seq > b->seq;
  });
  marked.erase(std::unique(marked.begin(), marked.end(), [](auto* a, auto* b) { return a->url == b->url; }),
               marked.end());
  std::stable_sort(plain.begin(), plain.end(), by_url);
  std::vector<const ResultRow*> last;
  for (size_t i = 0; i < plain.size(); ++i) {
    if (i + 1 < plain.size() && plain[i + 1]->url == plain[i]->url) continue;
    last.push_back(plain[i]);
  }
  if (!marked.empty()) UpsertResults(*db_, run_id, marked, true);
  if (!last.empty()) UpsertResults(*db_, run_id, last, false);
}

std::vector<bool> ResultStore::ListedHere(int64_t run_id, std::span<const FrontierItem> items) {
  std::vector<bool> here(items.size(), false);
  for (size_t from = 0; from < items.size(); from += kRowsPerStatement) {
    size_t to = std::min(items.size(), from + kRowsPerStatement);
    PgArray urls, lines;
    for (size_t i = from; i < to; ++i) urls.Add(items[i].url), lines.Add(items[i].list_line);
    auto st = db_->Prepare(
        "SELECT u.n FROM unnest(CAST(?2 AS TEXT[]), CAST(?3 AS BIGINT[])) WITH ORDINALITY AS u(url, line, n) "
        "JOIN frontier f ON f.run_id = CAST(?1 AS BIGINT) AND f.url = u.url AND f.list_line = u.line");
    st.Bind(1, run_id).Bind(2, urls.str()).Bind(3, lines.str());
    while (st.Step()) {
      int64_t n = st.Int(0);
      if (n >= 1 && size_t(n) <= to - from) here[from + size_t(n) - 1] = true;
    }
  }
  return here;
}

void ResultStore::LoadPrevious(std::vector<FrontierItem>& items, int64_t before_run) {
  for (size_t from = 0; from < items.size(); from += kRowsPerStatement) {
    size_t to = std::min(items.size(), from + kRowsPerStatement);
    PgArray urls;
    for (size_t i = from; i < to; ++i) urls.Add(items[i].url);
    // previous_'s query (result_store.cc) for each URL: k.n is the item's place (1-based) in the chunk.
    auto st = db_->Prepare(
        std::string("SELECT k.n, p.* FROM unnest(CAST(?1 AS TEXT[])) WITH ORDINALITY AS k(url, n) CROSS JOIN LATERAL (") +
        kPreviousColumns + " WHERE u.url = k.url AND r.run_id < CAST(?2 AS BIGINT) AND r.error IS NULL AND (r.status "
        "BETWEEN 200 AND 299 OR r.status = 304) ORDER BY r.run_id DESC LIMIT 1) p");
    st.Bind(1, urls.str()).Bind(2, before_run);
    for (size_t i = from; i < to; ++i) {
      items[i].previous.reset();
      items[i].previous_loaded = true;
    }
    while (st.Step()) {
      int64_t n = st.Int(0);
      if (n < 1 || size_t(n) > to - from) continue;
      items[from + size_t(n) - 1].previous = std::make_shared<const PreviousResult>(ReadPrevious(st, 1));
    }
    st.Reset();
  }
}

}  // namespace gc::storage
