// No password from a PostgreSQL URI reaches any output: every command, every report format, the crawl's
// summary and its suggested commands, --print-config, refusals and errors, all against a real server
// (tests/pg_server.sh; its trust authentication accepts and ignores the password, so the URI carries one
// as a user's would). Skipped (exit 77) where PostgreSQL 15 is not installed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <clocale>
#include <iostream>
#include <string>
#include <vector>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
namespace sql = gc::sql;

namespace {

std::string g_admin_uri;

// Both halves of the password occur in no output: the userinfo one as written ("%23") or decoded ("#"),
// and the query's password= one.
constexpr const char* kSecrets[] = {"Userinfo9", "PwQuery7"};

void CheckNoSecret(const std::string& what, const std::string& text) {
  for (const char* secret : kSecrets) {
    CAPTURE(what);
    CAPTURE(text);
    CHECK(text.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("a password in a PostgreSQL URI appears in no command's output, no report format, no message") {
  {
    sql::Database admin(g_admin_uri, sql::Database::Mode::kReadWrite);
    admin.Exec("CREATE DATABASE redact");
  }
  // postgresql:///postgres?host=DIR&user=greencrawl -> a password in the userinfo and in the query.
  std::string host_query = g_admin_uri.substr(g_admin_uri.find('?'));
  std::string uri = "postgresql://greencrawl:Pw%23Userinfo9@/redact" + host_query + "&password=PwQuery7";
  TestServer server;
  server.Handle("/p*", [](const HttpRequest& req, Conn& c) {
    c.Respond(req.path == "/p1" ? 404 : 200, "<title>Page</title>");
  });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p0") + "\n" + server.Url("/p1") + "\n");
  WriteFile(dir / "other.txt", server.Url("/p2") + "\n");
  const std::string bin = GREENCRAWL_BIN;

  std::vector<std::vector<std::string>> commands = {
      {"crawl", "--db", uri, dir / "list.txt"},  // run 1: the human summary
      {"crawl", "--db", uri, "--json", "--report-html", dir / "crawl.html", dir / "list.txt"},  // run 2
      {"crawl", "--db", uri, "--print-config", dir / "list.txt"},
      {"runs", "--db", uri},
      {"runs", "--db", uri, "--json"},
      {"report", "--db", uri},
      {"report", "--db", uri, "--all"},
      {"report", "--db", uri, "--json"},
      {"report", "--db", uri, "--html", "-o", "-"},
      {"report", "--db", uri, "--html", "-o", dir / "report.html"},
      {"report", "--db", uri, "--format", "junit"},
      {"report", "--db", uri, "--format", "markdown"},
      {"report", "--db", uri, "--run", "99"},
      {"export", "--db", uri, "--format", "csv"},
      {"export", "--db", uri, "--format", "jsonl"},
      {"diff", "--db", uri},
      {"diff", "--db", uri, "--json"},
      {"diff", "--db", uri, "1", "99"},
      {"join", "--db", uri},
      {"prune", "--db", uri, "--keep", "5", "--dry-run"},
  };
  int i = 0;
  for (auto cmd : commands) {
    std::string what = cmd[0] + " (command " + std::to_string(i) + ")";
    cmd.insert(cmd.begin(), bin);
    auto r = Run(cmd, "cmd" + std::to_string(i++));
    CheckNoSecret(what + " (stdout)", r.out);
    CheckNoSecret(what + " (stderr)", r.err);
    if (i == 1) {
      // The summary still names the database, and the command it suggests names it the same way.
      CHECK(r.exit_code == 0);
      CHECK(r.err.find("database: postgresql://greencrawl:***@/redact?") != std::string::npos);
      CHECK(r.err.find("(greencrawl report --db postgresql://greencrawl:***@/redact?") != std::string::npos);
    }
  }
  CheckNoSecret("crawl --report-html", ReadFile(dir / "crawl.html"));
  CheckNoSecret("report --html -o", ReadFile(dir / "report.html"));
  CHECK(ReadFile(dir / "report.html").find("postgresql://greencrawl:***@/redact") != std::string::npos);

  // --resume refused: the unfinished run is of another list.
  {
    sql::Database db(uri, sql::Database::Mode::kReadWrite);
    db.Exec("UPDATE runs SET status = 'interrupted' WHERE id = 2");
  }
  auto refused = Run({bin, "crawl", "--db", uri, "--resume", dir / "other.txt"}, "resume");
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--resume: the unfinished run 2 in postgresql://greencrawl:***@") != std::string::npos);
  CheckNoSecret("crawl --resume", refused.out + refused.err);
}

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  TempDir dir;
  auto started = Run({"/bin/bash", PG_SERVER_SH, "start", dir.path}, "pg-start");
  if (started.exit_code != 0) {
    std::cout << "pg_redact_test: SKIPPED: " << started.err;
    return 77;
  }
  g_admin_uri = started.out.substr(0, started.out.find('\n'));
  doctest::Context context(argc, argv);
  int rc = context.run();
  Run({"/bin/bash", PG_SERVER_SH, "stop", dir.path}, "pg-stop");
  return rc;
}
