// The command line as a user meets it: one table of settings behind options and job files, lists and
// databases known by what they are, messages that help. Runs the real binary against a local server.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <thread>
#include <sstream>

#include <string>
#include <vector>

#include "app/progress.h"
#include "app/settings.h"
#include "tests/device_guard.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/slow_site.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

// The text after "greencrawl: PREFIX", up to the end of the line.
std::string After(const std::string& err, const std::string& prefix) {
  size_t at = err.find(prefix);
  if (at == std::string::npos) return "<" + prefix + " not in: " + err + ">";
  size_t end = err.find('\n', at);
  return err.substr(at + prefix.size(), end - at - prefix.size());
}

}  // namespace

TEST_CASE("a job file's values are range-checked like the command line's, with the same message and its line") {
  TempDir dir;
  // The values the issue found accepted from a file; each must be refused from both sides alike.
  std::vector<std::pair<std::string, std::string>> bad = {
      {"concurrency", "0"}, {"depth", "-1"}, {"retries", "99"}, {"timeout", "0"},
      {"per-host", "-3"},   {"delay", "-5"}, {"wait-lock", "-1"}, {"max-pages", "-2"}};
  for (const auto& setting : bad) {
    const std::string key = setting.first, value = setting.second;  // not a structured binding: CAPTURE
    CAPTURE(key);
    WriteFile(dir / "job.toml", "# a comment\ndb = \"x.db\"\n" + key + " = " + value + "\n");
    auto file = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "job.toml", "--print-config"}, "file");
    CHECK(file.exit_code == 2);
    CHECK(file.out.empty());  // --print-config shows nothing of a refused file
    auto cli = Run({GREENCRAWL_BIN, "crawl", "--" + key, value, "--print-config"}, "cli");
    CHECK(cli.exit_code == 2);
    std::string from_file = After(file.err, dir / "job.toml:3: " + key + ": ");
    std::string from_cli = After(cli.err, "--" + key + ": ");
    CHECK(from_file.rfind("must be ", 0) == 0);
    CHECK(from_file == from_cli);
  }
  // Choices and checked strings too.
  WriteFile(dir / "job.toml", "scope = \"planet\"\nmax-size = \"12Q\"\n");
  auto scope = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "job.toml"}, "scope");
  CHECK(After(scope.err, "job.toml:1: scope: ") == After(Run({GREENCRAWL_BIN, "crawl", "--scope", "planet", "x"}, "s").err, "--scope: "));
  WriteFile(dir / "job.toml", "fail-on = [\"errors>5%\", \"speed>1\"]\n");
  auto fail_on = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "job.toml"}, "failon");
  CHECK(fail_on.err.find("job.toml:1: fail-on: 'speed>1': unknown metric 'speed'") != std::string::npos);
  // A check that names the value itself is not prefixed with it again; one naming a part of it is.
  auto accept = Run({GREENCRAWL_BIN, "crawl", "--accept", "2x9", "--print-config"}, "accept");
  CHECK(accept.exit_code == 2);
  CHECK(accept.err == "greencrawl: --accept: '2x9' is not a status code or range (e.g. 200-299,429)\n");
  auto part = Run({GREENCRAWL_BIN, "crawl", "--accept", "200,2x9", "--print-config"}, "part");
  CHECK(part.err == "greencrawl: --accept: '200,2x9': '2x9' is not a status code or range (e.g. 200-299,429)\n");
}

TEST_CASE("a job file with a zero concurrency no longer starts a crawl that hangs") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  WriteFile(dir / "job.toml", "list = \"" + (dir / "list.txt") + "\"\ndb = \"" + (dir / "r.db") + "\"\nconcurrency = 0\n");
  auto r = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "job.toml"}, "hang");
  CHECK(r.exit_code == 2);
  CHECK(server.Requests() == 0);
  CHECK(access((dir / "r.db").c_str(), F_OK) != 0);  // refused before anything was created
}

TEST_CASE("the settings table: every row is well formed and names are unique") {
  std::vector<std::string> names;
  for (const auto& s : gc::Settings()) {
    CAPTURE(s.name);
    CHECK(!s.help.empty());
    if (s.type == gc::Setting::Type::kInt || s.type == gc::Setting::Type::kNumber) CHECK(s.min <= s.max);
    for (const auto& n : names) CHECK(n != s.name);
    names.push_back(s.name);
  }
  CHECK(gc::Nearest("concurency", names) == "concurrency");
  CHECK(gc::Nearest("per_host", names) == "per-host");
  CHECK(gc::Nearest("zzzzzz", names).empty());
}

TEST_CASE("--resume refuses to continue another list's run, naming both lists") {
  TestServer server;
  server.Handle("/a*", [](const HttpRequest&, Conn& c) {
    c.Sleep(200);
    c.Respond(200, "<title>a</title>");
  });
  server.Handle("/b*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>b</title>"); });
  TempDir dir;
  std::string a, b;
  for (int i = 0; i < 20; ++i) a += server.Url("/a" + std::to_string(i)) + "\n";
  b = server.Url("/b1") + "\n";
  WriteFile(dir / "a.txt", a);
  WriteFile(dir / "b.txt", b);
  std::string db = dir / "r.db";
  auto first = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "a.txt"}, "a");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(20)));
  kill(first.pid, SIGTERM);
  CHECK(Wait(first).exit_code == 3);
  auto other = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", dir / "b.txt"}, "b");
  CHECK(other.exit_code == 2);
  CHECK(other.err.find(dir / "a.txt") != std::string::npos);
  CHECK(other.err.find(dir / "b.txt") != std::string::npos);
  for (const auto& e : server.Log()) CHECK(e.path.rfind("/b", 0) != 0);  // nothing of b was fetched
  CHECK(Text(db, "SELECT status FROM runs WHERE id = 1") == "interrupted");
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  auto same = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--quiet", "--concurrency", "20", dir / "a.txt"}, "a2");
  CHECK(same.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 1") == 20);
}

TEST_CASE("a list that is a directory is refused before any run exists, and --resume of the right list works after") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  std::string db = dir / "r.db";
  auto bad = Run({GREENCRAWL_BIN, "crawl", "--db", db, dir.path}, "dir");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("is a directory") != std::string::npos);
  auto resumed = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--quiet", dir / "list.txt"}, "resume");
  CHECK(resumed.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs WHERE status != 'completed'") == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200") == 1);
}

TEST_CASE("a list is known by its resolved path: relative, ./ and absolute spellings are the same list") {
  TestServer server;
  std::atomic<int> version{1};
  std::atomic<int> conditional{0};
  server.Handle("/page", [&](const HttpRequest& req, Conn& c) {
    std::string etag = "\"v" + std::to_string(version.load()) + "\"";
    if (!req.Header("if-none-match").empty()) ++conditional;
    if (req.Header("if-none-match") == etag) return (void)c.Respond(304, "", "", {{"ETag", etag}});
    c.Respond(200, "<title>v" + std::to_string(version.load()) + "</title>", "text/html", {{"ETag", etag}});
  });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/page") + "\n");
  std::string db = dir / "r.db";
  std::string relative = std::filesystem::relative(dir / "list.txt").string();
  REQUIRE(relative.front() != '/');
  auto one = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--json", dir / "list.txt"}, "abs");
  CHECK(one.exit_code == 0);
  auto two = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--json", dir.path + "/./list.txt"}, "dot");
  CHECK(two.exit_code == 0);
  CHECK(two.out.find("\"previous_run\":1") != std::string::npos);
  CHECK(conditional == 1);  // run 2 sent If-None-Match from run 1
  version = 2;
  auto three = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--json", "--fail-on", "changed>0", relative}, "rel");
  CHECK(three.exit_code == 5);
  CHECK(three.out.find("\"previous_run\":2") != std::string::npos);
  CHECK(Text(db, "SELECT group_concat(DISTINCT list_file) FROM runs") == dir / "list.txt");
}

TEST_CASE("a symlink to the database takes the same lock: a second crawl through it is refused") {
  TestServer server;
  server.Handle("/p*", [](const HttpRequest&, Conn& c) {
    c.Sleep(100);
    c.Respond(200, "<title>slow</title>");
  });
  TempDir dir;
  std::string list;
  for (int i = 0; i < 30; ++i) list += server.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "r.db";
  auto running = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "list.txt"}, "holder");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(20)));
  REQUIRE(symlink(db.c_str(), (dir / "link.db").c_str()) == 0);
  auto through_link = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "link.db", dir / "list.txt"}, "link");
  CHECK(through_link.exit_code == 4);
  CHECK(through_link.err.find("in use by another crawl") != std::string::npos);
  kill(running.pid, SIGTERM);
  CHECK(Wait(running).exit_code == 3);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);  // the refused crawl made no run
}

TEST_CASE("a symlink or hard link planted at DB.lock is refused and its target left untouched") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  const std::string precious = "root:precious contents that must survive\n";
  WriteFile(dir / "victim", precious);
  REQUIRE(symlink((dir / "victim").c_str(), (dir / "r.db.lock").c_str()) == 0);
  auto sym = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", dir / "list.txt"}, "sym");
  CHECK(sym.exit_code == 2);
  CHECK(sym.err.find("symbolic link") != std::string::npos);
  CHECK(ReadFile(dir / "victim") == precious);
  REQUIRE(unlink((dir / "r.db.lock").c_str()) == 0);
  REQUIRE(link((dir / "victim").c_str(), (dir / "r.db.lock").c_str()) == 0);
  auto hard = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", dir / "list.txt"}, "hard");
  CHECK(hard.exit_code == 2);
  CHECK(ReadFile(dir / "victim") == precious);
  CHECK(server.Requests() == 0);
  // Our own lock file is rewritten in place, never truncated: a crawl and a prune leave it whole.
  REQUIRE(unlink((dir / "r.db.lock").c_str()) == 0);
  CHECK(Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--quiet", dir / "list.txt"}, "ok").exit_code == 0);
  CHECK(ReadFile(dir / "r.db.lock").rfind("pid ", 0) == 0);
}

namespace {

void Exec(const std::string& db, const std::string& sql) {
  gc::sql::Database d(db, gc::sql::Database::Mode::kReadWrite);
  d.Exec(sql);
}

// The status `runs --json` shows for run `id`.
std::string ShownStatus(const std::string& db, int id) {
  auto r = Run({GREENCRAWL_BIN, "runs", "--db", db, "--json"}, "runs");
  std::string key = "{\"id\":" + std::to_string(id) + ",";
  size_t at = r.out.find(key);
  if (at == std::string::npos) return "<no run " + std::to_string(id) + ">";
  size_t s = r.out.find("\"status\":\"", at);
  size_t e = r.out.find('"', s + 10);
  return r.out.substr(s + 10, e - s - 10);
}

}  // namespace

TEST_CASE("runs shows a SIGKILLed run as killed, a signalled one as interrupted, a live one as running") {
  SlowSite site(40);
  TempDir dir;
  WriteFile(dir / "list.txt", site.list);
  std::string db = dir / "r.db";
  auto killed = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "list.txt"}, "k");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(20)));
  kill(killed.pid, SIGKILL);
  Wait(killed);
  CHECK(Text(db, "SELECT status FROM runs WHERE id = 1") == "running");  // what the database says
  CHECK(ShownStatus(db, 1) == "killed");
  auto live = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "list.txt"}, "live");
  REQUIRE(WaitForRows(db, Scalar(db, "SELECT count(*) FROM results"), std::chrono::seconds(20)));
  CHECK(ShownStatus(db, 1) == "killed");
  CHECK(ShownStatus(db, 2) == "running");
  kill(live.pid, SIGTERM);
  CHECK(Wait(live).exit_code == 3);
  CHECK(ShownStatus(db, 2) == "interrupted");
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db, "--run", "1"}, "report");
  CHECK(report.out.find("Run 1: killed") != std::string::npos);
}

TEST_CASE("a resumed run's duration sums its sessions' active time, a killed session's up to its last result") {
  SlowSite site(20);
  TempDir dir;
  WriteFile(dir / "list.txt", site.list);
  std::string db = dir / "r.db";
  auto first = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "list.txt"}, "one");
  REQUIRE(WaitForRows(db, 1, std::chrono::seconds(20)));
  kill(first.pid, SIGKILL);
  Wait(first);
  // The killed session ran at least from its start to its last committed result.
  double killed_s = 0;
  {
    gc::sql::Database d(db, gc::sql::Database::Mode::kReadOnly);
    auto st = d.Prepare(
        "SELECT (julianday((SELECT max(fetched_at) FROM results)) - julianday(session_started_at)) * 86400 "
        "FROM runs WHERE id = 1");
    REQUIRE(st.Step());
    killed_s = st.Real(0);
  }
  CHECK(killed_s > 0);
  // As if the run had started an hour ago: the hour between the sessions is not crawling time.
  Exec(db, "UPDATE runs SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', started_at, '-1 hour')");
  auto second = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--concurrency", "1", dir / "list.txt"}, "two");
  REQUIRE(WaitForRows(db, Scalar(db, "SELECT count(*) FROM results"), std::chrono::seconds(20)));
  kill(second.pid, SIGTERM);
  CHECK(Wait(second).exit_code == 3);
  Exec(db, "UPDATE runs SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', started_at, '-1 hour')");
  auto third = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--quiet", "--concurrency", "20", dir / "list.txt"}, "three");
  CHECK(third.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 1") == 20);
  gc::sql::Database d(db, gc::sql::Database::Mode::kReadOnly);
  auto st = d.Prepare("SELECT active_s, (julianday(finished_at) - julianday(started_at)) * 86400 FROM runs");
  REQUIRE(st.Step());
  double active = st.Real(0), wall = st.Real(1);
  CHECK(wall > 7200);
  CHECK(active >= killed_s);
  CHECK(active < 600);
  auto runs = Run({GREENCRAWL_BIN, "runs", "--db", db, "--json"}, "runs");
  size_t at = runs.out.find("\"duration_s\":");
  REQUIRE(at != std::string::npos);
  double shown = std::strtod(runs.out.c_str() + at + 13, nullptr);
  CHECK(shown > 0);
  CHECK(shown < 600);  // not the two hours between the sessions
  CHECK(std::abs(shown - active) < 0.001);  // to the millisecond: a short run is not 0.0
  // The report says the same as runs: its headline, and the HTML report's, are not the wall time either.
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "report");
  at = report.out.find("\"headline\":");
  REQUIRE(at != std::string::npos);
  at = report.out.find("\"duration_s\":", at);
  REQUIRE(at != std::string::npos);
  CHECK(std::abs(std::strtod(report.out.c_str() + at + 13, nullptr) - active) < 0.001);
}

TEST_CASE("diff with a missing run says only that; a non-http line's message reads cleanly") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\nftp://files.example/x\n");
  std::string db = dir / "r.db";
  auto crawl = Run({GREENCRAWL_BIN, "crawl", "--db", db, dir / "list.txt"}, "c");
  CHECK(crawl.exit_code == 0);
  CHECK(crawl.err.find("list.txt:2: unsupported_scheme: ftp://files.example/x (only http") != std::string::npos);
  CHECK(crawl.err.find("::") == std::string::npos);
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "1", "99"}, "d");
  CHECK(diff.exit_code == 2);
  CHECK(diff.out.empty());
  CHECK(diff.err.find("no run 99") != std::string::npos);
}

namespace {

// The JSON object that follows `"key":` in `json` (no nesting inside it).
std::string JsonObject(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":{");
  if (at == std::string::npos) return "<no " + key + ">";
  size_t start = at + key.size() + 3;
  return json.substr(start, json.find('}', start) - start + 1);
}

}  // namespace

TEST_CASE("the crawl summary counts as report does: responses vs ok, a 200 cut short counted in both") {
  TestServer server;
  server.Handle("/ok", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>ok</title>"); });
  server.Handle("/big*", [](const HttpRequest&, Conn& c) { c.Respond(200, std::string(4096, 'b'), "text/plain"); });
  server.Handle("/gone", [](const HttpRequest&, Conn& c) { c.Respond(404, "no"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/ok") + "\n" + server.Url("/big1") + "\n" + server.Url("/big2") + "\n" +
                                  server.Url("/gone") + "\n");
  std::string db = dir / "r.db";
  auto json = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--max-size", "1K", "--json", dir / "list.txt"}, "json");
  CHECK(json.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE status = 200 AND error = 'too_large'") == 2);
  auto report = Run({GREENCRAWL_BIN, "report", "--db", db, "--json"}, "report");
  CHECK(JsonObject(json.out, "by_status") == JsonObject(report.out, "by_status"));
  CHECK(JsonObject(json.out, "by_status") == "{\"200\":3,\"404\":1}");
  CHECK(JsonObject(json.out, "by_error") == JsonObject(report.out, "by_error"));
  CHECK(json.out.find("\"results\":4,\"responses\":4,\"ok\":1,\"errors\":2,\"broken\":3") != std::string::npos);
  auto human = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--max-size", "1K", dir / "list.txt"}, "human");
  CHECK(human.err.find("4 results: 1 ok, 3 broken, 2 errors") != std::string::npos);
  CHECK(human.err.find("responses 4 (200: 3, 404: 1), errors 2 (too_large: 2)") != std::string::npos);
  auto text = Run({GREENCRAWL_BIN, "report", "--db", db}, "text");
  CHECK(text.out.find("4 results (1 ok, 3 broken, 2 errors)") != std::string::npos);
}

TEST_CASE("a misspelt command, option or job-file key gets the nearest known one") {
  auto bogus = Run({GREENCRAWL_BIN, "--bogus"}, "bogus");
  CHECK(bogus.exit_code == 2);
  CHECK(bogus.err.find("unknown option --bogus") != std::string::npos);
  CHECK(bogus.err.find("A subcommand is required") == std::string::npos);
  auto crwal = Run({GREENCRAWL_BIN, "crwal", "x.txt"}, "crwal");
  CHECK(crwal.exit_code == 2);
  CHECK(crwal.err.find("unknown command 'crwal'; did you mean crawl?") != std::string::npos);
  auto conc = Run({GREENCRAWL_BIN, "crawl", "--concurency", "4", "x.txt"}, "conc");
  CHECK(conc.exit_code == 2);
  CHECK(conc.err.find("unknown option --concurency for 'crawl'; did you mean --concurrency?") != std::string::npos);
  CHECK(conc.err.find("x.txt") == std::string::npos);  // the list is not to blame
  auto early = Run({GREENCRAWL_BIN, "--depth", "2", "x.txt"}, "early");
  CHECK(early.err.find("--depth is an option of 'crawl'") != std::string::npos);
  auto top = Run({GREENCRAWL_BIN, "report", "--tpo", "3"}, "tpo");
  CHECK(top.err.find("did you mean --top?") != std::string::npos);
  TempDir dir;
  WriteFile(dir / "job.toml", "per_host = 2\n");
  auto key = Run({GREENCRAWL_BIN, "crawl", "--config", dir / "job.toml"}, "key");
  CHECK(key.err.find("job.toml:1: unknown setting 'per_host' (did you mean 'per-host'?)") != std::string::npos);
  // Values that look like options are not misspellings: standard input, negative numbers after --.
  auto dash = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--quiet", "-"}, "dash");
  CHECK(dash.exit_code == 0);
}

TEST_CASE("--version names the libraries; each command's help shows its own exit codes and no parser types") {
  auto v = Run({GREENCRAWL_BIN, "--version"}, "version");
  CHECK(v.exit_code == 0);
  for (const char* lib : {"greencrawl 0.", "libcurl 7.", "libuv 1.", "SQLite 3.", "gumbo 0.", "toml++ 3."}) {
    CHECK_MESSAGE(v.out.find(lib) != std::string::npos, lib);
  }
  for (const char* cmd : {"crawl", "runs", "report", "export", "prune", "diff"}) {
    CAPTURE(cmd);
    auto h = Run({GREENCRAWL_BIN, cmd, "--help"}, "help");
    CHECK(h.exit_code == 0);
    for (const char* parser_word : {" INT", " UINT", " FLOAT", " TEXT", "[0 -", "INT:"}) {
      CHECK_MESSAGE(h.out.find(parser_word) == std::string::npos, parser_word);
    }
    CHECK(h.out.find("Exit codes:") != std::string::npos);
    bool is_crawl = std::string(cmd) == "crawl";
    CHECK((h.out.find("3 interrupted") != std::string::npos) == is_crawl);
  }
}

namespace {

// Splits a command line of plain words (the tests' paths need no quoting).
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find(' ', i);
    if (j == std::string::npos) j = line.size();
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("after an interruption the crawl prints the exact command that continues it, and that command works") {
  SlowSite site(30);
  TempDir dir;
  WriteFile(dir / "list.txt", site.list);
  std::string db = dir / "r.db";
  auto first = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", "--retries", "0", dir / "list.txt"},
                     "first");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(20)));
  kill(first.pid, SIGINT);
  auto stopped = Wait(first);
  CHECK(stopped.exit_code == 3);
  std::string hint = After(stopped.err, "greencrawl: to continue run 1: ");
  CHECK(hint == "greencrawl crawl --db " + db + " --concurrency 1 --resume --retries 0 " + dir / "list.txt");
  // Off a terminal: the notice on a line of its own, no blank line before it.
  CHECK(stopped.err.find("greencrawl: SIGINT: stopping; in-flight transfers get 5 s (again to stop now)\n") !=
        std::string::npos);
  CHECK(stopped.err.find("\n\n") == std::string::npos);
  auto words = Words(hint);
  REQUIRE(words.size() > 2);
  words[0] = GREENCRAWL_BIN;
  auto again = Run(words, "again");
  CHECK(again.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE run_id = 1") == 30);
}

TEST_CASE("diff against an interrupted run: its unfetched URLs are neither removed nor counted as changes") {
  SlowSite site(30);
  TempDir dir;
  WriteFile(dir / "list.txt", site.list);
  std::string db = dir / "r.db";
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "-q", "--db", db, "--concurrency", "30", dir / "list.txt"}, "full").exit_code == 0);
  auto second = Start({GREENCRAWL_BIN, "crawl", "-q", "--db", db, "--concurrency", "1", dir / "list.txt"}, "part");
  REQUIRE(WaitForRows(db, 30, std::chrono::seconds(20)));  // run 1's 30, then run 2's first
  kill(second.pid, SIGINT);
  REQUIRE(Wait(second).exit_code == 3);
  int64_t fetched = Scalar(db, "SELECT count(*) FROM results WHERE run_id = 2");
  REQUIRE(fetched < 30);
  auto diff = Run({GREENCRAWL_BIN, "diff", "--db", db, "1", "2"}, "diff");
  CHECK(diff.exit_code == 0);
  CHECK(diff.out.find("- removed") == std::string::npos);
  CHECK(diff.out.find("(no changes)") != std::string::npos);
  int64_t pending = 30 - fetched;
  CHECK(diff.out.find("Run 2 is unfinished: " + std::to_string(pending) +
                      (pending == 1 ? " URL it holds is" : " URLs it holds are") + " still pending") != std::string::npos);
  auto json = Run({GREENCRAWL_BIN, "diff", "--db", db, "1", "2", "--json"}, "json");
  CHECK(json.out.find("\"unfetched_a\":0,\"unfetched_b\":" + std::to_string(30 - fetched) + ",\"changed_urls\":0}") !=
        std::string::npos);
  // Backwards too: run 1 has every URL, none is "added" by it.
  CHECK(Run({GREENCRAWL_BIN, "diff", "--db", db, "2", "1"}, "back").out.find("+ added") == std::string::npos);
}

TEST_CASE("--list-name keeps one history for a list generated at new paths or piped in; another name is another list") {
  TestServer server;
  server.Handle("/p*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  std::string db = dir / "r.db";
  std::string list = server.Url("/p1") + "\n" + server.Url("/p2") + "\n";
  WriteFile(dir / "monday.txt", list);
  WriteFile(dir / "tuesday.txt", list);
  auto previous = [](const Finished& f) {
    size_t at = f.out.find("\"previous_run\":");
    return at == std::string::npos ? std::string("<none>") : f.out.substr(at + 15, f.out.find(',', at) - at - 15);
  };
  auto crawl = [&](std::vector<std::string> extra, const std::string& list_arg, const std::string& tag,
                   const std::string& input = "") {
    std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(list_arg);
    return Run(args, tag, input);
  };
  CHECK(previous(crawl({"--list-name", "nightly"}, dir / "monday.txt", "mon")) == "null");
  CHECK(previous(crawl({"--list-name", "nightly"}, dir / "tuesday.txt", "tue")) == "1");  // another path, one list
  CHECK(previous(crawl({}, dir / "tuesday.txt", "path")) == "null");  // by its path: a list of its own
  CHECK(previous(crawl({"--list-name", "other"}, "-", "other", dir / "monday.txt")) == "null");
  CHECK(previous(crawl({"--list-name", "nightly"}, "-", "piped", dir / "monday.txt")) == "2");
  CHECK(Text(db, "SELECT list_file FROM runs WHERE id = 5") == "name:nightly");
  // Empty is the default: known by its path (as a worker's stored settings spell it out).
  CHECK(previous(crawl({"--list-name", ""}, dir / "tuesday.txt", "empty")) == "3");
  CHECK(crawl({"--list-name", "bad\xff"}, dir / "monday.txt", "utf8").err.find("must be UTF-8") != std::string::npos);
  // A file that happens to be called "name:nightly" is not the named list, and --resume says which it is.
  Exec(db, "UPDATE runs SET status = 'interrupted', finished_at = NULL WHERE id = 5");
  WriteFile(dir / "name:nightly", list);
  const std::filesystem::path here = std::filesystem::current_path();
  std::filesystem::current_path(dir.path);  // where a relative "name:nightly" resolves
  auto wrong = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "name:nightly"}, "wrong");
  std::filesystem::current_path(here);
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("resume it with its own list (--list-name nightly)") != std::string::npos);
  auto right = crawl({"--list-name", "nightly", "--resume"}, "-", "right", dir / "monday.txt");
  CHECK(right.exit_code == 0);
  CHECK(right.out.find("\"run_id\":5,") != std::string::npos);
}

TEST_CASE("with -q an interrupted crawl prints only the line that continues it") {
  SlowSite site(30);
  TempDir dir;
  WriteFile(dir / "list.txt", site.list);
  std::string db = dir / "r.db";
  auto first = Start({GREENCRAWL_BIN, "crawl", "-q", "--db", db, "--concurrency", "1", dir / "list.txt"}, "quiet");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(20)));
  kill(first.pid, SIGTERM);
  auto stopped = Wait(first);
  CHECK(stopped.exit_code == 3);
  CHECK(stopped.err == "greencrawl: to continue run 1: greencrawl crawl --db " + db + " --concurrency 1 --resume --quiet " +
                           dir / "list.txt" + "\n");
}

TEST_CASE("a new run beside an unfinished one of the same list says so; an empty list warns; a URL as LIST gets a hint") {
  SlowSite site(20);
  TempDir dir;
  WriteFile(dir / "list.txt", site.list);
  std::string db = dir / "r.db";
  auto first = Start({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "list.txt"}, "first");
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(20)));
  kill(first.pid, SIGTERM);
  CHECK(Wait(first).exit_code == 3);
  WriteFile(dir / "short.txt", site.server.Url("/p0") + "\n");
  auto other = Run({GREENCRAWL_BIN, "crawl", "--db", db, dir / "short.txt"}, "other");
  CHECK(other.err.find("unfinished") == std::string::npos);  // another list: nothing to say
  auto fresh = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "20", dir / "list.txt"}, "fresh");
  CHECK(fresh.exit_code == 0);
  CHECK(fresh.err.find("note: run 1 of this list is unfinished; starting a new run") != std::string::npos);

  WriteFile(dir / "empty.txt", "# nothing yet\n\n");
  auto empty = Run({GREENCRAWL_BIN, "crawl", "--db", db, dir / "empty.txt"}, "empty");
  CHECK(empty.exit_code == 0);
  CHECK(empty.err.find("warning: " + dir / "empty.txt" + " holds no URLs") != std::string::npos);
  WriteFile(dir / "invalid.txt", "htp:/bad\nftp://x\n");
  auto invalid = Run({GREENCRAWL_BIN, "crawl", "--db", db, dir / "invalid.txt"}, "invalid");
  CHECK(invalid.exit_code == 0);
  CHECK(invalid.err.find("warning: " + dir / "invalid.txt" + " holds no URL to fetch: every line was invalid") !=
        std::string::npos);
  CHECK(invalid.err.find("0 URLs to fetch") != std::string::npos);
  CHECK(Run({GREENCRAWL_BIN, "crawl", "--db", db, dir / "short.txt"}, "one").err.find(": 1 URL to fetch from ") !=
        std::string::npos);

  auto url = Run({GREENCRAWL_BIN, "crawl", "--db", db, "https://example.org/"}, "url");
  CHECK(url.exit_code == 2);
  CHECK(url.err.find("echo 'https://example.org/' | greencrawl crawl -") != std::string::npos);
}

TEST_CASE("messages about a database speak of the database, not of lock files or SQL") {
  TempDir dir;
  WriteFile(dir / "list.txt", "http://127.0.0.1:1/\n");
  auto missing_dir = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "no/such/dir/x.db", dir / "list.txt"}, "nodir");
  CHECK(missing_dir.exit_code == 2);
  CHECK(missing_dir.err.find("cannot create database " + dir / "no/such/dir/x.db" + ": no directory") !=
        std::string::npos);
  CHECK(missing_dir.err.find(".lock") == std::string::npos);
  WriteFile(dir / "notes.db", "these are my notes, not a database\n");
  for (std::vector<std::string> cmd : {std::vector<std::string>{"crawl", "--db", dir / "notes.db", dir / "list.txt"},
                                       {"runs", "--db", dir / "notes.db"},
                                       {"report", "--db", dir / "notes.db"}}) {
    cmd.insert(cmd.begin(), GREENCRAWL_BIN);
    auto r = Run(cmd, "notadb");
    CAPTURE(cmd[1]);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(dir / "notes.db" + " is not a database (not an SQLite file)") != std::string::npos);
    CHECK(r.err.find("running SQL") == std::string::npos);
  }
  CHECK(ReadFile(dir / "notes.db") == "these are my notes, not a database\n");
  auto absent = Run({GREENCRAWL_BIN, "report", "--db", dir / "absent.db"}, "absent");
  CHECK(absent.exit_code == 2);
  CHECK(absent.err.find("cannot open database " + dir / "absent.db" + ": it does not exist") != std::string::npos);
  CHECK(access((dir / "absent.db").c_str(), F_OK) != 0);
}

TEST_CASE("wget and curl habits: -q -H -A -k -v -r -l, --proxy, --cookies, --limit-rate reach the settings") {
  auto p = Run({GREENCRAWL_BIN, "crawl", "-q", "-H", "X-A: 1", "-A", "bot/1", "-k", "-v", "-r", "--proxy",
                "http://127.0.0.1:3128", "--cookies", "--limit-rate", "200K", "--print-config", "x.txt"},
               "habits");
  CHECK(p.exit_code == 0);
  for (const char* line : {"quiet = true", "header = [ 'X-A: 1' ]", "user-agent = 'bot/1'", "insecure = true",
                           "verbose = true", "recursive = true", "depth = 5", "proxy = 'http://127.0.0.1:3128'",
                           "cookies = true", "limit-rate = '200K'"}) {
    CHECK_MESSAGE(p.out.find(line) != std::string::npos, line << "\n" << p.out);
  }
  auto depth = Run({GREENCRAWL_BIN, "crawl", "-r", "-l", "2", "--print-config", "x.txt"}, "l");
  CHECK(depth.out.find("depth = 2") != std::string::npos);
  auto bad_proxy = Run({GREENCRAWL_BIN, "crawl", "--proxy", "ftp://x", "x.txt"}, "badproxy");
  CHECK(bad_proxy.exit_code == 2);
  CHECK(bad_proxy.err.find("--proxy: 'ftp://x': expected a proxy URL") != std::string::npos);
  auto bad_rate = Run({GREENCRAWL_BIN, "crawl", "--limit-rate", "fast", "x.txt"}, "badrate");
  CHECK(bad_rate.err.find("--limit-rate: 'fast': not a rate") != std::string::npos);
}

TEST_CASE("-v prints one line per URL above the live line") {
  std::ostringstream out;
  gc::Progress p(out, gc::Progress::Mode::kTerminal, 80, {2, 0, 0});
  p.set_verbose(true);
  p.Tick(1);
  p.RecordedUrl("http://x/a", 200, "");
  p.RecordedUrl("http://x/b", 0, "dns");
  p.Tick(0);
  // The live line is cleared ("\r   \r"), the URL lines follow, then the next tick redraws below them.
  CHECK(out.str().find(" \r200 http://x/a\nerror:dns http://x/b\n\r0/2 done") != std::string::npos);
  std::ostringstream quiet_out;
  gc::Progress quiet(quiet_out, gc::Progress::Mode::kTerminal, 80, {2, 0, 0});
  quiet.RecordedUrl("http://x/a", 200, "");  // not verbose: nothing
  CHECK(quiet_out.str().empty());
}

// End to end through the crawl session: CrawlOptions proxy, cookies and limit_rate reach FetchOptions,
// and the session calls CrawlObserver::RecordedUrl.
TEST_CASE("a crawl with --cookies, --proxy and -v") {
  TestServer site;
  site.Handle("/login", [](const HttpRequest&, Conn& c) {
    c.Respond(302, "", "", {{"Location", "/home"}, {"Set-Cookie", "session=s3cr3t; Path=/"}});
  });
  site.Handle("/home", [](const HttpRequest& req, Conn& c) {
    c.Respond(req.Header("cookie").find("session=s3cr3t") != std::string::npos ? 200 : 403, "<title>h</title>");
  });
  TestServer proxy;
  proxy.Handle("http://*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>via proxy</title>"); });
  TempDir dir;
  WriteFile(dir / "cookies.txt", site.Url("/login") + "\n");
  auto cookies = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "c.db", "--cookies", "-v", dir / "cookies.txt"}, "ck");
  CHECK(Scalar(dir / "c.db", "SELECT status FROM results") == 200);
  CHECK(cookies.err.find("200 " + site.Url("/login")) != std::string::npos);
  WriteFile(dir / "proxied.txt", "http://docs.example.invalid/page\n");
  Run({GREENCRAWL_BIN, "crawl", "--db", dir / "p.db", "--proxy", "http://127.0.0.1:" + std::to_string(proxy.port()),
       dir / "proxied.txt"}, "px");
  CHECK(Scalar(dir / "p.db", "SELECT status FROM results") == 200);
  CHECK(proxy.Requests() == 1);
}

TEST_CASE("a list that fails to read leaves no run running, and --resume of a good list then works") {
  TestServer server;
  server.Handle("/p", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>p</title>"); });
  TempDir dir;
  WriteFile(dir / "list.txt", server.Url("/p") + "\n");
  std::string db = dir / "r.db";
  // A "file" that opens but cannot be read: reading /proc/self/mem at offset 0 fails with EIO.
  auto broken = Run({GREENCRAWL_BIN, "crawl", "--db", db, "/proc/self/mem"}, "eio");
  CHECK(broken.exit_code == 2);
  CHECK(broken.err.find("cannot read /proc/self/mem") != std::string::npos);
  if (access(db.c_str(), F_OK) == 0) CHECK(Scalar(db, "SELECT count(*) FROM runs WHERE status = 'running'") == 0);
  auto resumed = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", dir / "list.txt"}, "resume");
  CHECK(resumed.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs WHERE status != 'completed'") == 0);
}

TEST_CASE("export -o: /dev/full fails saying why, a FIFO and /dev/stdout are written in place, a planted link is not followed") {
  TestServer server;
  server.Handle("/p*", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>Page</title>"); });
  TempDir dir;
  std::string list;
  for (int i = 0; i < 50; ++i) list += server.Url("/p" + std::to_string(i)) + "\n";
  WriteFile(dir / "list.txt", list);
  std::string db = dir / "r.db";
  REQUIRE(Run({GREENCRAWL_BIN, "crawl", "-q", "--db", db, dir / "list.txt"}, "crawl").exit_code == 0);
  auto to_stdout = Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv"}, "stdout");
  REQUIRE(to_stdout.exit_code == 0);
  REQUIRE(to_stdout.out.size() > 1000);

  DeviceGuard full_guard("/dev/full"), stdout_guard("/dev/stdout");
  struct stat st {};
  if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
    auto full = Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv", "-o", "/dev/full"}, "full");
    CHECK(full.exit_code != 0);
    CHECK(full.err.find("cannot write /dev/full: No space left on device") != std::string::npos);
    REQUIRE(stat("/dev/full", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
  }

  // The test's stdout is a file (tests/process.h): /dev/stdout leads there, and must stay /dev/stdout.
  auto dev_stdout = Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv", "-o", "/dev/stdout"}, "devout");
  CHECK(dev_stdout.exit_code == 0);
  CHECK(dev_stdout.out == to_stdout.out);
  REQUIRE(lstat("/dev/stdout", &st) == 0);
  CHECK(S_ISLNK(st.st_mode));

  std::string fifo = dir / "pipe";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::string got;
  std::thread reader([&] {
    int fd = open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    close(fd);
  });
  auto to_fifo = Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv", "-o", fifo}, "fifo");
  reader.join();
  CHECK(to_fifo.exit_code == 0);
  CHECK(got == to_stdout.out);
  REQUIRE(stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));

  WriteFile(dir / "victim", "precious\n");
  REQUIRE(symlink((dir / "victim").c_str(), (dir / "out.csv.partial").c_str()) == 0);
  auto planted = Run({GREENCRAWL_BIN, "export", "--db", db, "--format", "csv", "-o", dir / "out.csv"}, "planted");
  CHECK(planted.exit_code == 0);
  CHECK(ReadFile(dir / "victim") == "precious\n");
  CHECK(ReadFile(dir / "out.csv") == to_stdout.out);
  REQUIRE(symlink((dir / "victim").c_str(), (dir / "r.html.partial").c_str()) == 0);
  auto html = Run({GREENCRAWL_BIN, "report", "--db", db, "--html", "-o", dir / "r.html"}, "html");
  CHECK(html.exit_code == 0);
  CHECK(ReadFile(dir / "victim") == "precious\n");
  CHECK(ReadFile(dir / "r.html").find("</html>") != std::string::npos);
}

TEST_CASE("a database that cannot be a file, or is not one, is refused and nothing is left beside it") {
  TempDir dir;
  WriteFile(dir / "list.txt", "http://127.0.0.1:1/\n");
  REQUIRE(mkfifo((dir / "fifo.db").c_str(), 0600) == 0);
  REQUIRE(mkdir((dir / "dir.db").c_str(), 0700) == 0);
  WriteFile(dir / "notes.db", "these are my notes, not a database\n");
  auto entries = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  };
  const auto before = entries();
  for (std::string db : {dir / "fifo.db", dir / "dir.db"}) {
    for (std::vector<std::string> cmd : {std::vector<std::string>{"crawl", "--db", db, dir / "list.txt"},
                                         {"prune", "--db", db, "--keep", "1"},
                                         {"runs", "--db", db},
                                         {"export", "--db", db}}) {
      CAPTURE(db);
      CAPTURE(cmd[0]);
      cmd.insert(cmd.begin(), GREENCRAWL_BIN);
      auto r = Run(cmd, "refused");
      CHECK(r.exit_code == 2);
      CHECK(r.err.find(db + " is a " + (db == dir / "fifo.db" ? "FIFO" : "directory") + ", not a database file") !=
            std::string::npos);
    }
  }
  for (std::vector<std::string> cmd : {std::vector<std::string>{"crawl", "--db", dir / "notes.db", dir / "list.txt"},
                                       {"prune", "--db", dir / "notes.db", "--keep", "1"}}) {
    cmd.insert(cmd.begin(), GREENCRAWL_BIN);
    CHECK(Run(cmd, "notadb").exit_code == 2);
  }
  CHECK(entries() == before);  // no fifo.db.lock, fifo.db-journal, dir.db.lock, notes.db.lock
  // /dev/null and /dev/zero as databases: refused before /dev/null.lock or /dev/zero-journal exist.
  for (std::string dev : {"/dev/null", "/dev/zero"}) {
    DeviceGuard guard(dev);
    bool lock_before = access((dev + ".lock").c_str(), F_OK) == 0;
    bool journal_before = access((dev + "-journal").c_str(), F_OK) == 0;
    auto r = Run({GREENCRAWL_BIN, "crawl", "--db", dev, dir / "list.txt"}, "dev");
    CAPTURE(dev);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(dev + " is a device, not a database file") != std::string::npos);
    CHECK((access((dev + ".lock").c_str(), F_OK) == 0) == lock_before);
    CHECK((access((dev + "-journal").c_str(), F_OK) == 0) == journal_before);
  }
}

TEST_CASE("a password in a PostgreSQL URI is in no message when the server cannot be reached") {
  TempDir dir;
  WriteFile(dir / "list.txt", "http://127.0.0.1:1/\n");
  // Port 1 on the loopback: refused at once. The second spelling is one libpq misreads (an unencoded '@'
  // and '/'), so that its pieces would otherwise be quoted as a host and a port.
  for (std::string uri : {"postgresql://crawler:S3cretNoServer@127.0.0.1:1/gc?password=S3cretQuery",
                          "postgresql://crawler:cr#aw@l:er/pw@127.0.0.1:1/gc"}) {
    for (std::vector<std::string> cmd :
         {std::vector<std::string>{"crawl", "--db", uri, dir / "list.txt"},
          {"crawl", "--db", uri, "--json", dir / "list.txt"},
          {"crawl", "--db", uri, "--print-config", dir / "list.txt"},
          {"join", "--db", uri},
          {"runs", "--db", uri},
          {"runs", "--db", uri, "--json"},
          {"report", "--db", uri},
          {"report", "--db", uri, "--json"},
          {"report", "--db", uri, "--html", "-o", "-"},
          {"report", "--db", uri, "--format", "junit"},
          {"report", "--db", uri, "--format", "markdown"},
          {"export", "--db", uri, "--format", "csv"},
          {"export", "--db", uri, "--format", "jsonl"},
          {"diff", "--db", uri},
          {"prune", "--db", uri, "--keep", "1"}}) {
      CAPTURE(uri);
      CAPTURE(cmd[0]);
      const bool print_config = std::find(cmd.begin(), cmd.end(), "--print-config") != cmd.end();
      cmd.insert(cmd.begin(), GREENCRAWL_BIN);
      auto r = Run(cmd, "pw");
      for (std::string secret : {"S3cret", "cr#aw", "aw@l", "l:er", "er/pw"}) {
        CAPTURE(secret);
        CAPTURE(r.err);
        CHECK(r.out.find(secret) == std::string::npos);
        CHECK(r.err.find(secret) == std::string::npos);
      }
      if (print_config) {
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("crawler:***@127.0.0.1:1/gc") != std::string::npos);
      } else {
        CHECK(r.exit_code != 0);
        CHECK(r.err.find("crawler:***@127.0.0.1:1/gc") != std::string::npos);
      }
    }
  }
}
