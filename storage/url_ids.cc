#include "storage/url_ids.h"

#include <algorithm>

#include "storage/pg_array.h"

namespace gc::storage {

UrlIds::UrlIds(sql::Database& db)
    : db_(db), find_(db.Prepare("SELECT id FROM urls WHERE url = ?")), add_(db.Prepare("INSERT INTO urls (url) VALUES (?)")) {}

int64_t UrlIds::Id(const std::string& url) {
  if (auto it = cache_.find(url); it != cache_.end()) return it->second;
  find_.Bind(1, url);
  int64_t id;
  if (find_.Step()) {
    id = find_.Int(0);
    find_.Reset();
  } else {
    find_.Reset();
    add_.Bind(1, url).Run();
    id = db_.LastInsertRowid();  // urls.id is the rowid
  }
  cache_.emplace(url, id);
  return id;
}

void AddUrlsPostgres(sql::Database& db, std::vector<std::string_view>& urls) {
  constexpr size_t kPerStatement = 5'000;  // bounds a parameter's size
  std::sort(urls.begin(), urls.end());      // byte order, as COLLATE "C"
  urls.erase(std::unique(urls.begin(), urls.end()), urls.end());
  for (size_t from = 0; from < urls.size(); from += kPerStatement) {
    PgArray chunk;
    for (size_t i = from; i < std::min(urls.size(), from + kPerStatement); ++i) chunk.Add(urls[i]);
    auto add = db.Prepare(
        "INSERT INTO urls (url) SELECT u.url FROM unnest(CAST(?1 AS TEXT[])) WITH ORDINALITY AS u(url, n) "
        "WHERE NOT EXISTS (SELECT 1 FROM urls WHERE urls.url = u.url) ORDER BY u.n ON CONFLICT DO NOTHING");
    add.Bind(1, chunk.str()).Run();
  }
}

}  // namespace gc::storage
