// Helpers shared by the end-to-end tests: a temporary directory, files, and one-value SQLite queries.
#pragma once

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "storage/sql.h"

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
// sql::Error; a missing row is a test failure, reported as an exception too.
inline int64_t Scalar(const std::string& db, const std::string& sql) {
  sql::Database d(db, sql::Database::Mode::kReadOnly);
  auto st = d.Prepare(sql);
  if (!st.Step()) throw sql::Error("no row for: " + sql, sql::kError);
  return st.IsNull(0) ? -1 : st.Int(0);
}

inline std::string Text(const std::string& db, const std::string& sql) {
  sql::Database d(db, sql::Database::Mode::kReadOnly);
  auto st = d.Prepare(sql);
  if (!st.Step()) throw sql::Error("no row for: " + sql, sql::kError);
  return st.Text(0);
}

// Every row of `sql` as one line of tab-separated columns (NULL as \N): two tables or views compared
// value for value.
inline std::string Rows(const std::string& db, const std::string& sql) {
  sql::Database d(db, sql::Database::Mode::kReadOnly);
  auto st = d.Prepare(sql);
  std::string out;
  while (st.Step()) {
    for (int c = 0; c < st.columns(); ++c) {
      if (c) out += '\t';
      out += st.IsNull(c) ? std::string("\\N") : st.Text(c);
    }
    out += '\n';
  }
  return out;
}

// Waits until `db` holds more than `rows` results (a crawl has committed some), at most `timeout`.
// Until the crawl has created the file and its schema, reading fails; that only means "not yet".
inline bool WaitForRows(const std::string& db, int64_t rows, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      if (std::filesystem::exists(db) && Scalar(db, "SELECT count(*) FROM results") > rows) return true;
    } catch (const sql::Error&) {
    }
  }
  return false;
}

// A port on 127.0.0.1 with nothing listening now: bound, then closed (a connection to it is refused).
inline int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace gc::testing
