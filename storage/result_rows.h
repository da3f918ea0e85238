// How a result is stored (schema 11, issue 29.1): the table result_rows names its URLs by urls.id and
// keeps times, dates, hashes and timings as integers; the view `results` shows them as before (the same
// columns, names, types and text), which is what users, reports and the writers' own reads query. A row
// took ~430 bytes with its indexes, the URL text three times; it takes ~190.
//
// The conversions here are exact both ways: the view shows the text the crawler recorded. A value that
// would not come back the same (a Last-Modified not in the IMF-fixdate form) is kept as its text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result_store.h"
#include "storage/sql.h"

namespace gc::storage {

// Milliseconds since 1970 of greencrawl's own UTC timestamp "YYYY-MM-DDTHH:MM:SS.sssZ" (UtcNow);
// nullopt for any other text.
std::optional<int64_t> EpochMs(std::string_view iso);

// An HTTP date as stored: `seconds` since 1970 when `text` is an IMF-fixdate ("Sun, 06 Nov 1994
// 08:49:37 GMT") of a year from 1 to 9999 that FormatHttpDate gives back exactly; else `text` itself
// (unset when none).
struct StoredHttpDate {
  std::optional<int64_t> seconds;
  std::optional<std::string> text;
};
StoredHttpDate StoreHttpDate(const std::optional<std::string>& text);

// "Sun, 06 Nov 1994 08:49:37 GMT" for `seconds` since 1970 (years 0 to 9999, four digits).
std::string FormatHttpDate(int64_t seconds);

// The text of a content hash's 64 bits: 16 lower-case hex digits (what the view shows).
std::string HashText(int64_t bits);

// The 64 bits of a content hash as written (16 lower-case hex digits), as a signed integer; nullopt for
// any other text.
std::optional<int64_t> HashBits(const std::optional<std::string>& hex);

// Whole microseconds of a timing in milliseconds (curl measures microseconds: exact).
std::optional<int64_t> Micros(std::optional<double> ms);

// result_rows' columns as the writers write them, in this order (29: run_id, then 28 that a ResultRow fills).
inline constexpr const char* kResultRowColumns =
    "run_id, url_id, final_url_id, status, size, content_type, title, error, error_message, depth, fetched_ms, "
    "redirects, wire_bytes, ip, etag, last_modified_s, last_modified_text, content_hash, dns_us, connect_us, tls_us, "
    "ttfb_us, total_us, list_line, attempts, unchanged, source_kind, source_id, resource_kind";

// A ResultRow's values that result_rows keeps in another form than the row has them (the URLs apart:
// their ids are the writer's to find).
struct StoredValues {
  std::optional<int64_t> fetched_ms, last_modified_s, content_hash, dns_us, connect_us, tls_us, ttfb_us, total_us;
  std::optional<std::string> last_modified_text;
  std::optional<std::string> source_kind;  // "list" when unset and the row has a list line
};
StoredValues Stored(const ResultRow& r);

// Appends the URLs `r` names (url, final_url, source) to `urls`.
void AddUrlsOf(const ResultRow& r, std::vector<std::string_view>& urls);

// The columns a URL's previous result is read with, from result_rows r joined to urls u on its URL (the
// caller adds WHERE ... on u.url and r): run_id, status, size, etag, last_modified_s, last_modified_text,
// content_hash, title, content_type, the run's page_links. Read from the table, not the view: a nightly
// run reads one for every URL, and the view's date text costs four strftime() calls a row in SQLite.
inline constexpr const char* kPreviousColumns =
    "SELECT r.run_id, r.status, r.size, r.etag, r.last_modified_s, r.last_modified_text, r.content_hash, r.title, "
    "r.content_type, (SELECT page_links FROM runs WHERE runs.id = r.run_id) FROM result_rows r JOIN urls u ON u.id = "
    "r.url_id";

// The view `results` over result_rows and urls, for SQLite or PostgreSQL.
std::string ResultsViewSql(bool postgres);

// The step to schema 11 that is not one SQL text: the URLs of the old results table into urls, its rows
// into result_rows (converted as the writers convert them), then the table replaced by the view.
void MoveResultsToSchema11(sql::Database& db);

}  // namespace gc::storage
