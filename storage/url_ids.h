// The id of a URL's text in the urls table (schema 10): each URL is stored once for all runs, and the
// link tables name URLs by id (storage/link_sets.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/sql.h"

namespace gc::storage {

// SQLite's URL ids, one statement per URL not seen in this batch. (PostgreSQL's store sends a
// transaction's URLs in one statement instead: AddUrlsPostgres, below.)
class UrlIds {
 public:
  explicit UrlIds(sql::Database& db);

  // urls.id of `url`, added when new. Call it inside the write transaction whose rows use the id: prune
  // deletes the URLs no link names, and it cannot run between the lookup and the row (BEGIN IMMEDIATE).
  int64_t Id(const std::string& url);

  // Forget the ids looked up so far: call it when a new transaction begins, since a prune between two
  // transactions may have deleted a URL this remembers.
  void Forget() { cache_.clear(); }

 private:
  sql::Database& db_;
  sql::Statement find_;
  sql::Statement add_;
  // A page's navigation links repeat on every page of a batch: each is looked up once a batch.
  std::unordered_map<std::string, int64_t> cache_;
};

// PostgreSQL: adds to urls those of `urls` it lacks, a few statements for any number, in one ascending
// (byte) order, so that two workers adding overlapping URLs in their transactions wait for each other
// rather than deadlock: a batch adds all its URLs (results' and links') in one call, first. Only
// missing ones are inserted (ON CONFLICT alone would spend a sequence number on every repeat). The
// inserts hold urls in ROW EXCLUSIVE mode until the commit, which keeps a prune from deleting an id
// meanwhile (DeleteUnusedSets). Sorts `urls`.
void AddUrlsPostgres(sql::Database& db, std::vector<std::string_view>& urls);

}  // namespace gc::storage
