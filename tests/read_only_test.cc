// The inspect commands on a database this user may read but not write beside (a copy from CI, another
// user's crawl): they read it as it is, and a write-ahead log they cannot read safely is named.
// As root the commands run as `nobody` (setpriv), since root may write anywhere.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kSkipped = "skipped: running as root, and /usr/bin/setpriv cannot run a command as nobody here";

// A folder only its owner may write, holding a copy of the binary that anyone may run.
struct ReadOnlyPlace {
  TempDir dir;
  std::string folder = dir / "ro";
  std::string bin = folder + "/greencrawl";
  bool as_nobody = geteuid() == 0;
  ReadOnlyPlace() {
    fs::create_directory(folder);
    fs::copy_file(GREENCRAWL_BIN, bin);
    chmod(dir.path.c_str(), 0755);
    chmod(bin.c_str(), 0755);
  }
  void Seal() { chmod(folder.c_str(), as_nobody ? 0755 : 0555); }  // root's folder: nobody may not write it
  ~ReadOnlyPlace() { chmod(folder.c_str(), 0755); }
  Finished Inspect(std::vector<std::string> args, const std::string& tag) const {
    args.insert(args.begin(), bin);
    if (as_nobody) args.insert(args.begin(), {kSetpriv, "--reuid=65534", "--regid=65534", "--clear-groups"});
    return Run(args, tag);
  }
  // As root: setpriv must be there and allowed to change users (a container may drop CAP_SETUID).
  bool possible() const {
    if (!as_nobody) return true;
    if (access(kSetpriv, X_OK) != 0) return false;
    return Run({kSetpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/true"}, "setpriv").exit_code == 0;
  }
};

// A completed run of two URLs (a page and a 404) in DIR/r.db.
std::string Crawled(const TempDir& dir, TestServer& server) {
  server.Handle("/a", [](const HttpRequest&, Conn& c) { c.Respond(200, "<title>A</title>"); });
  WriteFile(dir / "list.txt", server.Url("/a") + "\n" + server.Url("/missing") + "\n");
  std::string db = dir / "r.db";
  auto c = Run({GREENCRAWL_BIN, "crawl", "-q", "--db", db, dir / "list.txt"}, "crawl");
  REQUIRE(c.exit_code == 0);
  return db;
}

// A completed crawl in a folder of its own, and where its copy goes in the read-only place.
struct Crawl {
  ReadOnlyPlace place;
  TestServer server;
  std::string db = Crawled(place.dir, server);
  std::string copy = place.folder + "/r.db";
};

}  // namespace

TEST_CASE("runs, report, export and diff read a database whose folder this user may not write") {
  Crawl f;
  if (!f.place.possible()) {
    MESSAGE(kSkipped);
    return;
  }
  auto& [place, server, db, copy] = f;
  REQUIRE_FALSE(fs::exists(db + "-wal"));  // a crawl that ended cleanly leaves none
  fs::copy_file(db, copy);
  chmod(copy.c_str(), 0644);
  place.Seal();

  auto runs = place.Inspect({"runs", "--db", copy}, "runs");
  CHECK(runs.exit_code == 0);
  CHECK(runs.err == "");
  CHECK(runs.out.find("completed") != std::string::npos);
  auto report = place.Inspect({"report", "--db", copy, "--json"}, "report");
  CHECK(report.exit_code == 0);
  CHECK(report.out.find("\"broken\":1") != std::string::npos);
  auto csv = place.Inspect({"export", "--db", copy}, "export");
  CHECK(csv.exit_code == 0);
  CHECK(csv.out.find(server.Url("/missing") + "," + server.Url("/missing") + ",404,") != std::string::npos);
  CHECK(place.Inspect({"diff", "--db", copy, "1", "1"}, "diff").exit_code == 0);
  CHECK_FALSE(fs::exists(copy + "-shm"));  // nothing was written beside it
}

TEST_CASE("a database whose write-ahead log holds transactions is refused with the reason, not read stale") {
  Crawl f;
  if (!f.place.possible()) {
    MESSAGE(kSkipped);
    return;
  }
  auto& [place, server, db, copy] = f;
  {
    // A writer with a transaction still in the WAL (as while a crawl runs, or after a kill): copied then.
    gc::sql::Database w(db, gc::sql::Database::Mode::kReadWrite);
    w.Exec("PRAGMA wal_autocheckpoint = 0");
    w.Exec("UPDATE runs SET list_file = 'changed'");
    REQUIRE(fs::file_size(db + "-wal") > 0);
    fs::copy_file(db, copy);
    fs::copy_file(db + "-wal", copy + "-wal");
  }
  chmod(copy.c_str(), 0644);
  chmod((copy + "-wal").c_str(), 0644);
  place.Seal();
  auto runs = place.Inspect({"runs", "--db", copy}, "stale");
  CHECK(runs.exit_code != 0);
  CHECK(runs.err.find("has a write-ahead log (" + copy + "-wal)") != std::string::npos);
  CHECK(runs.out.find("list.txt") == std::string::npos);  // not the old list name from before the WAL
  // Through a symlink in another folder: the log beside the file it points to counts.
  std::string link = place.dir / "link.db";
  fs::create_symlink(copy, link);
  auto linked = place.Inspect({"runs", "--db", link}, "link");
  CHECK(linked.exit_code != 0);
  CHECK(linked.err.find("has a write-ahead log (" + copy + "-wal)") != std::string::npos);
  CHECK(linked.out.find("list.txt") == std::string::npos);
}

TEST_CASE("a crawl into a database this user may only read exits 2 (unusable database), before any run") {
  Crawl f;
  if (!f.place.possible()) {
    MESSAGE(kSkipped);
    return;
  }
  auto& [place, server, db, copy] = f;
  fs::copy_file(db, copy);
  chmod(copy.c_str(), 0444);
  place.Seal();
  auto crawl = place.Inspect({"crawl", "--db", copy, place.dir / "list.txt"}, "crawl-ro");
  CHECK(crawl.exit_code == 2);
  CHECK(crawl.err.find("cannot write database " + copy) != std::string::npos);
  CHECK(Scalar(copy, "SELECT count(*) FROM runs") == 1);  // no run was started in it
}
