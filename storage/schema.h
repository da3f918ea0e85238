// The results database's schema: a public contract that users query with sqlite3 or psql (docs/schema.md).
// Versioned (SQLite: PRAGMA user_version; PostgreSQL: the greencrawl_schema table); older databases are
// migrated forward when opened for writing. PostgreSQL has the same tables and columns, plus the
// coordination of many workers (workers, hosts, frontier.host and frontier.lease: schema_postgres.cc).
#pragma once

#include <optional>
#include <string>

#include "storage/sql.h"

namespace gc::storage {

inline constexpr int kSchemaVersion = 12;
// The first version with the --check-fragments tables (anchor_pages, anchors, fragment_links).
inline constexpr int kFragmentsSchemaVersion = 6;
// The first version with runs.page_links (a 304 page's links carried from an earlier run).
inline constexpr int kPageLinksSchemaVersion = 7;
// The first version with resource_kind (results, frontier, links): crawl --check-resources.
inline constexpr int kResourcesSchemaVersion = 8;
// The first version with runs.host_lanes (a host's URLs split into lanes between workers).
inline constexpr int kHostLanesSchemaVersion = 9;
// The first version with urls and link sets (links stored by what changed; links is a view of them).
inline constexpr int kUrlIdsSchemaVersion = 10;
// The first version with result_rows (results by URL id; results is a view of them: result_rows.h).
inline constexpr int kResultRowsSchemaVersion = 11;
// The first version with anchor and fragment sets (anchor_pages, anchors, fragment_links are views of them).
inline constexpr int kFragmentSetsSchemaVersion = 12;

// Sets WAL mode and the connection pragmas, then creates or migrates the schema to kSchemaVersion.
// Throws sql::Error for a file that is not a greencrawl database or is newer than this program.
void OpenForWriting(sql::Database& db);

// The schema version of the database at `target` (a path or a PostgreSQL URI) when opening it for
// writing would migrate it: an existing greencrawl database older than kSchemaVersion. nullopt otherwise,
// and when it cannot be read (opening it for writing then says why). For a word to the user first: a
// large database's migration takes a while.
std::optional<int> PendingMigration(const std::string& target);

// OpenForWriting, up to `version` only: the schema an earlier release made (released steps are never
// edited). For the tests that migrate such a database.
void MigrateTo(sql::Database& db, int version);

// Checks that `db` is a greencrawl database this program can read (any version up to kSchemaVersion
// that has the tables the inspect commands use). Throws sql::Error with a one-line reason otherwise.
void CheckReadable(sql::Database& db);

// Whether `db` has a table (or view) `name`.
bool HasTable(sql::Database& db, const char* name);

// The schema version `db` has (0: none yet).
int SchemaVersion(sql::Database& db);

// SQL for a run's duration in seconds, over the runs table (`runs`: its alias with the dot, "r.", or ""):
// the time its sessions spent crawling (active_s, from schema 4), else the wall time from its start to
// its finish (0 while unfinished). `runs` and `report` both show this.
std::string RunDurationSql(int schema_version, const std::string& runs = "");

// PostgreSQL: how many workers hold a live lease on some run of `db` (the server's clock): while any
// crawls, a schema step that changes what they write, or a prune of the shared URL tables, waits.
int64_t LiveWorkers(sql::Database& db);

// MigrateTo for PostgreSQL: creates or migrates the schema under an advisory lock, so that workers
// starting together migrate once.
void OpenPostgresForWriting(sql::Database& db, int version);

// The part of the step to schema 10 that is not one SQL text: the old links rows into their sets, then
// the links table replaced by the view of the same name and columns.
void MoveLinksToSchema10(sql::Database& db);

// The part of the step to schema 12 that is not its SQL text: the anchors and fragment links into their
// sets (MoveFragmentsToSchema12), the sitemaps' URLs into sitemap_url_rows, and the views of the old names.
void MoveToSchema12(sql::Database& db);

}  // namespace gc::storage
