// Many workers on one run through PostgreSQL: a real server started here (tests/pg_server.sh: initdb into
// a temporary directory, a unix socket only), real greencrawl processes, real local HTTP servers.
// Skipped (exit 77) where PostgreSQL 15 is not installed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/result_store.h"
#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
namespace sql = gc::sql;

namespace {

#ifdef GC_SANITIZED
constexpr int kBigList = 10'000;  // ASan + UBSan make every request several times slower
#else
constexpr int kBigList = 50'000;
#endif

// The server for the whole test binary, and a fresh database per test.
struct PgServer {
  TempDir dir;
  std::string admin_uri;
  int databases = 0;
  bool Start() {
    auto f = Run({"/bin/bash", PG_SERVER_SH, "start", dir.path}, "pg-start");
    if (f.exit_code != 0) {
      std::cout << "pg_test: SKIPPED: " << f.err;
      return false;
    }
    admin_uri = f.out.substr(0, f.out.find('\n'));
    return true;
  }
  ~PgServer() {
    if (!admin_uri.empty()) Run({"/bin/bash", PG_SERVER_SH, "stop", dir.path}, "pg-stop");
  }
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
PgServer* pg = nullptr;

void ServeFast(TestServer& s, int delay_ms = 0) {
  s.Handle("/p*", [delay_ms](const HttpRequest& req, Conn& c) {
    if (delay_ms > 0 && !c.Sleep(delay_ms)) return;
    c.Respond(200, "<title>Page " + req.path.substr(2) + "</title>");
  });
}

bool WaitFor(const std::string& db, const std::string& sql, int64_t above, std::chrono::seconds timeout) {
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

// The most requests one server had in flight at once, from its own log.
int PeakInFlight(const TestServer& s) {
  auto log = s.Log();
  int peak = 0;
  for (const auto& e : log) {
    int overlapping = 0;
    for (const auto& other : log) overlapping += other.start_s <= e.start_s && other.end_s > e.start_s;
    peak = std::max(peak, overlapping);
  }
  return peak;
}

std::set<std::string> Rows(const std::string& db, const std::string& sql) {
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

}  // namespace

TEST_CASE("3 workers on one list: one SIGKILLed, one SIGSTOPped past its lease; exactly one row per URL") {
  const int hosts = 5, n = kBigList;
  std::vector<std::unique_ptr<TestServer>> servers;
  std::string list;
  for (int h = 0; h < hosts; ++h) {
    servers.push_back(std::make_unique<TestServer>());
    ServeFast(*servers.back());
  }
  for (int i = 0; i < n; ++i) list += servers[size_t(i % hosts)]->Url("/p" + std::to_string(i)) + "\n";
  TempDir dir;
  WriteFile(dir / "list.txt", list);
  std::string db = pg->NewDatabase();
  auto first = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "20", "--lease", "3", "--quiet",
                      dir / "list.txt"},
                     "w1");
  // The run exists once its list is loaded; then two more workers join it.
  REQUIRE(WaitFor(db, "SELECT count(*) FROM runs WHERE urls_total IS NOT NULL", 0, std::chrono::seconds(120)));
  auto killed = Start({GREENCRAWL_BIN, "join", "--db", db, "--concurrency", "20", "--lease", "3", "--quiet"}, "w2");
  auto stopped = Start({GREENCRAWL_BIN, "join", "--db", db, "--concurrency", "20", "--lease", "3", "--quiet"}, "w3");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM results", n / 10, std::chrono::seconds(300)));
  // All three took hosts (5 hosts, a fair share each) before anything was done to them.
  CHECK(Scalar(db, "SELECT count(DISTINCT worker) FROM hosts WHERE worker IS NOT NULL") >= 2);
  kill(killed.pid, SIGKILL);
  kill(stopped.pid, SIGSTOP);
  int64_t at_stop = Scalar(db, "SELECT count(*) FROM results");
  // Past the lease (3 s), the first worker takes over both workers' hosts and goes on.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  CHECK(WaitFor(db, "SELECT count(*) FROM results", at_stop + 100, std::chrono::seconds(120)));
  kill(stopped.pid, SIGCONT);
  auto f1 = Wait(first);
  auto f2 = Wait(killed);
  auto f3 = Wait(stopped);
  CHECK(f1.exit_code == 0);
  CHECK(f2.signal == SIGKILL);
  // The stopped worker learns that its lease is gone (or that the server ended its session) and stops
  // without recording anything another worker has.
  CHECK(f3.exit_code != 0);
  INFO("w1: " << f1.err << "\nw3: " << f3.err);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
  CHECK(Scalar(db, "SELECT count(*) FROM results") == n);
  CHECK(Scalar(db, "SELECT count(DISTINCT url) FROM results") == n);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == n);
  CHECK(Scalar(db, "SELECT count(*) FROM frontier") == 0);  // cleared by the worker that completed the run
}

TEST_CASE("a recursive crawl with 2 workers finds the same URL set as one worker alone") {
  // Three hosts whose pages link to each other: page i links to i+1 and 3i on the next host.
  std::vector<std::unique_ptr<TestServer>> servers;
  for (int h = 0; h < 3; ++h) servers.push_back(std::make_unique<TestServer>());
  const int pages = 300;
  for (int h = 0; h < 3; ++h) {
    TestServer* next = servers[size_t((h + 1) % 3)].get();
    TestServer* self = servers[size_t(h)].get();
    self->Handle("/p*", [self, next](const HttpRequest& req, Conn& c) {
      c.Sleep(5);
      int i = std::atoi(req.path.substr(2).c_str());
      std::string body = "<title>" + req.path + "</title>";
      if (i + 1 < pages) body += "<a href=\"" + self->Url("/p" + std::to_string(i + 1)) + "\">n</a>";
      if (3 * i < pages) body += "<a href=\"" + next->Url("/p" + std::to_string(3 * i)) + "\">x</a>";
      c.Respond(200, body);
    });
  }
  TempDir dir;
  WriteFile(dir / "seed.txt", servers[0]->Url("/p0") + "\n");
  std::vector<std::string> common = {"-r", "--depth", "400", "--scope", "any", "--ignore-robots", "--quiet"};
  std::vector<std::string> alone = {GREENCRAWL_BIN, "crawl", "--db", dir / "one.db"};
  alone.insert(alone.end(), common.begin(), common.end());
  alone.push_back(dir / "seed.txt");
  REQUIRE(Run(alone, "alone").exit_code == 0);

  std::string db = pg->NewDatabase();
  std::vector<std::string> a = {GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "8"};
  a.insert(a.end(), common.begin(), common.end());
  a.push_back(dir / "seed.txt");
  auto w1 = Start(a, "r1");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM results", 10, std::chrono::seconds(120)));
  auto w2 = Start({GREENCRAWL_BIN, "join", "--db", db, "--concurrency", "8", "--quiet"}, "r2");
  auto f1 = Wait(w1), f2 = Wait(w2);
  INFO("w1: " << f1.err << "\nw2: " << f2.err);
  CHECK(f1.exit_code == 0);
  CHECK(f2.exit_code == 0);
  auto expected = Rows(dir / "one.db", "SELECT url, status FROM results");
  CHECK(expected.size() == size_t(3 * pages));
  CHECK(Rows(db, "SELECT url, status FROM results") == expected);
  CHECK(Scalar(db, "SELECT count(*) FROM results") == int64_t(expected.size()));  // none twice
  CHECK(Text(db, "SELECT status FROM runs") == "completed");
}

TEST_CASE("--per-host holds across 3 workers, measured from each server's own log") {
  std::vector<std::unique_ptr<TestServer>> servers;
  std::string list;
  for (int h = 0; h < 3; ++h) {
    servers.push_back(std::make_unique<TestServer>());
    ServeFast(*servers.back(), 20);
  }
  for (int i = 0; i < 300; ++i) list += servers[size_t(i % 3)]->Url("/p" + std::to_string(i)) + "\n";
  TempDir dir;
  WriteFile(dir / "list.txt", list);
  std::string db = pg->NewDatabase();
  auto w1 = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "50", "--per-host", "2", "--quiet",
                   dir / "list.txt"},
                  "p1");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM runs WHERE urls_total IS NOT NULL", 0, std::chrono::seconds(60)));
  auto w2 = Start({GREENCRAWL_BIN, "join", "--db", db, "--concurrency", "50", "--quiet"}, "p2");
  auto w3 = Start({GREENCRAWL_BIN, "join", "--db", db, "--concurrency", "50", "--quiet"}, "p3");
  CHECK(Wait(w1).exit_code == 0);
  CHECK(Wait(w2).exit_code == 0);
  CHECK(Wait(w3).exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 300);
  for (auto& s : servers) {
    CHECK(s->Requests() == 100);
    CHECK(PeakInFlight(*s) <= 2);  // --per-host 2, although 3 workers x 50 could have sent 150
  }
}

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  PgServer server;
  if (!server.Start()) return 77;
  pg = &server;
  doctest::Context context(argc, argv);
  int rc = context.run();
  pg = nullptr;
  return rc;
}
