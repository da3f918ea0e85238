// What the storage tests share: a database file in its own temporary folder, and a result row to write.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>

#include "storage/result_store.h"

namespace gc::testing {

struct TempDb {
  std::string dir, path;
  TempDb() {
    char tmpl[] = "/tmp/greencrawl-db-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/r.db";
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
};

// A result as a list crawl records it, fetched now, not in the frontier.
inline storage::ResultRow Row(const std::string& url, std::optional<int64_t> status, std::optional<int64_t> size,
                              double ms, std::optional<std::string> title = std::nullopt,
                              std::optional<std::string> error = std::nullopt,
                              std::optional<std::string> hash = std::nullopt) {
  storage::ResultRow r;
  r.url = url;
  r.status = status;
  r.size = size;
  r.total_ms = ms;
  r.title = title;
  r.error = error;
  r.content_hash = hash;
  r.fetched_at = storage::UtcNow();
  r.in_frontier = false;
  return r;
}

}  // namespace gc::testing
