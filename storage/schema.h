// The results database's schema: a public contract that users query with sqlite3 (docs/schema.md).
// Versioned with PRAGMA user_version; older files are migrated forward when opened for writing.
#pragma once

#include "storage/sqlite.h"

namespace gc::storage {

inline constexpr int kSchemaVersion = 5;
// The first version with the --check-fragments tables (anchor_pages, anchors, fragment_links).
inline constexpr int kFragmentsSchemaVersion = 5;

// Sets WAL mode and the connection pragmas, then creates or migrates the schema to kSchemaVersion.
// Throws sqlite::Error for a file that is not a greencrawl database or is newer than this program.
void OpenForWriting(sqlite::Database& db);

// Checks that `db` is a greencrawl database this program can read (any version up to kSchemaVersion
// that has the tables the inspect commands use). Throws sqlite::Error with a one-line reason otherwise.
void CheckReadable(sqlite::Database& db);

}  // namespace gc::storage
