// Helpers shared by the end-to-end tests: a temporary directory, files, and one-value SQLite queries.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/sqlite.h"

namespace gc::testing {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/greencrawl-e2e-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The first column of the first row of `sql` on a read-only connection (-1 for NULL). Throws
// sqlite::Error; a missing row is a test failure, reported as an exception too.
inline int64_t Scalar(const std::string& db, const std::string& sql) {
  sqlite::Database d(db, sqlite::Database::Mode::kReadOnly);
  auto st = d.Prepare(sql);
  if (!st.Step()) throw sqlite::Error("no row for: " + sql, SQLITE_ERROR);
  return st.IsNull(0) ? -1 : st.Int(0);
}

inline std::string Text(const std::string& db, const std::string& sql) {
  sqlite::Database d(db, sqlite::Database::Mode::kReadOnly);
  auto st = d.Prepare(sql);
  if (!st.Step()) throw sqlite::Error("no row for: " + sql, SQLITE_ERROR);
  return st.Text(0);
}

}  // namespace gc::testing
