#include "storage/link_sets.h"

#include <xxhash.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "storage/fragment_sets.h"
#include "storage/pg_array.h"
#include "storage/schema.h"

namespace gc::storage {
namespace {

constexpr size_t kRowsPerStatement = 5'000;  // PostgreSQL: rows sent as one array parameter

// The list's bytes: each member's target, NUL, nofollow '0'/'1', 'k' and the kind when it has one, NUL.
void Hash(PageLinks& p, uint64_t seed) {
  SetHash h(seed);
  for (const LinkRow* m : p.members) {
    h.Add(m->to);
    h.Add(std::string_view(m->nofollow ? "\0" "1" : "\0" "0", 2));
    if (m->resource_kind) {
      h.Add("k");
      h.Add(*m->resource_kind);
    }
    h.Add(std::string_view("", 1));  // the NUL that ends a member
  }
  h.Digest(p.hash_hi, p.hash_lo);
}

}  // namespace

SetHash::SetHash(uint64_t seed) {
  struct Free {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
  };
  thread_local std::unique_ptr<XXH3_state_t, Free> state(XXH3_createState());
  state_ = state.get();
  XXH3_128bits_reset_withSeed(state_, seed);
}

void SetHash::Add(std::string_view bytes) {
  XXH3_128bits_update(state_, bytes.data(), bytes.size());
}

void SetHash::Digest(uint64_t& hi, uint64_t& lo) {
  XXH128_hash_t h = XXH3_128bits_digest(state_);
  hi = h.high64;
  lo = h.low64;
}

std::vector<PageLinks> GroupByPage(std::span<const LinkRow> links, uint64_t seed) {
  std::vector<PageLinks> pages;
  std::unordered_map<std::string_view, size_t> index;
  for (const LinkRow& l : links) {
    auto [it, added] = index.try_emplace(l.from, pages.size());
    if (added) pages.push_back(PageLinks{l.from, {}, 0, 0});
    pages[it->second].members.push_back(&l);
  }
  for (PageLinks& p : pages) {
    // Stable: of a target linked twice, the first link stays (nofollow and kind as it had them).
    std::stable_sort(p.members.begin(), p.members.end(), [](const LinkRow* a, const LinkRow* b) { return a->to < b->to; });
    p.members.erase(std::unique(p.members.begin(), p.members.end(),
                                [](const LinkRow* a, const LinkRow* b) { return a->to == b->to; }),
                    p.members.end());
    Hash(p, seed);
  }
  return pages;
}

uint64_t ReadLinkSetSeed(sql::Database& db) {
  auto st = db.Prepare("SELECT seed FROM link_set_seed");
  if (!st.Step()) throw sql::Error(db.path() + ": its link_set_seed is missing (schema 10)", sql::kError);
  return uint64_t(st.Int(0));
}

LinkSets::LinkSets(sql::Database& db)
    : ids_(db),
      seed_(ReadLinkSetSeed(db)),
      db_(db),
      find_set_(db.Prepare("SELECT id FROM link_sets WHERE hash_hi = ? AND hash_lo = ? AND members = ?")),
      add_set_(db.Prepare("INSERT INTO link_sets (hash_hi, hash_lo, members) VALUES (?, ?, ?)")),
      add_member_(db.Prepare("INSERT INTO link_set_members (set_id, to_id, nofollow, resource_kind) VALUES (?, ?, ?, ?)")),
      add_page_(db.Prepare("INSERT INTO page_link_sets (run_id, from_id, set_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {}

void LinkSets::Write(int64_t run_id, std::span<const LinkRow> links) {
  ids_.Forget();  // a new transaction
  for (const PageLinks& p : GroupByPage(links, seed_)) {
    const int64_t size = int64_t(p.members.size());
    int64_t set = FindOrAddSet(db_, find_set_, add_set_, p.hash_hi, p.hash_lo, size, [&](int64_t id) {
      for (const LinkRow* m : p.members) {
        add_member_.Bind(1, id).Bind(2, ids_.Id(m->to)).Bind(3, int64_t(m->nofollow)).Bind(4, m->resource_kind).Run();
      }
    });
    add_page_.Bind(1, run_id).Bind(2, ids_.Id(p.from)).Bind(3, set).Run();
  }
}

std::vector<SetKey> AddSetsPostgres(sql::Database& db, const std::string& table, std::vector<SetKey> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<SetKey> fresh;
  for (size_t from = 0; from < keys.size(); from += kRowsPerStatement) {
    PgArray hi, lo, size;
    for (size_t i = from; i < std::min(keys.size(), from + kRowsPerStatement); ++i) {
      hi.Add(std::get<0>(keys[i])), lo.Add(std::get<1>(keys[i])), size.Add(std::get<2>(keys[i]));
    }
    // `table` is one of the code's own names, never data.
    auto add = db.Prepare("INSERT INTO " + table + " (hash_hi, hash_lo, members) SELECT u.h, u.l, u.m FROM "
                          "unnest(CAST(?1 AS BIGINT[]), CAST(?2 AS BIGINT[]), CAST(?3 AS BIGINT[])) WITH ORDINALITY "
                          "AS u(h, l, m, n) WHERE NOT EXISTS (SELECT 1 FROM " + table + " s WHERE s.hash_hi = u.h AND "
                          "s.hash_lo = u.l AND s.members = u.m) ORDER BY u.n ON CONFLICT DO NOTHING "
                          "RETURNING hash_hi, hash_lo, members");
    add.Bind(1, hi.str()).Bind(2, lo.str()).Bind(3, size.str());
    while (add.Step()) fresh.emplace_back(add.Int(0), add.Int(1), add.Int(2));
    add.Reset();
  }
  std::sort(fresh.begin(), fresh.end());
  return fresh;
}

void WriteLinkSetsPostgres(sql::Database& db, uint64_t seed, int64_t run_id, std::span<const LinkRow> links) {
  if (links.empty()) return;
  std::vector<PageLinks> pages = GroupByPage(links, seed);
  // Rows a statement inserts are not visible to its own joins: the URLs are in `urls` already (the
  // caller's AddUrlsPostgres), then sets go in, then their members and the pages. Sets are inserted in
  // one ascending order across the batch, so that two workers adding overlapping sets wait for each
  // other rather than deadlock; only those the table lacks.

  using Key = SetKey;
  auto key_of = [](const PageLinks& p) { return Key(int64_t(p.hash_hi), int64_t(p.hash_lo), int64_t(p.members.size())); };
  std::vector<Key> keys;
  for (const PageLinks& p : pages) keys.push_back(key_of(p));
  std::vector<Key> fresh = AddSetsPostgres(db, "link_sets", std::move(keys));  // their members go in

  PgArray mh, ml, mz, mt, mn, mk;
  size_t rows = 0;
  auto members = [&] {
    if (rows == 0) return;
    auto st = db.Prepare(
        "INSERT INTO link_set_members (set_id, to_id, nofollow, resource_kind) SELECT s.id, t.id, m.n, m.k FROM "
        "unnest(CAST(?1 AS BIGINT[]), CAST(?2 AS BIGINT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS TEXT[]), "
        "CAST(?5 AS BIGINT[]), CAST(?6 AS TEXT[])) AS m(h, l, z, t, n, k) JOIN link_sets s ON s.hash_hi = m.h AND "
        "s.hash_lo = m.l AND s.members = m.z JOIN urls t ON t.url = m.t ON CONFLICT DO NOTHING");
    st.Bind(1, mh.str()).Bind(2, ml.str()).Bind(3, mz.str()).Bind(4, mt.str()).Bind(5, mn.str()).Bind(6, mk.str()).Run();
    mh = PgArray(), ml = PgArray(), mz = PgArray(), mt = PgArray(), mn = PgArray(), mk = PgArray();
    rows = 0;
  };
  for (const PageLinks& p : pages) {
    Key key = key_of(p);
    auto it = std::lower_bound(fresh.begin(), fresh.end(), key);
    if (it == fresh.end() || *it != key) continue;
    fresh.erase(it);  // two pages of one batch with the same links: the set's members once
    for (const LinkRow* m : p.members) {
      mh.Add(std::get<0>(key)), ml.Add(std::get<1>(key)), mz.Add(std::get<2>(key)), mt.Add(m->to);
      mn.Add(int64_t(m->nofollow)), mk.Add(m->resource_kind);
      if (++rows == kRowsPerStatement) members();
    }
  }
  members();

  // The page rows in one order (the pages' bytes): two workers writing rows of the same pages wait for
  // each other rather than deadlock.
  std::sort(pages.begin(), pages.end(), [](const PageLinks& a, const PageLinks& b) { return a.from < b.from; });
  for (size_t from = 0; from < pages.size(); from += kRowsPerStatement) {
    PgArray f, hi, lo, size;
    for (size_t i = from; i < std::min(pages.size(), from + kRowsPerStatement); ++i) {
      f.Add(pages[i].from), hi.Add(int64_t(pages[i].hash_hi)), lo.Add(int64_t(pages[i].hash_lo));
      size.Add(int64_t(pages[i].members.size()));
    }
    auto st = db.Prepare(
        "INSERT INTO page_link_sets (run_id, from_id, set_id) SELECT CAST(?1 AS BIGINT), f.id, s.id FROM "
        "unnest(CAST(?2 AS TEXT[]), CAST(?3 AS BIGINT[]), CAST(?4 AS BIGINT[]), CAST(?5 AS BIGINT[])) WITH ORDINALITY "
        "AS p(f, h, l, z, n) JOIN urls f ON f.url = p.f JOIN link_sets s ON s.hash_hi = p.h AND s.hash_lo = p.l AND "
        "s.members = p.z ORDER BY p.n ON CONFLICT DO NOTHING");
    st.Bind(1, run_id).Bind(2, f.str()).Bind(3, hi.str()).Bind(4, lo.str()).Bind(5, size.str()).Run();
  }
}

void DeleteUnusedSets(sql::Database& db) {
  if (db.postgres()) {
    // These deletes read the whole of the set tables (hash anti-joins: seconds for millions of rows),
    // under a lock that holds every worker's next batch meanwhile: a prune while workers crawl leaves
    // the unused lists and URLs to the next prune that finds none crawling.
    if (LiveWorkers(db) > 0) return;
    // No worker may be between adding a transaction's URLs (AddUrlsPostgres) or sets (WriteLinkSetsPostgres,
    // WriteFragmentSetsPostgres) and the rows that use them: this waits for those in flight, and they for it.
    db.Exec("LOCK TABLE urls, link_sets, anchor_sets, fragment_sets IN SHARE ROW EXCLUSIVE MODE");
    db.Exec("DELETE FROM link_set_members m WHERE NOT EXISTS (SELECT 1 FROM page_link_sets p WHERE p.set_id = m.set_id)");
    db.Exec("DELETE FROM link_sets s WHERE NOT EXISTS (SELECT 1 FROM page_link_sets p WHERE p.set_id = s.id)");
    DeleteUnusedFragmentSets(db);
    db.Exec("DELETE FROM urls u WHERE NOT EXISTS (SELECT 1 FROM page_link_sets p WHERE p.from_id = u.id) AND NOT EXISTS "
            "(SELECT 1 FROM link_set_members m WHERE m.to_id = u.id) AND NOT EXISTS (SELECT 1 FROM result_rows r WHERE "
            "r.url_id = u.id) AND NOT EXISTS (SELECT 1 FROM result_rows r WHERE r.final_url_id = u.id) AND NOT EXISTS "
            "(SELECT 1 FROM result_rows r WHERE r.source_id = u.id) AND NOT EXISTS (SELECT 1 FROM page_anchor_sets a "
            "WHERE a.page_id = u.id) AND NOT EXISTS (SELECT 1 FROM page_fragment_sets f WHERE f.from_id = u.id) AND NOT "
            "EXISTS (SELECT 1 FROM fragment_set_members m WHERE m.to_id = u.id) AND NOT EXISTS (SELECT 1 FROM "
            "sitemap_url_rows s WHERE s.url_id = u.id) AND NOT EXISTS (SELECT 1 FROM sitemap_url_rows s WHERE "
            "s.sitemap_id = u.id)");
    return;
  }
  // NOT IN (subquery): SQLite reads each id list once into a temporary index (a NOT EXISTS would probe
  // page_link_sets by from_id, which no index starts with, once per URL).
  db.Exec("DELETE FROM link_set_members WHERE set_id NOT IN (SELECT set_id FROM page_link_sets)");
  db.Exec("DELETE FROM link_sets WHERE id NOT IN (SELECT set_id FROM page_link_sets)");
  DeleteUnusedFragmentSets(db);
  db.Exec("DELETE FROM urls WHERE id NOT IN (SELECT from_id FROM page_link_sets UNION SELECT to_id FROM link_set_members "
          "UNION SELECT url_id FROM result_rows UNION SELECT final_url_id FROM result_rows WHERE final_url_id IS NOT NULL "
          "UNION SELECT source_id FROM result_rows WHERE source_id IS NOT NULL UNION SELECT page_id FROM page_anchor_sets "
          "UNION SELECT from_id FROM page_fragment_sets UNION SELECT to_id FROM fragment_set_members UNION SELECT url_id "
          "FROM sitemap_url_rows UNION SELECT sitemap_id FROM sitemap_url_rows)");
}

void MoveLinksIntoSets(sql::Database& db) {
  std::vector<int64_t> runs;
  {
    auto st = db.Prepare("SELECT DISTINCT run_id FROM links ORDER BY run_id");
    while (st.Step()) runs.push_back(st.Int(0));
  }
  std::optional<LinkSets> sqlite;
  if (!db.postgres()) sqlite.emplace(db);
  // A run of a large site has millions of links: they move a chunk of whole pages at a time, at most a
  // thousand pages and, once it has one page, at most 100,000 links (a page has at most --max-links, 10,000
  // by default, so a chunk's memory stays ~10 MB however the pages are spread). The pages are listed with
  // their counts a thousand at a time, each after the last one listed (a range the primary key's index
  // seeks to; the first from '', the least text, so that even a page whose URL is empty is moved), and a
  // chunk takes them in order: each page is counted once, whatever the chunks. (PostgreSQL's client reads a
  // whole result, so pages listed and not yet taken are kept, not listed again.)
  constexpr int64_t kLinksPerChunk = 100'000;
  constexpr size_t kPagesPerChunk = 1000;
  auto pages = db.Prepare(
      "SELECT from_url, count(*) FROM links WHERE run_id = ?1 AND from_url > ?2 GROUP BY from_url ORDER BY from_url "
      "LIMIT 1000");
  auto first_pages = db.Prepare(
      "SELECT from_url, count(*) FROM links WHERE run_id = ?1 AND from_url >= '' GROUP BY from_url ORDER BY from_url "
      "LIMIT 1000");
  // The chunk's links: those in its range of pages (the database's order, which may not be bytes').
  auto read = db.Prepare(
      "SELECT from_url, to_url, nofollow, resource_kind FROM links WHERE run_id = ?1 AND from_url >= ?2 AND "
      "from_url <= ?3 ORDER BY from_url, to_url");
  const uint64_t seed = db.postgres() ? ReadLinkSetSeed(db) : 0;
  for (int64_t run : runs) {
    std::deque<std::pair<std::string, int64_t>> listed;  // pages listed, not yet in a chunk
    std::optional<std::string> last_listed;
    bool all_listed = false;
    // True when a page waits in `listed`, listing the next thousand when none does.
    auto page_waits = [&] {
      if (!listed.empty() || all_listed) return !listed.empty();
      sql::Statement& st = last_listed ? pages : first_pages;
      st.Bind(1, run);
      if (last_listed) st.Bind(2, *last_listed);
      while (st.Step()) listed.emplace_back(st.Text(0), st.Int(1));
      st.Reset();
      all_listed = listed.size() < 1000;
      if (!listed.empty()) last_listed = listed.back().first;
      return !listed.empty();
    };
    while (page_waits()) {
      const std::string low = listed.front().first;
      std::string high;
      int64_t links = 0;
      size_t taken = 0;
      while (taken < kPagesPerChunk && page_waits() &&
             (taken == 0 || links + listed.front().second <= kLinksPerChunk)) {
        high = std::move(listed.front().first);
        links += listed.front().second;
        listed.pop_front();
        ++taken;
      }
      std::vector<LinkRow> rows;
      rows.reserve(size_t(links));
      read.Bind(1, run).Bind(2, low).Bind(3, high);
      while (read.Step()) rows.push_back(LinkRow{read.Text(0), read.Text(1), read.Int(2) != 0, read.OptText(3)});
      read.Reset();
      if (sqlite) {
        sqlite->Write(run, rows);
      } else {
        // Every URL of `links` is in `urls` already: the schema step (schema_postgres.cc, 9 -> 10) added
        // them in one statement, in this transaction.
        WriteLinkSetsPostgres(db, seed, run, rows);
      }
    }
  }
}

}  // namespace gc::storage
