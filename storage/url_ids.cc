#include "storage/url_ids.h"

namespace gc::storage {

UrlIds::UrlIds(sql::Database& db)
    : find_(db.Prepare("SELECT id FROM urls WHERE url = ?")),
      add_(db.Prepare("INSERT INTO urls (url) VALUES (?) RETURNING id")) {}

int64_t UrlIds::Id(const std::string& url) {
  if (auto it = cache_.find(url); it != cache_.end()) return it->second;
  find_.Bind(1, url);
  int64_t id;
  if (find_.Step()) {
    id = find_.Int(0);
    find_.Reset();
  } else {
    find_.Reset();
    add_.Bind(1, url);
    add_.Step();
    id = add_.Int(0);
    add_.Reset();
  }
  cache_.emplace(url, id);
  return id;
}

}  // namespace gc::storage
