// Links to other sites and page resources (crawl -r, --check-resources; issue 27), end to end against
// local servers: the exact set of URLs recorded with their kinds and outcomes, each checked URL fetched
// exactly once (the servers' own logs), no checked page parsed, a check's long body not read to its end,
// and a second night whose 304 pages still carry their resources.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "storage/sql.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/test_server.h"

using namespace gc::testing;
using gc::sql::Database;

namespace {

// Every request a server answered, as "METHOD /path", counted by the handlers themselves (the server's
// log does not keep the method).
struct Requests {
  std::mutex mu;
  std::map<std::string, int> seen;
  void Add(const HttpRequest& req) {
    std::lock_guard lock(mu);
    ++seen[req.method + " " + req.path];
  }
  std::map<std::string, int> Snapshot() {
    std::lock_guard lock(mu);
    return seen;
  }
  void Clear() {
    std::lock_guard lock(mu);
    seen.clear();
  }
};

// Answers `pages` (path -> body, content type) with an ETag, and 304 to a request that sends it back; any
// other path is a 404. HEAD is refused with 405, as some servers do: a check must not depend on it.
void Serve(const std::map<std::string, std::pair<std::string, std::string>>& pages, Requests& log,
           const HttpRequest& req, Conn& c) {
  log.Add(req);
  if (req.method == "HEAD") return (void)c.Respond(405, "", "text/plain");
  auto it = pages.find(req.path);
  if (it == pages.end()) return (void)c.Respond(404, "<title>Not Found</title><a href='/from-404'>x</a>");
  std::string etag = "\"" + std::to_string(it->second.first.size()) + "\"";
  if (req.Header("if-none-match") == etag) return (void)c.Respond(304, "", "", {{"ETag", etag}});
  c.Respond(200, it->second.first, it->second.second, {{"ETag", etag}});
}

// Host A (127.0.0.1) is the site; B (127.0.0.2) another site that answers (404 for what it lacks, 405 to
// HEAD); C (127.0.0.3) a host that refuses connections.
struct Site {
  TestServer a{"127.0.0.1"}, b{"127.0.0.2"};
  Requests a_log, b_log;
  std::map<std::string, std::pair<std::string, std::string>> pages_a, pages_b;
  std::string c_base;
  static constexpr size_t kBig = 1 << 20;

  Site() {
    {
      TestServer gone("127.0.0.3");
      c_base = "http://127.0.0.3:" + std::to_string(gone.port());
    }
    const std::string B = b.Url("");
    const std::string html = "text/html; charset=utf-8";
    pages_a = {
        {"/index.html",
         {"<title>Index</title><link rel=stylesheet href=/css/site.css><link rel=stylesheet href=/css/missing.css>"
          "<script src=/js/app.js></script><script src=/js/missing.js></script>"
          "<img src=/img/present.png srcset='/img/present.png 1x, /img/big.png 2x'><img src=/img/missing.png>"
          "<iframe src=/frame.html></iframe><img src='" + B + "/logo.png'><img src='" + c_base + "/gone.png'>"
          "<a href=a.html>a</a><a href='" + B + "/page.html'>b</a><a href='" + B + "/missing.html'>b404</a>"
          "<a href='" + c_base + "/gone.html'>dead</a>",
          html}},
        {"/a.html",
         {"<title>A</title><img src=/img/present.png><img src=/img/missing.png><a href=index.html>home</a>"
          "<a href='" + B + "/page.html'>b again</a>",
          html}},
        // A frame is checked, not crawled into: its link and image are never fetched.
        {"/frame.html", {"<title>Frame</title><a href=/frame-only.html>x</a><img src=/img/frame-only.png>", html}},
        {"/frame-only.html", {"<title>Only from the frame</title>", html}},
        {"/css/site.css", {"body { color: red }", "text/css"}},
        {"/js/app.js", {"console.log(1)", "text/javascript"}},
        {"/img/present.png", {"\x89PNG....", "image/png"}},
        {"/img/big.png", {std::string(kBig, 'x'), "image/png"}},
    };
    pages_b = {
        // Another site's page is checked, never parsed: neither its link nor its image is fetched.
        {"/page.html", {"<title>B</title><a href=/other.html>o</a><img src=/hidden.png>", html}},
        {"/logo.png", {"\x89PNG....", "image/png"}},
        {"/other.html", {"<title>Other</title>", html}},
    };
    a.Handle("/*", [this](const HttpRequest& req, Conn& c) { Serve(pages_a, a_log, req, c); });
    b.Handle("/*", [this](const HttpRequest& req, Conn& c) { Serve(pages_b, b_log, req, c); });
  }
};

// url -> (source_kind, resource_kind, outcome), with host A's URLs as paths.
using RowsByPath = std::map<std::string, std::tuple<std::string, std::string, std::string>>;

RowsByPath ReadRows(Site& site, const std::string& db, int64_t run) {
  Database d(db, Database::Mode::kReadOnly);
  auto st = d.Prepare(
      "SELECT url, coalesce(source_kind, ''), coalesce(resource_kind, ''), coalesce(error, CAST(status AS TEXT)) "
      "FROM results WHERE run_id = ?");
  st.Bind(1, run);
  RowsByPath rows;
  std::string base = site.a.Url("");
  while (st.Step()) {
    std::string url = st.Text(0);
    if (url.rfind(base, 0) == 0) url = url.substr(base.size());
    rows[url] = {st.Text(1), st.Text(2), st.Text(3)};
  }
  return rows;
}

Finished Crawl(TempDir& dir, Site& site, const std::string& db, std::vector<std::string> extra) {
  std::ofstream(dir / "seed.txt") << site.a.Url("/index.html") << "\n";
  std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "8",
                                   "--allow-private", "--retries", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(dir / "seed.txt");
  return Run(args, "resources");
}

}  // namespace

TEST_CASE("--check-resources: each page's resources and each link to another site are checked once, never parsed") {
  Site site;
  TempDir dir;
  const std::string db = dir / "r.db";
  auto f = Crawl(dir, site, db, {"-r", "--check-resources"});
  CHECK(f.exit_code == 0);
  const std::string B = site.b.Url(""), C = site.c_base;
  const RowsByPath want = {
      {"/index.html", {"list", "", "200"}},
      {"/a.html", {"link", "", "200"}},
      {"/css/site.css", {"resource", "style", "200"}},
      {"/css/missing.css", {"resource", "style", "404"}},
      {"/js/app.js", {"resource", "script", "200"}},
      {"/js/missing.js", {"resource", "script", "404"}},
      {"/img/present.png", {"resource", "image", "200"}},
      {"/img/big.png", {"resource", "image", "200"}},
      {"/img/missing.png", {"resource", "image", "404"}},
      {"/frame.html", {"resource", "frame", "200"}},
      {B + "/logo.png", {"resource", "image", "200"}},
      {C + "/gone.png", {"resource", "image", "connect"}},
      {B + "/page.html", {"external", "", "200"}},
      {B + "/missing.html", {"external", "", "404"}},
      {C + "/gone.html", {"external", "", "connect"}},
  };
  const RowsByPath got = ReadRows(site, db, 1);
  CHECK(got == want);

  // Each URL fetched exactly once, with a GET (HEAD answers 405 here): the servers' own counts. Neither
  // the frame nor B's page was parsed: what only they link to was never asked for.
  std::map<std::string, int> a_want = {
      {"GET /robots.txt", 1},     {"GET /index.html", 1},  {"GET /a.html", 1},        {"GET /css/site.css", 1},
      {"GET /css/missing.css", 1}, {"GET /js/app.js", 1},   {"GET /js/missing.js", 1}, {"GET /img/present.png", 1},
      {"GET /img/big.png", 1},    {"GET /img/missing.png", 1}, {"GET /frame.html", 1},
  };
  CHECK(site.a_log.Snapshot() == a_want);
  std::map<std::string, int> b_want = {
      {"GET /robots.txt", 1}, {"GET /logo.png", 1}, {"GET /page.html", 1}, {"GET /missing.html", 1}};
  CHECK(site.b_log.Snapshot() == b_want);

  Database d(db, Database::Mode::kReadOnly);
  // Checked pages have no links of their own in the table; the pages using a resource are its referrers.
  auto from = d.Prepare("SELECT count(*) FROM links WHERE from_url IN (?, ?)");
  from.Bind(1, site.a.Url("/frame.html")).Bind(2, B + "/page.html");
  REQUIRE(from.Step());
  CHECK(from.Int(0) == 0);
  auto users = d.Prepare("SELECT from_url, resource_kind FROM links WHERE to_url = ? ORDER BY from_url");
  users.Bind(1, site.a.Url("/img/missing.png"));
  std::vector<std::string> pages;
  while (users.Step()) {
    pages.push_back(users.Text(0));
    CHECK(users.Text(1) == "image");
  }
  CHECK(pages == std::vector<std::string>{site.a.Url("/a.html"), site.a.Url("/index.html")});
  // A check's long body is not read to its end: the 1 MiB image is recorded with its announced size,
  // no hash of a body it did not read, and far fewer bytes received than it has.
  auto big = d.Prepare("SELECT size, content_hash, wire_bytes FROM results WHERE url = ?");
  big.Bind(1, site.a.Url("/img/big.png"));
  REQUIRE(big.Step());
  CHECK(big.Int(0) == int64_t(Site::kBig));
  CHECK(big.IsNull(1));
  CHECK(big.Int(2) < int64_t(Site::kBig / 2));
  // export carries the kind.
  auto csv = Run({GREENCRAWL_BIN, "export", "--db", db}, "resources-export");
  CHECK(csv.out.find(",source_kind,source,resource_kind\r\n") != std::string::npos);
  CHECK(csv.out.find("/js/missing.js,") != std::string::npos);
  CHECK(csv.out.find(",resource," + site.a.Url("/index.html") + ",script\r\n") != std::string::npos);
}

// Every report format names the broken resources with their kind, and the broken links to other sites, in
// sections of their own; --fail-on counts them as broken.
TEST_CASE("--check-resources: every report format names the broken resources, their kinds and the broken external links") {
  Site site;
  TempDir dir;
  const std::string db = dir / "r.db";
  auto f = Crawl(dir, site, db, {"-r", "--check-resources", "--fail-on", "broken>0"});
  CHECK(f.exit_code == 5);
  const std::string A = site.a.Url(""), B = site.b.Url(""), C = site.c_base;
  // (url, kind): the broken resources; and the broken external pages.
  const std::vector<std::pair<std::string, std::string>> resources = {
      {A + "/css/missing.css", "style"}, {A + "/js/missing.js", "script"}, {A + "/img/missing.png", "image"},
      {C + "/gone.png", "image"}};
  const std::vector<std::string> external = {B + "/missing.html", C + "/gone.html"};
  struct Format {
    const char* name;
    std::vector<std::string> args;
    std::string kind_mark;  // how the format writes a row's kind, around KIND
  };
  const std::vector<Format> formats = {
      {"text", {}, "  (KIND)"},
      {"json", {"--json"}, "\"resource_kind\":\"KIND\""},
      {"markdown", {"--format", "markdown"}, " (KIND)"},
      {"html", {"--html", "-o", "-"}, "<span class=\"muted\">KIND</span>"},
      {"junit", {"--format", "junit"}, "KIND: "},
  };
  for (const Format& fmt : formats) {
    std::vector<std::string> args = {GREENCRAWL_BIN, "report", "--db", db};
    args.insert(args.end(), fmt.args.begin(), fmt.args.end());
    auto r = Run(args, std::string("resources-") + fmt.name);
    INFO(fmt.name);
    REQUIRE(r.exit_code == 0);
    for (const auto& resource : resources) {
      const std::string& url = resource.first;  // not a structured binding: clang 14 cannot capture one (INFO)
      const std::string& kind = resource.second;
      INFO(url);
      CHECK(r.out.find(url) != std::string::npos);
      std::string mark = fmt.kind_mark;
      mark.replace(mark.find("KIND"), 4, kind);
      CHECK(r.out.find(mark) != std::string::npos);
    }
    for (const auto& url : external) {
      INFO(url);
      CHECK(r.out.find(url) != std::string::npos);
    }
    if (std::string(fmt.name) != "junit" && std::string(fmt.name) != "json") {
      CHECK(r.out.find("Page resources") != std::string::npos);
      CHECK(r.out.find("Links to other sites") != std::string::npos);
    }
  }
}

TEST_CASE("--check-resources on a second night: a 304 page carries its resources, checked again once each") {
  Site site;
  TempDir dir;
  const std::string db = dir / "r.db";
  REQUIRE(Crawl(dir, site, db, {"-r", "--check-resources"}).exit_code == 0);
  const RowsByPath night1 = ReadRows(site, db, 1);
  site.a_log.Clear();
  site.b_log.Clear();
  REQUIRE(Crawl(dir, site, db, {"-r", "--check-resources"}).exit_code == 0);
  const RowsByPath night2 = ReadRows(site, db, 2);
  // The same URLs with the same kinds; what answered 200 answers 304 now (validators sent), the rest as
  // before.
  REQUIRE(night2.size() == night1.size());
  for (const auto& entry : night1) {
    const std::string& url = entry.first;  // not a structured binding: clang 14 cannot capture one (INFO)
    const auto& row = entry.second;
    INFO(url);
    REQUIRE(night2.count(url));
    const auto& [kind, resource, outcome] = night2.at(url);
    CHECK(kind == std::get<0>(row));
    CHECK(resource == std::get<1>(row));
    CHECK(outcome == (std::get<2>(row) == "200" ? "304" : std::get<2>(row)));
  }
  // The index page's body was not sent again, yet its resources were all checked (once each).
  Database d(db, Database::Mode::kReadOnly);
  auto unchanged = d.Prepare("SELECT unchanged FROM results WHERE run_id = 2 AND url = ?");
  unchanged.Bind(1, site.a.Url("/index.html"));
  REQUIRE(unchanged.Step());
  CHECK(unchanged.Int(0) == 1);
  for (const auto& entry : site.a_log.Snapshot()) {
    INFO(entry.first);
    CHECK(entry.second == 1);
  }
  CHECK(site.a_log.Snapshot().count("GET /css/missing.css") == 1);
  auto carried = d.Prepare("SELECT count(*) FROM links WHERE run_id = 2 AND resource_kind IS NOT NULL");
  REQUIRE(carried.Step());
  CHECK(carried.Int(0) == 12);  // index: 10 resources (present.png once, with its srcset), a.html: 2
}

TEST_CASE("--check-resources needs link following, and a job file may set it") {
  Site site;
  TempDir dir;
  auto f = Crawl(dir, site, dir / "r.db", {"--check-resources"});
  CHECK(f.exit_code == 2);
  CHECK(f.err.find("--check-resources") != std::string::npos);
  std::ofstream(dir / "job.toml") << "depth = 1\ncheck-resources = true\n";
  auto g = Crawl(dir, site, dir / "j.db", {"--config", dir / "job.toml"});
  CHECK(g.exit_code == 0);
  CHECK(std::get<1>(ReadRows(site, dir / "j.db", 1)["/img/missing.png"]) == "image");
}

TEST_CASE("checks cannot take every transfer slot while the site's own pages wait") {
  // Host B answers its 20 checked URLs only once every page of A has been asked for. Were checks allowed
  // all 4 slots, they would sit there waiting for pages that cannot start, until --timeout failed them.
  TestServer a("127.0.0.1"), b("127.0.0.2");
  constexpr int kPages = 20;
  std::atomic<int> pages_asked{0};
  std::atomic<bool> pages_all_asked{false};
  std::string index = "<title>Index</title>";
  for (int i = 0; i < kPages; ++i) {
    index += "<a href='" + b.Url("/x" + std::to_string(i)) + "'>x</a><a href='/p" + std::to_string(i) + "'>p</a>";
  }
  a.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/index.html") return (void)c.Respond(200, index);
    if (req.path.rfind("/p", 0) != 0) return (void)c.Respond(404, "");
    if (++pages_asked == kPages) pages_all_asked = true;
    c.Respond(200, "<title>Page</title>");
  });
  b.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/robots.txt") return (void)c.Respond(404, "");
    if (c.WaitUntil(pages_all_asked)) c.Respond(200, "<title>X</title>");
  });
  TempDir dir;
  std::ofstream(dir / "seed.txt") << a.Url("/index.html") << "\n";
  const std::string db = dir / "r.db";
  auto f = Run({GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "4", "--allow-private", "--retries",
                "0", "--timeout", "5", "-r", dir / "seed.txt"},
               "resources-share");
  CHECK(f.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE source_kind = 'link' AND status = 200") == kPages);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE source_kind = 'external' AND status = 200") == kPages);
}

TEST_CASE("a crawl killed while its resources are in flight resumes them with their kind") {
  TestServer a("127.0.0.1");
  std::atomic<bool> open{false};
  std::string index = "<title>Index</title>";
  for (int i = 0; i < 6; ++i) index += "<img src=/img/" + std::to_string(i) + ".png>";
  index += "<script src=/app.js></script>";
  a.Handle("/*", [&](const HttpRequest& req, Conn& c) {
    if (req.path == "/index.html") return (void)c.Respond(200, index);
    if (req.path == "/robots.txt") return (void)c.Respond(404, "");
    if (c.WaitUntil(open)) c.Respond(200, "x", "image/png");  // held until the test opens the gate
  });
  TempDir dir;
  std::ofstream(dir / "seed.txt") << a.Url("/index.html") << "\n";
  const std::string db = dir / "r.db";
  std::vector<std::string> args = {GREENCRAWL_BIN, "crawl", "--db", db, "--quiet", "--concurrency", "4", "-r",
                                   "--check-resources", dir / "seed.txt"};
  Child first = Start(args, "resources-killed");
  // The index's row commits with the URLs found on it (the same batch): its resources are in the table.
  REQUIRE(WaitForRows(db, 0, std::chrono::seconds(30)));
  kill(first.pid, SIGKILL);
  CHECK(Wait(first).signal == SIGKILL);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE source_kind = 'resource'") == 0);
  open = true;
  args.insert(args.end() - 1, "--resume");
  auto again = Run(args, "resources-resumed");
  CHECK(again.exit_code == 0);
  CHECK(Scalar(db, "SELECT count(*) FROM runs") == 1);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE source_kind = 'resource' AND resource_kind = 'image' "
                   "AND status = 200") == 6);
  CHECK(Scalar(db, "SELECT count(*) FROM results WHERE source_kind = 'resource' AND resource_kind = 'script'") == 1);
}
