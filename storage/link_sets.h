// How the links of fetched pages are stored (schema 10, issue 29.1): each URL's text once (urls), each
// distinct list of a page's links once (link_sets, link_set_members), and per run only which list each
// page had (page_link_sets). A page unchanged since last night -- a 304 carrying its links, or a 200 with
// the same links -- adds one row to a run, not one per link; the view `links` shows every run's links as
// the table of that name did before (docs/schema.md, "How links are stored").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "storage/sql.h"
#include "storage/url_ids.h"

struct XXH3_state_s;  // <xxhash.h>

namespace gc::storage {

struct LinkRow {
  std::string from, to;
  bool nofollow = false;
  std::optional<std::string> resource_kind{};  // the page -> resource edges of --check-resources (schema 8)
};

// One page's links as a set: its targets, each once (the first of repeated ones, as the links table's
// primary key kept it), sorted by target, and the set's 128-bit hash by which equal sets are shared.
// The hash is XXH3-128 seeded with the database's own secret (link_set_seed), and a set is found by it
// and its size: a page crafted to collide with another's links would have to know that secret.
struct PageLinks {
  std::string from;
  std::vector<const LinkRow*> members;
  uint64_t hash_hi = 0, hash_lo = 0;
};

// `links` grouped by page, in order of each page's first link. Each PageLinks points into `links`.
std::vector<PageLinks> GroupByPage(std::span<const LinkRow> links, uint64_t seed);

// The database's link_set_seed.
uint64_t ReadLinkSetSeed(sql::Database& db);

// SQLite's writer. Call Write inside the write transaction (BEGIN IMMEDIATE): prune deletes the sets and
// URLs no run uses, and cannot run between a lookup and the row that uses its id.
class LinkSets {
 public:
  explicit LinkSets(sql::Database& db);
  // Records the links of run `run_id`. A page that already has links in the run keeps them (a page is
  // recorded once a run; one fetched twice in a run, which is rare, has the same links both times).
  void Write(int64_t run_id, std::span<const LinkRow> links);

 private:
  UrlIds ids_;
  uint64_t seed_;
  sql::Database& db_;
  sql::Statement find_set_, add_set_, add_member_, add_page_;
};

// A list's 128-bit hash, from its bytes streamed in as they are read (no copy of the list): XXH3-128 with
// the database's seed (link_set_seed), the same as one call over the same bytes, so that a list stored
// before is found again. One state per thread, reset by the constructor: one SetHash at a time a thread.
class SetHash {
 public:
  explicit SetHash(uint64_t seed);
  void Add(std::string_view bytes);
  void Digest(uint64_t& hi, uint64_t& lo);

 private:
  XXH3_state_s* state_;  // the thread's
};

// SQLite: the id of the set with key (hi, lo, members) in the table `find` and `add` are prepared on
// (find: SELECT id ... WHERE hash_hi = ?1 AND hash_lo = ?2 AND members = ?3; add: INSERT of those three,
// the id being the rowid). A set not found is added, and add_members(id) writes its members.
template <typename AddMembers>
int64_t FindOrAddSet(sql::Database& db, sql::Statement& find, sql::Statement& add, uint64_t hi, uint64_t lo,
                     int64_t members, AddMembers&& add_members) {
  find.Bind(1, int64_t(hi)).Bind(2, int64_t(lo)).Bind(3, members);
  int64_t id = 0;
  const bool known = find.Step();
  if (known) id = find.Int(0);
  find.Reset();
  if (!known) {
    add.Bind(1, int64_t(hi)).Bind(2, int64_t(lo)).Bind(3, members).Run();
    id = db.LastInsertRowid();
    add_members(id);
  }
  return id;
}

// PostgreSQL's writer: a constant number of statements however many links, inside the caller's
// transaction (ResultStore::WriteShared). Every URL the links name must be in `urls` already
// (AddUrlsPostgres, called once for the whole transaction by its writer).
// A set's key: its hash (hash_hi, hash_lo) and how many members it has.
using SetKey = std::tuple<int64_t, int64_t, int64_t>;

// PostgreSQL: adds to `table` (link_sets, anchor_sets or fragment_sets) the sets of `keys` it lacks, in
// one ascending order, so that two workers adding overlapping sets wait for each other rather than
// deadlock; returns those this call created, sorted: their members go in next. A set another worker is
// adding meanwhile is that worker's to fill.
std::vector<SetKey> AddSetsPostgres(sql::Database& db, const std::string& table, std::vector<SetKey> keys);

void WriteLinkSetsPostgres(sql::Database& db, uint64_t seed, int64_t run_id, std::span<const LinkRow> links);

// After runs were deleted: deletes the link, anchor and fragment sets no run uses any more, and the URLs
// no set, page or result names. PostgreSQL: not while workers are crawling (it would hold their writes
// for as long as it reads the tables); the next prune that finds none does it.
void DeleteUnusedSets(sql::Database& db);

// The migration to schema 10: every row of the old links table into the new tables (SQLite or
// PostgreSQL), inside the migration's transaction.
void MoveLinksIntoSets(sql::Database& db);

}  // namespace gc::storage
