// Storage's front door: a crawl database — an SQLite file (the default) or a PostgreSQL database shared by
// many workers — with one versioned schema users query with sqlite3 or psql (docs/schema.md).
//   result_store.h  the writer: runs, the persistent frontier, results and links (one thread at a time)
//   inspect.h       the reader: runs, report, diff, export (read-only connections)
//   run_queries.h   each query of a run written once: its row, ok/broken/blocked/skipped, severity order
//   report_data.h   the one report model every format (text, JSON, HTML, Markdown, JUnit) renders
//   schema.h        creating and migrating the schema
//   link_sets.h     how links are stored (schema 10): each URL once (url_ids.h), each page's list of links
//                   once, and per run which list each page had; the view `links` reads them as one table
//   fragment_sets.h how --check-fragments' anchors and links to fragments are stored (schema 12): as links
//                   are, each page's list once; the views anchor_pages, anchors, fragment_links read them
//   result_rows.h   how results are stored (schema 11): URLs by id, times, dates and hashes as integers; the
//                   view `results` gives every column's text back
//   sql.h           RAII owners of a connection and its statements (SQLite or PostgreSQL), bound parameters only
//   redact.h        a database target fit to print: any password in it shown as ***
//   over_outage.h   a step on a connection of its own, run again across a PostgreSQL restart (the writer's
//                   own steps do the same through result_store_retrying.h, private to result_store*.cc)
#pragma once

#include "storage/inspect.h"
#include "storage/redact.h"
#include "storage/result_store.h"
#include "storage/schema.h"
#include "storage/sql.h"
