// What the PostgreSQL tests share: one real server per test binary (tests/pg_server.sh: initdb into a
// temporary directory, a unix socket only), a fresh database per test, and small waits on the database's
// state. A test binary defines DOCTEST_CONFIG_IMPLEMENT, includes doctest and this header, and has
//   int main(int argc, char** argv) { return gc::testing::PgTestMain(argc, argv); }
// which exits 77 (skipped) where PostgreSQL 15 is not installed.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <clocale>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

namespace gc::testing {

#ifdef GC_SANITIZED
inline constexpr int kBigList = 10'000;  // ASan + UBSan make every request several times slower
#else
inline constexpr int kBigList = 50'000;
#endif

// The server for the whole test binary, and a fresh database per test.
struct PgServer {
  TempDir dir;
  std::string admin_uri;
  int databases = 0;
  bool Start() {
    auto f = Run({"/bin/bash", PG_SERVER_SH, "start", dir.path}, "pg-start");
    if (f.exit_code != 0) {
      std::cout << "SKIPPED (no PostgreSQL server could be started): " << f.err;
      return false;
    }
    admin_uri = f.out.substr(0, f.out.find('\n'));
    return true;
  }
  ~PgServer() {
    if (!admin_uri.empty()) Run({"/bin/bash", PG_SERVER_SH, "stop", dir.path}, "pg-stop");
  }
  // Stopped as an administrator stops it (pg_ctl stop -m fast: every session ended), then started again.
  bool Down() { return Run({"/bin/bash", PG_SERVER_SH, "down", dir.path}, "pg-down").exit_code == 0; }
  bool Up() { return Run({"/bin/bash", PG_SERVER_SH, "up", dir.path}, "pg-up").exit_code == 0; }
  // A new empty database, as a libpq URI.
  std::string NewDatabase() {
    std::string name = "t" + std::to_string(++databases);
    sql::Database admin(admin_uri, sql::Database::Mode::kReadWrite);
    admin.Exec("CREATE DATABASE " + name);  // our own name, not user text
    std::string uri = admin_uri;
    uri.replace(uri.find("/postgres?"), 10, "/" + name + "?");
    return uri;
  }
};
inline PgServer* pg = nullptr;  // set by PgTestMain for the whole binary

inline void ServeFast(TestServer& s, int delay_ms = 0) {
  s.Handle("/p*", [delay_ms](const HttpRequest& req, Conn& c) {
    if (delay_ms > 0 && !c.Sleep(delay_ms)) return;
    c.Respond(200, "<title>Page " + req.path.substr(2) + "</title>");
  });
}

// A list of `n` URLs (/p0 ...) of one server, written to dir/list.txt; returns its path.
inline std::string OneHostList(const TestServer& s, int n, const TempDir& dir) {
  std::string list;
  for (int i = 0; i < n; ++i) list += s.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  return dir / "list.txt";
}

inline bool WaitFor(const std::string& db, const std::string& sql, int64_t above, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (Scalar(db, sql) > above) return true;
    } catch (const sql::Error&) {  // not created yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Every row of `sql` as "a|b|NULL", as a set: compared without regard to order.
inline std::set<std::string> RowSet(const std::string& db, const std::string& sql) {
  sql::Database d(db, sql::Database::Mode::kReadOnly);
  auto st = d.Prepare(sql);
  std::set<std::string> out;
  while (st.Step()) {
    std::string row;
    for (int i = 0; i < st.columns(); ++i) row += (i ? "|" : "") + (st.IsNull(i) ? "NULL" : st.Text(i));
    out.insert(row);
  }
  return out;
}

// True once the child has exited (not reaped: Wait() collects it).
inline bool Exited(const Child& c) {
  siginfo_t info{};
  return waitid(P_PID, id_t(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c.pid;
}

// `text` with every `from` replaced by `to` (a database's name in one engine's output by the other's).
inline std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

inline int PgTestMain(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  PgServer server;
  if (!server.Start()) return 77;
  pg = &server;
  doctest::Context context(argc, argv);
  int rc = context.run();
  pg = nullptr;
  return rc;
}

}  // namespace gc::testing
