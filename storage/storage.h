// Storage's front door: one SQLite file per crawl database, with a versioned schema users query with
// sqlite3 (docs/schema.md).
//   result_store.h  the writer: runs, the persistent frontier, results and links (one thread at a time)
//   inspect.h       the reader: runs, report, diff, export (read-only connections)
//   schema.h        creating and migrating the schema
//   sqlite.h        RAII owners of sqlite3 and sqlite3_stmt, bound parameters only
#pragma once

#include "storage/inspect.h"
#include "storage/result_store.h"
#include "storage/schema.h"
#include "storage/sqlite.h"
