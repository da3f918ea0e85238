#include "storage/fragment_sets.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "storage/link_sets.h"
#include "storage/pg_array.h"

namespace gc::storage {
namespace {

constexpr size_t kRowsPerStatement = 5'000;  // PostgreSQL: rows sent as one array parameter

// One page's anchors (target empty) or its links to fragments (target, fragment), sorted and each once,
// with the 128-bit hash by which an equal list already stored is found.
struct NameSet {
  std::string_view page;
  std::vector<std::pair<std::string_view, std::string_view>> members;
  bool capped = false;  // anchors: the page had more than were kept
  uint64_t hash_hi = 0, hash_lo = 0;
};

// The members' bytes (target, NUL, name, NUL each), streamed into XXH3-128 with the database's seed.
void Hash(NameSet& s, uint64_t seed) {
  std::sort(s.members.begin(), s.members.end());
  s.members.erase(std::unique(s.members.begin(), s.members.end()), s.members.end());
  SetHash h(seed);
  for (const auto& [to, name] : s.members) {
    h.Add(to);
    h.Add(std::string_view("", 1));
    h.Add(name);
    h.Add(std::string_view("", 1));
  }
  h.Digest(s.hash_hi, s.hash_lo);
}

// A set per page; a page listed twice keeps its last anchors (a refetched page: its anchors now).
std::vector<NameSet> AnchorSets(const std::vector<AnchorPage>& pages, uint64_t seed) {
  std::vector<NameSet> sets;
  std::unordered_map<std::string_view, size_t> index;
  for (const AnchorPage& p : pages) {
    auto [it, added] = index.try_emplace(p.url, sets.size());
    if (added) sets.emplace_back();
    NameSet& s = sets[it->second];
    s = NameSet{p.url, {}, p.capped, 0, 0};
    for (const std::string& a : p.anchors) s.members.emplace_back(std::string_view(), a);
  }
  for (NameSet& s : sets) Hash(s, seed);
  return sets;
}

// A set per page, in order of each page's first fragment link (within a batch: all of them).
std::vector<NameSet> FragmentLinkSets(const std::vector<FragmentLinkRow>& links, uint64_t seed) {
  std::vector<NameSet> sets;
  std::unordered_map<std::string_view, size_t> index;
  for (const FragmentLinkRow& l : links) {
    auto [it, added] = index.try_emplace(l.from, sets.size());
    if (added) sets.push_back(NameSet{l.from, {}, false, 0, 0});
    sets[it->second].members.emplace_back(l.to, l.fragment);
  }
  for (NameSet& s : sets) Hash(s, seed);
  return sets;
}

using Key = SetKey;
Key KeyOf(const NameSet& s) { return Key(int64_t(s.hash_hi), int64_t(s.hash_lo), int64_t(s.members.size())); }

std::vector<Key> AddSets(sql::Database& db, const std::string& table, const std::vector<NameSet>& sets) {
  std::vector<Key> keys;
  for (const NameSet& s : sets) keys.push_back(KeyOf(s));
  return AddSetsPostgres(db, table, std::move(keys));
}

// Whether `s` is one of `fresh`, taken out of it (two pages with the same list: its members once).
bool TakeFresh(std::vector<Key>& fresh, const NameSet& s) {
  Key key = KeyOf(s);
  auto it = std::lower_bound(fresh.begin(), fresh.end(), key);
  if (it == fresh.end() || *it != key) return false;
  fresh.erase(it);
  return true;
}

// PostgreSQL: page rows go in in one order (the pages' bytes), so that two workers writing rows of the same
// pages of a run wait for each other rather than deadlock (seen with 6 writers on overlapping pages).
void SortByPage(std::vector<NameSet>& sets) {
  std::sort(sets.begin(), sets.end(), [](const NameSet& a, const NameSet& b) { return a.page < b.page; });
}

void WriteAnchorsPostgres(sql::Database& db, uint64_t seed, int64_t run_id, const std::vector<AnchorPage>& pages) {
  std::vector<NameSet> sets = AnchorSets(pages, seed);
  if (sets.empty()) return;
  std::vector<Key> fresh = AddSets(db, "anchor_sets", sets);
  PgArray mh, ml, mz, ma;
  size_t rows = 0;
  auto members = [&] {
    if (rows == 0) return;
    auto st = db.Prepare(
        "INSERT INTO anchor_set_members (set_id, anchor) SELECT s.id, m.a FROM unnest(CAST(?1 AS BIGINT[]), "
        "CAST(?2 AS BIGINT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS TEXT[])) AS m(h, l, z, a) JOIN anchor_sets s ON "
        "s.hash_hi = m.h AND s.hash_lo = m.l AND s.members = m.z ON CONFLICT DO NOTHING");
    st.Bind(1, mh.str()).Bind(2, ml.str()).Bind(3, mz.str()).Bind(4, ma.str()).Run();
    mh = PgArray(), ml = PgArray(), mz = PgArray(), ma = PgArray();
    rows = 0;
  };
  for (const NameSet& s : sets) {
    if (!TakeFresh(fresh, s)) continue;
    for (const auto& m : s.members) {
      mh.Add(int64_t(s.hash_hi)), ml.Add(int64_t(s.hash_lo)), mz.Add(int64_t(s.members.size())), ma.Add(m.second);
      if (++rows == kRowsPerStatement) members();
    }
  }
  members();
  SortByPage(sets);
  for (size_t from = 0; from < sets.size(); from += kRowsPerStatement) {
    PgArray p, hi, lo, size, capped;
    for (size_t i = from; i < std::min(sets.size(), from + kRowsPerStatement); ++i) {
      p.Add(sets[i].page), hi.Add(int64_t(sets[i].hash_hi)), lo.Add(int64_t(sets[i].hash_lo));
      size.Add(int64_t(sets[i].members.size())), capped.Add(int64_t(sets[i].capped));
    }
    // Pages are each once here (AnchorSets), as one INSERT ... ON CONFLICT DO UPDATE requires.
    auto st = db.Prepare(
        "INSERT INTO page_anchor_sets (run_id, page_id, set_id, capped) SELECT CAST(?1 AS BIGINT), u.id, s.id, p.c "
        "FROM unnest(CAST(?2 AS TEXT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS BIGINT[]), CAST(?5 AS BIGINT[]), "
        "CAST(?6 AS BIGINT[])) WITH ORDINALITY AS p(u, h, l, z, c, n) JOIN urls u ON u.url = p.u JOIN anchor_sets s ON "
        "s.hash_hi = p.h AND s.hash_lo = p.l AND s.members = p.z ORDER BY p.n "
        "ON CONFLICT (run_id, page_id) DO UPDATE SET set_id = excluded.set_id, "
        "capped = excluded.capped");
    st.Bind(1, run_id).Bind(2, p.str()).Bind(3, hi.str()).Bind(4, lo.str()).Bind(5, size.str()).Bind(6, capped.str()).Run();
  }
}

void WriteFragmentLinksPostgres(sql::Database& db, uint64_t seed, int64_t run_id, const std::vector<FragmentLinkRow>& links) {
  std::vector<NameSet> sets = FragmentLinkSets(links, seed);
  if (sets.empty()) return;
  std::vector<Key> fresh = AddSets(db, "fragment_sets", sets);
  PgArray mh, ml, mz, mt, mf;
  size_t rows = 0;
  auto members = [&] {
    if (rows == 0) return;
    auto st = db.Prepare(
        "INSERT INTO fragment_set_members (set_id, to_id, fragment) SELECT s.id, t.id, m.f FROM unnest(CAST(?1 AS "
        "BIGINT[]), CAST(?2 AS BIGINT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS TEXT[]), CAST(?5 AS TEXT[])) AS m(h, l, z, t, f) "
        "JOIN fragment_sets s ON s.hash_hi = m.h AND s.hash_lo = m.l AND s.members = m.z JOIN urls t ON t.url = m.t "
        "ON CONFLICT DO NOTHING");
    st.Bind(1, mh.str()).Bind(2, ml.str()).Bind(3, mz.str()).Bind(4, mt.str()).Bind(5, mf.str()).Run();
    mh = PgArray(), ml = PgArray(), mz = PgArray(), mt = PgArray(), mf = PgArray();
    rows = 0;
  };
  for (const NameSet& s : sets) {
    if (!TakeFresh(fresh, s)) continue;
    for (const auto& [to, fragment] : s.members) {
      mh.Add(int64_t(s.hash_hi)), ml.Add(int64_t(s.hash_lo)), mz.Add(int64_t(s.members.size()));
      mt.Add(to), mf.Add(fragment);
      if (++rows == kRowsPerStatement) members();
    }
  }
  members();
  SortByPage(sets);
  for (size_t from = 0; from < sets.size(); from += kRowsPerStatement) {
    PgArray p, hi, lo, size;
    for (size_t i = from; i < std::min(sets.size(), from + kRowsPerStatement); ++i) {
      p.Add(sets[i].page), hi.Add(int64_t(sets[i].hash_hi)), lo.Add(int64_t(sets[i].hash_lo));
      size.Add(int64_t(sets[i].members.size()));
    }
    auto st = db.Prepare(
        "INSERT INTO page_fragment_sets (run_id, from_id, set_id) SELECT CAST(?1 AS BIGINT), u.id, s.id FROM "
        "unnest(CAST(?2 AS TEXT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS BIGINT[]), CAST(?5 AS BIGINT[])) WITH ORDINALITY "
        "AS p(u, h, l, z, n) JOIN urls u ON u.url = p.u JOIN fragment_sets s ON s.hash_hi = p.h AND s.hash_lo = p.l AND "
        "s.members = p.z ORDER BY p.n ON CONFLICT DO NOTHING");
    st.Bind(1, run_id).Bind(2, p.str()).Bind(3, hi.str()).Bind(4, lo.str()).Bind(5, size.str()).Run();
  }
}

}  // namespace

FragmentSets::FragmentSets(sql::Database& db)
    : ids_(db),
      seed_(ReadLinkSetSeed(db)),
      db_(db),
      find_anchors_(db.Prepare("SELECT id FROM anchor_sets WHERE hash_hi = ? AND hash_lo = ? AND members = ?")),
      add_anchors_(db.Prepare("INSERT INTO anchor_sets (hash_hi, hash_lo, members) VALUES (?, ?, ?)")),
      add_anchor_(db.Prepare("INSERT INTO anchor_set_members (set_id, anchor) VALUES (?, ?)")),
      add_anchor_page_(db.Prepare(
          "INSERT INTO page_anchor_sets (run_id, page_id, set_id, capped) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (run_id, page_id) DO UPDATE SET set_id = excluded.set_id, capped = excluded.capped")),
      find_fragments_(db.Prepare("SELECT id FROM fragment_sets WHERE hash_hi = ? AND hash_lo = ? AND members = ?")),
      add_fragments_(db.Prepare("INSERT INTO fragment_sets (hash_hi, hash_lo, members) VALUES (?, ?, ?)")),
      add_fragment_(db.Prepare("INSERT INTO fragment_set_members (set_id, to_id, fragment) VALUES (?, ?, ?)")),
      add_fragment_page_(db.Prepare(
          "INSERT INTO page_fragment_sets (run_id, from_id, set_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {}

void FragmentSets::Write(int64_t run_id, const std::vector<AnchorPage>& pages, const std::vector<FragmentLinkRow>& links) {
  if (pages.empty() && links.empty()) return;
  ids_.Forget();  // a new transaction
  auto set_of = [&](sql::Statement& find, sql::Statement& add, const NameSet& s, auto&& fill) {
    return FindOrAddSet(db_, find, add, s.hash_hi, s.hash_lo, int64_t(s.members.size()), fill);
  };
  for (const NameSet& s : AnchorSets(pages, seed_)) {
    int64_t set = set_of(find_anchors_, add_anchors_, s, [&](int64_t id) {
      for (const auto& m : s.members) add_anchor_.Bind(1, id).Bind(2, m.second).Run();
    });
    add_anchor_page_.Bind(1, run_id).Bind(2, ids_.Id(std::string(s.page))).Bind(3, set).Bind(4, int64_t(s.capped)).Run();
  }
  for (const NameSet& s : FragmentLinkSets(links, seed_)) {
    int64_t set = set_of(find_fragments_, add_fragments_, s, [&](int64_t id) {
      for (const auto& [to, fragment] : s.members) {
        add_fragment_.Bind(1, id).Bind(2, ids_.Id(std::string(to))).Bind(3, fragment).Run();
      }
    });
    add_fragment_page_.Bind(1, run_id).Bind(2, ids_.Id(std::string(s.page))).Bind(3, set).Run();
  }
}

void WriteFragmentSetsPostgres(sql::Database& db, uint64_t seed, int64_t run_id, const std::vector<AnchorPage>& pages,
                               const std::vector<FragmentLinkRow>& links) {
  WriteAnchorsPostgres(db, seed, run_id, pages);  // anchors first, then fragments: every worker in one order
  WriteFragmentLinksPostgres(db, seed, run_id, links);
}

void AddUrlsOfFragments(const std::vector<AnchorPage>& pages, const std::vector<FragmentLinkRow>& links,
                        std::vector<std::string_view>& urls) {
  for (const AnchorPage& p : pages) urls.push_back(p.url);
  for (const FragmentLinkRow& l : links) urls.push_back(l.from), urls.push_back(l.to);
}

void DeleteUnusedFragmentSets(sql::Database& db) {
  if (db.postgres()) {  // hash anti-joins, as for the link sets
    db.Exec("DELETE FROM anchor_set_members m WHERE NOT EXISTS (SELECT 1 FROM page_anchor_sets p WHERE p.set_id = m.set_id)");
    db.Exec("DELETE FROM anchor_sets s WHERE NOT EXISTS (SELECT 1 FROM page_anchor_sets p WHERE p.set_id = s.id)");
    db.Exec("DELETE FROM fragment_set_members m WHERE NOT EXISTS (SELECT 1 FROM page_fragment_sets p WHERE p.set_id = m.set_id)");
    db.Exec("DELETE FROM fragment_sets s WHERE NOT EXISTS (SELECT 1 FROM page_fragment_sets p WHERE p.set_id = s.id)");
    return;
  }
  // NOT IN (subquery): each id list read once into a temporary index.
  db.Exec("DELETE FROM anchor_set_members WHERE set_id NOT IN (SELECT set_id FROM page_anchor_sets)");
  db.Exec("DELETE FROM anchor_sets WHERE id NOT IN (SELECT set_id FROM page_anchor_sets)");
  db.Exec("DELETE FROM fragment_set_members WHERE set_id NOT IN (SELECT set_id FROM page_fragment_sets)");
  db.Exec("DELETE FROM fragment_sets WHERE id NOT IN (SELECT set_id FROM page_fragment_sets)");
}

void MoveFragmentsToSchema12(sql::Database& db) {
  std::optional<FragmentSets> sqlite;
  if (!db.postgres()) sqlite.emplace(db);
  const uint64_t seed = ReadLinkSetSeed(db);
  auto write = [&](int64_t run, const std::vector<AnchorPage>& pages, const std::vector<FragmentLinkRow>& links) {
    if (sqlite) return sqlite->Write(run, pages, links);
    std::vector<std::string_view> urls;
    AddUrlsOfFragments(pages, links, urls);
    AddUrlsPostgres(db, urls);
    WriteFragmentSetsPostgres(db, seed, run, pages, links);
  };
  std::vector<int64_t> runs;
  {
    auto st = db.Prepare("SELECT run_id FROM anchor_pages UNION SELECT run_id FROM fragment_links ORDER BY 1");
    while (st.Step()) runs.push_back(st.Int(0));
  }
  // A thousand pages at a time, each whole, in URL order by the tables' primary keys and index: a run of a
  // large site has millions of anchors. Each chunk starts after the last one's last page.
  // A chunk also ends once its pages hold 100,000 anchors (anchor_pages.anchors counts them), so that a
  // site whose pages have thousands each is moved in bounded memory too.
  constexpr int64_t kAnchorsPerChunk = 100'000;
  auto pages = db.Prepare(
      "SELECT url, capped, anchors FROM anchor_pages WHERE run_id = ?1 AND url > ?2 ORDER BY url LIMIT 1000");
  auto first_pages = db.Prepare(
      "SELECT url, capped, anchors FROM anchor_pages WHERE run_id = ?1 AND url >= '' ORDER BY url LIMIT 1000");
  auto anchors = db.Prepare(
      "SELECT url, anchor FROM anchors WHERE run_id = ?1 AND url >= ?2 AND url <= ?3");
  auto links = db.Prepare(
      "SELECT from_url, to_url, fragment FROM fragment_links WHERE run_id = ?1 AND from_url IN (SELECT DISTINCT from_url "
      "FROM fragment_links WHERE run_id = ?1 AND from_url > ?2 ORDER BY from_url LIMIT 1000) ORDER BY from_url");
  auto first_links = db.Prepare(
      "SELECT from_url, to_url, fragment FROM fragment_links WHERE run_id = ?1 AND from_url IN (SELECT DISTINCT from_url "
      "FROM fragment_links WHERE run_id = ?1 AND from_url >= '' ORDER BY from_url LIMIT 1000) ORDER BY from_url");
  for (int64_t run : runs) {
    std::optional<std::string> after;
    while (true) {
      std::vector<AnchorPage> chunk;
      sql::Statement& st = after ? pages : first_pages;
      st.Bind(1, run);
      if (after) st.Bind(2, *after);
      int64_t held = 0;
      while (held < kAnchorsPerChunk && st.Step()) {
        chunk.push_back(AnchorPage{st.Text(0), {}, st.Int(1) != 0});
        held += st.Int(2);
      }
      st.Reset();
      if (chunk.empty()) break;
      after = chunk.back().url;
      // The chunk's anchors: those in its range of URLs (in the database's order, which may not be bytes').
      std::unordered_map<std::string, size_t> index;
      for (size_t i = 0; i < chunk.size(); ++i) index.emplace(chunk[i].url, i);
      anchors.Bind(1, run).Bind(2, chunk.front().url).Bind(3, chunk.back().url);
      while (anchors.Step()) {
        if (auto it = index.find(anchors.Text(0)); it != index.end()) chunk[it->second].anchors.push_back(anchors.Text(1));
      }
      anchors.Reset();
      write(run, chunk, {});
    }
    after.reset();
    while (true) {
      std::vector<FragmentLinkRow> chunk;
      sql::Statement& st = after ? links : first_links;
      st.Bind(1, run);
      if (after) st.Bind(2, *after);
      while (st.Step()) chunk.push_back(FragmentLinkRow{st.Text(0), st.Text(1), st.Text(2)});
      st.Reset();
      if (chunk.empty()) break;
      after = chunk.back().from;
      write(run, {}, chunk);
    }
  }
  db.Exec(R"sql(
DROP TABLE anchors;
DROP TABLE anchor_pages;
DROP TABLE fragment_links;
CREATE VIEW anchor_pages (run_id, url, anchors, capped) AS
  SELECT p.run_id, u.url, s.members, p.capped
  FROM page_anchor_sets p JOIN anchor_sets s ON s.id = p.set_id JOIN urls u ON u.id = p.page_id;
CREATE VIEW anchors (run_id, url, anchor) AS
  SELECT p.run_id, u.url, m.anchor
  FROM page_anchor_sets p JOIN anchor_set_members m ON m.set_id = p.set_id JOIN urls u ON u.id = p.page_id;
CREATE VIEW fragment_links (run_id, from_url, to_url, fragment) AS
  SELECT p.run_id, f.url, t.url, m.fragment
  FROM page_fragment_sets p JOIN fragment_set_members m ON m.set_id = p.set_id
  JOIN urls f ON f.id = p.from_id JOIN urls t ON t.id = m.to_id;
)sql");
}

}  // namespace gc::storage
