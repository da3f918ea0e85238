#include "storage/schema.h"

#include <optional>
#include <string>

#include "storage/fragment_sets.h"
#include "storage/link_sets.h"
#include "storage/result_rows.h"

namespace gc::storage {
namespace {

// Each step takes the file from version i to i + 1. Never edit a released step: add one.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema. A version-0 file is an empty SQLite database.
    R"sql(
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  started_at  TEXT NOT NULL,              -- UTC, ISO 8601 (YYYY-MM-DDTHH:MM:SS.sssZ)
  finished_at TEXT,                       -- NULL while running, or if the process died
  status      TEXT NOT NULL,              -- running | completed | interrupted | failed
  list_file   TEXT,                       -- the URL list as given ('-' for standard input)
  options     TEXT,                       -- the effective options, JSON
  version     TEXT NOT NULL,              -- greencrawl version that ran it
  pid         INTEGER,
  urls_total  INTEGER,                    -- list lines queued after deduplication (NULL until read)
  lines_invalid INTEGER,                  -- malformed or non-http(s) lines (they have result rows too)
  lines_duplicate INTEGER,                -- lines that repeated an earlier URL
  ok_count    INTEGER,                    -- `ok` as reports count it (README, "What the counts mean")
  error_count INTEGER                     -- results with an error class
);

CREATE TABLE results (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url           TEXT NOT NULL,            -- canonical URL (for a malformed line: the line itself)
  final_url     TEXT,                     -- after redirects
  status        INTEGER,                  -- final HTTP status; NULL when no response arrived
  size          INTEGER,                  -- decoded body bytes; NULL when no body
  content_type  TEXT,
  title         TEXT,
  error         TEXT,                     -- NULL on success, else an error class (docs/errors.md)
  error_message TEXT,
  depth         INTEGER NOT NULL DEFAULT 0,
  fetched_at    TEXT,                     -- UTC, ISO 8601
  redirects     INTEGER,
  wire_bytes    INTEGER,                  -- bytes received: headers + body as sent (compressed)
  ip            TEXT,
  etag          TEXT,
  last_modified TEXT,
  content_hash  TEXT,                     -- XXH3-64 of the decoded body, 16 hex digits
  dns_ms        REAL,
  connect_ms    REAL,
  tls_ms        REAL,
  ttfb_ms       REAL,
  total_ms      REAL,
  list_line     INTEGER,                  -- line number in the list; NULL for discovered URLs
  attempts      INTEGER NOT NULL DEFAULT 1,
  UNIQUE (run_id, url)
);
CREATE INDEX results_by_run_status ON results (run_id, status);
CREATE INDEX results_by_run_error ON results (run_id, error);

-- URLs still to fetch (and done), so that a killed crawl resumes where it stopped.
CREATE TABLE frontier (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url       TEXT NOT NULL,
  seq       INTEGER NOT NULL,             -- crawl order
  depth     INTEGER NOT NULL DEFAULT 0,
  list_line INTEGER,
  done      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, url)
) WITHOUT ROWID;
CREATE INDEX frontier_pending ON frontier (run_id, done, seq);

-- Links found in fetched pages (filled when links are extracted).
CREATE TABLE links (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  from_url TEXT NOT NULL,
  to_url   TEXT NOT NULL,
  nofollow INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, from_url, to_url)
) WITHOUT ROWID;
CREATE INDEX links_by_target ON links (run_id, to_url);
)sql",
    // 1 -> 2: link following. A discovered URL remembers the scope root it descends from (the final URL
    // of the listed URL it was found from), so that --resume keeps the same scope.
    R"sql(
ALTER TABLE frontier ADD COLUMN root TEXT;
)sql",
    // 2 -> 3: scheduled re-crawls. A 304 answer to a conditional request is recorded with unchanged = 1
    // and the previous result's size, hash, title and type carried forward; the index finds a URL's
    // previous result.
    R"sql(
ALTER TABLE results ADD COLUMN unchanged INTEGER;
CREATE INDEX results_by_url ON results (url, run_id);
)sql",
    // 3 -> 4: a run's duration is the time its sessions spent crawling, not the hours between a kill and
    // --resume. Each session adds its own time to active_s when it ends; session_started_at is set while
    // one runs, so a session that was killed (still set at the next start) adds its time up to its last
    // result then.
    R"sql(
ALTER TABLE runs ADD COLUMN active_s REAL;
ALTER TABLE runs ADD COLUMN session_started_at TEXT;
)sql",
    // 4 -> 5: sitemaps (crawl --sitemaps / --sitemap). Each URL remembers where it came from: the list,
    // a sitemap, or a page linking to it; sitemap_urls keeps every URL the run's sitemaps listed (with
    // its <lastmod>), sitemaps each sitemap file read. `report` compares them with the links table
    // (orphans both ways) and the results (in the sitemap but broken).
    R"sql(
ALTER TABLE frontier ADD COLUMN source_kind TEXT;
ALTER TABLE frontier ADD COLUMN source TEXT;
ALTER TABLE results ADD COLUMN source_kind TEXT;
ALTER TABLE results ADD COLUMN source TEXT;
CREATE TABLE sitemap_urls (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url     TEXT NOT NULL,
  sitemap TEXT NOT NULL,
  lastmod TEXT,
  PRIMARY KEY (run_id, url)
);
CREATE TABLE sitemaps (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url       TEXT NOT NULL,
  kind      TEXT,
  status    INTEGER,
  error     TEXT,
  urls      INTEGER NOT NULL DEFAULT 0,
  skipped   INTEGER NOT NULL DEFAULT 0,
  truncated INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, url)
);
)sql",
    // 5 -> 6 (kFragmentsSchemaVersion): crawl --check-fragments. The anchors (ids and <a name>s) of each
    // fetched 2xx HTML page, which pages had theirs recorded, and the links that name a fragment, so that
    // a link "page.html#section" whose page lacks the anchor is reported apart from broken links.
    R"sql(
CREATE TABLE anchor_pages (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url     TEXT NOT NULL,
  anchors INTEGER NOT NULL,
  capped  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, url)
) WITHOUT ROWID;
CREATE TABLE anchors (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url    TEXT NOT NULL,
  anchor TEXT NOT NULL,
  PRIMARY KEY (run_id, url, anchor)
) WITHOUT ROWID;
CREATE TABLE fragment_links (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  from_url TEXT NOT NULL,
  to_url   TEXT NOT NULL,
  fragment TEXT NOT NULL,
  PRIMARY KEY (run_id, to_url, fragment, from_url)
) WITHOUT ROWID;
)sql",
    // 6 -> 7 (kPageLinksSchemaVersion): nightly recursive re-crawls. A 304 page has no body to read links
    // from, so its links are carried from the run whose validators were sent: page_links says which runs
    // hold every fetched HTML page's links (1) and also its anchors and fragment links (2), and the index
    // reads a page's fragment links by the page.
    R"sql(
ALTER TABLE runs ADD COLUMN page_links INTEGER;
CREATE INDEX fragment_links_by_source ON fragment_links (run_id, from_url);
)sql",
    // 7 -> 8 (kResourcesSchemaVersion): crawl --check-resources. A page's images, scripts, stylesheets,
    // frames and media are checked once each (results.source_kind 'resource') and say which they are
    // (resource_kind: image, script, style, frame, media; NULL for anything else). The frontier keeps the
    // kind until the result is written, and links keeps it for the page->resource edge, so that a 304
    // page (whose links are carried from an earlier run) carries its resources as resources.
    R"sql(
ALTER TABLE results ADD COLUMN resource_kind TEXT;
ALTER TABLE frontier ADD COLUMN resource_kind TEXT;
ALTER TABLE links ADD COLUMN resource_kind TEXT;
)sql",
    // 8 -> 9 (kHostLanesSchemaVersion): a large host shared by several workers (issue 28.4). A run on
    // PostgreSQL with --per-host N > 1 (and no --delay) splits each host's URLs into host_lanes lanes by a
    // hash of the URL; frontier.host and hosts.host then hold "origin#k", and each lane is leased like a
    // host. Fixed when the run starts, so that resumed and joining workers key URLs as it did. NULL or 1:
    // one lane per host (every SQLite run, and every run before schema 9).
    R"sql(
ALTER TABLE runs ADD COLUMN host_lanes INTEGER;
)sql",
    // 9 -> 10 (kUrlIdsSchemaVersion): links stored by what changed (issue 29.1). A run's links were two
    // full URL texts a row, twice (the table and links_by_target): ~228 bytes a link, every run again, a
    // gigabyte a run for a large site. Now urls holds each URL's text once for all runs, link_sets and
    // link_set_members each distinct list of a page's links once, and page_link_sets which list each page
    // had in each run: an unchanged page costs a run one row. The view links keeps the old columns. The
    // old rows are moved by MoveLinksIntoSets (link_sets.cc) between this step and kLinksView, all in the
    // step's one transaction: a migration stopped half way leaves schema 9 whole, and is done again.
    R"sql(
CREATE TABLE urls (
  id  INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE
);
INSERT INTO urls (url) SELECT from_url FROM links UNION SELECT to_url FROM links ORDER BY 1;
CREATE TABLE link_sets (
  id      INTEGER PRIMARY KEY,
  hash_hi INTEGER NOT NULL,               -- XXH3-128 of the set's members, seeded (storage/link_sets.h)
  hash_lo INTEGER NOT NULL,
  members INTEGER NOT NULL,               -- how many
  UNIQUE (hash_hi, hash_lo, members)
);
-- The hash's seed: this database's own secret, so that a page cannot be made to collide with another's.
CREATE TABLE link_set_seed (seed INTEGER NOT NULL);
INSERT INTO link_set_seed (seed) SELECT random();
CREATE TABLE link_set_members (
  set_id        INTEGER NOT NULL,
  to_id         INTEGER NOT NULL,         -- urls.id of the link's target
  nofollow      INTEGER NOT NULL DEFAULT 0,
  resource_kind TEXT,
  PRIMARY KEY (set_id, to_id)
) WITHOUT ROWID;
CREATE INDEX link_set_members_by_target ON link_set_members (to_id);
CREATE TABLE page_link_sets (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  from_id INTEGER NOT NULL,               -- urls.id of the page
  set_id  INTEGER NOT NULL,               -- link_sets.id of its links in this run
  PRIMARY KEY (run_id, from_id)
) WITHOUT ROWID;
CREATE INDEX page_link_sets_by_set ON page_link_sets (set_id, run_id);
-- The planner's statistics for the view links, written here as SQLite allows (its "sqlite_stat1"
-- documentation), so that every connection plans it well from the start: a run has many pages, a URL
-- is the target of few sets, and a set is used by few pages a run. Without them a lookup by to_url
-- walked every page of the run (seen on a 31-page site); ANALYZE's own figures plan alike.
ANALYZE link_sets;
DELETE FROM sqlite_stat1 WHERE tbl IN ('page_link_sets', 'link_set_members');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('page_link_sets', 'page_link_sets', '1000000 10000 1'),
  ('page_link_sets', 'page_link_sets_by_set', '1000000 3 1'),
  ('link_set_members', 'link_set_members', '1000000 30 1'),
  ('link_set_members', 'link_set_members_by_target', '1000000 20');
)sql",
    // 10 -> 11 (kResultRowsSchemaVersion): result rows by URL id (issue 29.1). A result row took ~430
    // bytes with its indexes, its URL's text in the table and two indexes, the final URL's and the
    // referrer's again, times and dates as text, timings as 8-byte reals. result_rows names the URLs by
    // urls.id and keeps the rest as integers (storage/result_rows.h): ~190 bytes. The view results keeps
    // the old columns and their text. The rows are moved, the table dropped and the view made by
    // MoveResultsToSchema11, in the step's one transaction.
    R"sql(
CREATE TABLE result_rows (
  id                 INTEGER PRIMARY KEY,
  run_id             INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url_id             INTEGER NOT NULL,    -- urls.id of the canonical URL (for a malformed line: the line)
  final_url_id       INTEGER,             -- urls.id of the URL after redirects
  status             INTEGER,
  size               INTEGER,
  content_type       TEXT,
  title              TEXT,
  error              TEXT,
  error_message      TEXT,
  depth              INTEGER NOT NULL DEFAULT 0,
  fetched_ms         INTEGER,             -- milliseconds since 1970, UTC
  redirects          INTEGER,
  wire_bytes         INTEGER,
  ip                 TEXT,
  etag               TEXT,
  last_modified_s    INTEGER,             -- Last-Modified, seconds since 1970, when an IMF-fixdate
  last_modified_text TEXT,                -- else the header's text
  content_hash       INTEGER,             -- XXH3-64 of the decoded body, its 64 bits
  dns_us             INTEGER,             -- timings in microseconds
  connect_us         INTEGER,
  tls_us             INTEGER,
  ttfb_us            INTEGER,
  total_us           INTEGER,
  list_line          INTEGER,
  attempts           INTEGER NOT NULL DEFAULT 1,
  unchanged          INTEGER,
  source_kind        TEXT,
  source_id          INTEGER,             -- urls.id of the sitemap or referring page
  resource_kind      TEXT
);
)sql",
    // 11 -> 12 (kFragmentSetsSchemaVersion): --check-fragments' rows, and sitemaps' URLs, stored by what
    // changed and by URL id (issue 29.1).
    // Every run wrote each page's anchors again, each with the page's URL text (~90 bytes an anchor, most
    // of a nightly --check-fragments database), and each link to a fragment with two URL texts. Now each
    // distinct list of a page's anchors, and of its links to fragments, is stored once, and a run says
    // which lists its pages had (storage/fragment_sets.h). The views keep the old tables' names and
    // columns; MoveFragmentsToSchema12 moves the rows and makes them, in the step's one transaction.
    // sitemap_urls (every URL each run's sitemaps listed, two URL texts a row) names both by urls.id.
    R"sql(
CREATE TABLE anchor_sets (
  id      INTEGER PRIMARY KEY,
  hash_hi INTEGER NOT NULL,               -- XXH3-128 of the members, seeded with link_set_seed
  hash_lo INTEGER NOT NULL,
  members INTEGER NOT NULL,               -- how many
  UNIQUE (hash_hi, hash_lo, members)
);
CREATE TABLE anchor_set_members (
  set_id INTEGER NOT NULL,
  anchor TEXT NOT NULL,
  PRIMARY KEY (set_id, anchor)
) WITHOUT ROWID;
CREATE TABLE page_anchor_sets (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  page_id INTEGER NOT NULL,               -- urls.id of the page
  set_id  INTEGER NOT NULL,               -- anchor_sets.id of its anchors in this run
  capped  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, page_id)
) WITHOUT ROWID;
CREATE TABLE fragment_sets (
  id      INTEGER PRIMARY KEY,
  hash_hi INTEGER NOT NULL,
  hash_lo INTEGER NOT NULL,
  members INTEGER NOT NULL,
  UNIQUE (hash_hi, hash_lo, members)
);
CREATE TABLE fragment_set_members (
  set_id   INTEGER NOT NULL,
  to_id    INTEGER NOT NULL,              -- urls.id of the linked page, without the fragment
  fragment TEXT NOT NULL,
  PRIMARY KEY (set_id, to_id, fragment)
) WITHOUT ROWID;
CREATE INDEX fragment_set_members_by_target ON fragment_set_members (to_id, fragment);
CREATE TABLE page_fragment_sets (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  from_id INTEGER NOT NULL,               -- urls.id of the linking page
  set_id  INTEGER NOT NULL,
  PRIMARY KEY (run_id, from_id)
) WITHOUT ROWID;
CREATE INDEX page_fragment_sets_by_set ON page_fragment_sets (set_id, run_id);
-- Every URL a run's sitemaps listed, by id; MoveToSchema12 moves the rows and makes the view sitemap_urls.
CREATE TABLE sitemap_url_rows (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  url_id     INTEGER NOT NULL,            -- urls.id of the listed URL
  sitemap_id INTEGER NOT NULL,            -- urls.id of the sitemap file that listed it first
  lastmod    TEXT,
  PRIMARY KEY (run_id, url_id)
) WITHOUT ROWID;
-- The planner's statistics, as for the link sets (schema 10): a run has many pages, a target few sets.
ANALYZE anchor_sets;
DELETE FROM sqlite_stat1 WHERE tbl IN ('page_anchor_sets', 'anchor_set_members', 'page_fragment_sets',
                                       'fragment_set_members');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('page_anchor_sets', 'page_anchor_sets', '1000000 10000 1'),
  ('anchor_set_members', 'anchor_set_members', '1000000 30 1'),
  ('page_fragment_sets', 'page_fragment_sets', '1000000 10000 1'),
  ('page_fragment_sets', 'page_fragment_sets_by_set', '1000000 3 1'),
  ('fragment_set_members', 'fragment_set_members', '1000000 10 2 1'),
  ('fragment_set_members', 'fragment_set_members_by_target', '1000000 20 3');
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);
}  // namespace

void MoveLinksToSchema10(sql::Database& db) {
  MoveLinksIntoSets(db);
  db.Exec(R"sql(
DROP TABLE links;
CREATE VIEW links (run_id, from_url, to_url, nofollow, resource_kind) AS
  SELECT p.run_id, f.url, t.url, m.nofollow, m.resource_kind
  FROM page_link_sets p JOIN link_set_members m ON m.set_id = p.set_id
  JOIN urls f ON f.id = p.from_id JOIN urls t ON t.id = m.to_id;
)sql");
}

void MoveToSchema12(sql::Database& db) {
  MoveFragmentsToSchema12(db);
  // The same SQL for both engines: the URLs both columns name into urls (only those it lacks), then the rows.
  db.Exec(R"sql(
INSERT INTO urls (url) SELECT x FROM (SELECT url AS x FROM sitemap_urls UNION SELECT sitemap FROM sitemap_urls) t
  WHERE NOT EXISTS (SELECT 1 FROM urls WHERE url = x) ORDER BY 1;
INSERT INTO sitemap_url_rows (run_id, url_id, sitemap_id, lastmod)
  SELECT s.run_id, u.id, m.id, s.lastmod FROM sitemap_urls s JOIN urls u ON u.url = s.url JOIN urls m ON m.url = s.sitemap;
DROP TABLE sitemap_urls;
CREATE VIEW sitemap_urls (run_id, url, sitemap, lastmod) AS
  SELECT s.run_id, u.url, m.url, s.lastmod
  FROM sitemap_url_rows s JOIN urls u ON u.id = s.url_id JOIN urls m ON m.id = s.sitemap_id;
)sql");
}

bool HasTable(sql::Database& db, const char* name) {
  auto st = db.Prepare(db.postgres() ? "SELECT 1 WHERE to_regclass(?) IS NOT NULL"
                                     : "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?");
  st.Bind(1, name);
  return st.Step();
}

namespace {
int TableCount(sql::Database& db) {
  if (db.postgres()) return HasTable(db, "runs") ? 1 : 0;  // a database may hold other applications' tables
  auto st = db.Prepare("SELECT count(*) FROM sqlite_master");
  st.Step();
  return int(st.Int(0));
}

void CheckVersion(sql::Database& db, int version) {
  if (version > kSchemaVersion) {
    throw sql::Error(db.path() + " was written by a newer greencrawl (schema " + std::to_string(version) +
                            ", this program knows up to " + std::to_string(kSchemaVersion) + ")",
                        sql::kError);
  }
  if (version == 0 && TableCount(db) > 0) {
    throw sql::Error(db.path() + " is a database, but not a greencrawl one", sql::kError);
  }
}

// Runs the file's first statement, in words about the database when the file is not one: SQLite would
// say "running SQL (PRAGMA ...): file is not a database".
template <typename F>
auto FirstTouch(sql::Database& db, F&& f) {
  try {
    return f();
  } catch (const sql::Error& e) {
    if (e.code == sql::kNotADb) {
      throw sql::Error(db.path() + " is not a database (not an SQLite file); greencrawl will not touch it", e.code);
    }
    if (e.code == sql::kCorrupt) throw sql::Error(db.path() + " is damaged (SQLite: corrupt)", e.code);
    throw;
  }
}

}  // namespace

int SchemaVersion(sql::Database& db) {
  if (db.postgres()) {
    if (!HasTable(db, "greencrawl_schema")) return 0;
    auto st = db.Prepare("SELECT max(version) FROM greencrawl_schema");
    return st.Step() && !st.IsNull(0) ? int(st.Int(0)) : 0;
  }
  auto st = db.Prepare("PRAGMA user_version");
  st.Step();
  return int(st.Int(0));
}

void OpenForWriting(sql::Database& db) { MigrateTo(db, kSchemaVersion); }

std::optional<int> PendingMigration(const std::string& target) {
  try {
    sql::Database db(target, sql::Database::Mode::kReadOnly);  // fails for a file that does not exist
    int version = SchemaVersion(db);
    if (version > 0 && version < kSchemaVersion) return version;
  } catch (const sql::Error&) {
  }
  return std::nullopt;
}

void MigrateTo(sql::Database& db, int target) {
  if (db.postgres()) return OpenPostgresForWriting(db, target);
  // WAL: readers never block the writer nor the writer them. synchronous=NORMAL in WAL mode keeps the
  // database consistent after a crash; only the last commits before a power loss may be lost, and the
  // crawl's resume redoes those URLs.
  FirstTouch(db, [&] { db.Exec("PRAGMA journal_mode = WAL"); });
  db.Exec("PRAGMA synchronous = NORMAL");
  db.Exec("PRAGMA foreign_keys = ON");
  int version = SchemaVersion(db);
  CheckVersion(db, version);
  // A database made by an older release moves up a step a transaction, so that a migration of millions of
  // rows cut short keeps the steps it finished. A new one has nothing to keep: every step in one
  // transaction, one commit for the eleven (a new database's schema cost ~20 ms and ~120 WAL frames
  // before the first request of a crawl, bench/RESULTS.md), the same statements and the same schema.
  std::optional<sql::Transaction> whole;
  if (version == 0) {
    whole.emplace(db);  // BEGIN IMMEDIATE: the write lock; another process may have made it meanwhile
    version = SchemaVersion(db);
    CheckVersion(db, version);
  }
  while (version < target) {
    std::optional<sql::Transaction> step;
    if (!whole) step.emplace(db);
    db.Exec(kMigrations[version]);
    if (version + 1 == kUrlIdsSchemaVersion) MoveLinksToSchema10(db);
    if (version + 1 == kResultRowsSchemaVersion) MoveResultsToSchema11(db);
    if (version + 1 == kFragmentSetsSchemaVersion) MoveToSchema12(db);
    ++version;
    db.Exec("PRAGMA user_version = " + std::to_string(version));  // a number, not user data
    if (step) step->Commit();
  }
  if (whole) whole->Commit();
}

std::string RunDurationSql(int schema_version, const std::string& runs) {
  std::string active = schema_version >= 4 ? runs + "active_s" : "NULL";
  return "coalesce(" + active + ", (julianday(coalesce(" + runs + "finished_at, " + runs + "started_at)) - julianday(" +
         runs + "started_at)) * 86400.0)";
}

void CheckReadable(sql::Database& db) {
  int version = FirstTouch(db, [&] { return SchemaVersion(db); });
  CheckVersion(db, version);
  if (version == 0 || !HasTable(db, "runs") || !HasTable(db, "results")) {
    throw sql::Error(db.path() + " is not a greencrawl database (no runs yet?)", sql::kError);
  }
}

}  // namespace gc::storage
