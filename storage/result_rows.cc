#include "storage/result_rows.h"

#include <cmath>
#include <cstdio>

namespace gc::storage {
namespace {

constexpr const char* kDays = "SunMonTueWedThuFriSat";
constexpr const char* kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (H. Hinnant's days_from_civil): no time
// zone, no table, any year.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t y, m, d, hh, mm, ss, wday;
};

Civil CivilFromSeconds(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t sod = t - days * 86400;
  Civil c{};
  c.wday = ((days % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.d = doy - (153 * mp + 2) / 5 + 1;
  c.m = mp < 10 ? mp + 3 : mp - 9;
  c.y = yoe + era * 400 + (c.m <= 2);
  c.hh = sod / 3600, c.mm = sod / 60 % 60, c.ss = sod % 60;
  return c;
}

bool Digits(std::string_view s, size_t at, size_t n, int64_t& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string FormatIsoMs(int64_t ms) {
  int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  Civil c = CivilFromSeconds(s);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)c.y, (long long)c.m,
                (long long)c.d, (long long)c.hh, (long long)c.mm, (long long)c.ss, (long long)(ms - s * 1000));
  return buf;
}

// SQL for the text of an HTTP date `s` (seconds since 1970), as FormatHttpDate writes it; NULL for NULL.
std::string HttpDateSql(bool postgres, const std::string& s) {
  if (postgres) {
    return "to_char(timestamp 'epoch' + " + s + " * interval '1 second', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"')";
  }
  // SQLite's strftime has no names of days and months.
  const std::string at = ", " + s + ", 'unixepoch')";
  return std::string("substr('") + kDays + "', 1 + 3 * CAST(strftime('%w'" + at + " AS INTEGER), 3) || strftime(', %d '" +
         at + " || substr('" + kMonths + "', 3 * CAST(strftime('%m'" + at + " AS INTEGER) - 2, 3) || strftime(' %Y %H:%M:%S GMT'" +
         at;
}

// SQL for greencrawl's timestamp text of `ms` (milliseconds since 1970), as UtcNow writes it.
std::string IsoMsSql(bool postgres, const std::string& ms) {
  if (postgres) {
    return "to_char(timestamp 'epoch' + " + ms + " * interval '1 millisecond', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
  }
  return "strftime('%Y-%m-%dT%H:%M:%fZ', " + ms + " / 1000.0, 'unixepoch')";
}

std::string HashTextSql(bool postgres, const std::string& h) {
  if (postgres) return "lpad(to_hex(" + h + "), 16, '0')";
  return "CASE WHEN " + h + " IS NOT NULL THEN printf('%016x', " + h + ") END";
}

std::string MsSql(bool postgres, const std::string& us) {
  return postgres ? "CAST(" + us + " AS DOUBLE PRECISION) / 1000" : us + " / 1000.0";
}

constexpr const char* kTimings[] = {"dns", "connect", "tls", "ttfb", "total"};

}  // namespace

std::optional<int64_t> EpochMs(std::string_view iso) {
  int64_t y, mo, d, h, mi, s, ms;
  if (iso.size() != 24 || !Digits(iso, 0, 4, y) || !Digits(iso, 5, 2, mo) || !Digits(iso, 8, 2, d) ||
      !Digits(iso, 11, 2, h) || !Digits(iso, 14, 2, mi) || !Digits(iso, 17, 2, s) || !Digits(iso, 20, 3, ms)) {
    return std::nullopt;
  }
  int64_t out = ((DaysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60 * 1000 + s * 1000 + ms;
  if (FormatIsoMs(out) != iso) return std::nullopt;  // 30 February, a 'Z' missing: not ours
  return out;
}

std::string FormatHttpDate(int64_t seconds) {
  Civil c = CivilFromSeconds(seconds);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3s, %02lld %.3s %04lld %02lld:%02lld:%02lld GMT", kDays + 3 * c.wday, (long long)c.d,
                kMonths + 3 * (c.m - 1), (long long)c.y, (long long)c.hh, (long long)c.mm, (long long)c.ss);
  return buf;
}

StoredHttpDate StoreHttpDate(const std::optional<std::string>& text) {
  StoredHttpDate out;
  if (!text) return out;
  const std::string& t = *text;
  int64_t d, y, h, mi, s;
  if (t.size() == 29 && Digits(t, 5, 2, d) && Digits(t, 12, 4, y) && Digits(t, 17, 2, h) && Digits(t, 20, 2, mi) &&
      Digits(t, 23, 2, s)) {
    std::string_view months(kMonths);
    size_t at = months.find(std::string_view(t).substr(8, 3));
    if (at != std::string_view::npos && at % 3 == 0) {
      int64_t seconds = ((DaysFromCivil(y, int64_t(at / 3) + 1, d) * 24 + h) * 60 + mi) * 60 + s;
      // Years 1 to 9999: PostgreSQL has no year 0 (its 'YYYY' would print 0001 for it).
      if (y >= 1 && y <= 9999 && FormatHttpDate(seconds) == t) {
        out.seconds = seconds;
        return out;
      }
    }
  }
  out.text = t;
  return out;
}

std::string HashText(int64_t bits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)uint64_t(bits));
  return buf;
}

std::optional<int64_t> HashBits(const std::optional<std::string>& hex) {
  if (!hex || hex->size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : *hex) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    v = v << 4 | uint64_t(digit);
  }
  return int64_t(v);
}

std::optional<int64_t> Micros(std::optional<double> ms) {
  if (!ms || !std::isfinite(*ms)) return std::nullopt;
  return int64_t(std::llround(*ms * 1000.0));
}

StoredValues Stored(const ResultRow& r) {
  StoredValues v;
  v.fetched_ms = EpochMs(r.fetched_at);
  StoredHttpDate lm = StoreHttpDate(r.last_modified);
  v.last_modified_s = lm.seconds;
  v.last_modified_text = std::move(lm.text);
  v.content_hash = HashBits(r.content_hash);
  v.dns_us = Micros(r.dns_ms), v.connect_us = Micros(r.connect_ms), v.tls_us = Micros(r.tls_ms);
  v.ttfb_us = Micros(r.ttfb_ms), v.total_us = Micros(r.total_ms);
  v.source_kind = r.source_kind;
  if (!v.source_kind && r.list_line) v.source_kind = "list";
  return v;
}

void AddUrlsOf(const ResultRow& r, std::vector<std::string_view>& urls) {
  urls.push_back(r.url);
  if (r.final_url) urls.push_back(*r.final_url);
  if (r.source) urls.push_back(*r.source);
}

std::string ResultsViewSql(bool postgres) {
  std::string timings;
  for (const char* t : kTimings) timings += ", " + MsSql(postgres, std::string("r.") + t + "_us");
  const std::string text = postgres ? " COLLATE \"C\"" : "";
  return "CREATE VIEW results (id, run_id, url, final_url, status, size, content_type, title, error, error_message, "
         "depth, fetched_at, redirects, wire_bytes, ip, etag, last_modified, content_hash, dns_ms, connect_ms, tls_ms, "
         "ttfb_ms, total_ms, list_line, attempts, unchanged, source_kind, source, resource_kind) AS "
         "SELECT r.id, r.run_id, u.url, f.url, r.status, r.size, r.content_type, r.title, r.error, r.error_message, "
         "r.depth, " + IsoMsSql(postgres, "r.fetched_ms") + text + ", r.redirects, r.wire_bytes, r.ip, r.etag, "
         "coalesce(" + HttpDateSql(postgres, "r.last_modified_s") + ", r.last_modified_text)" + text + ", " +
         HashTextSql(postgres, "r.content_hash") + text + timings +
         ", r.list_line, r.attempts, r.unchanged, r.source_kind, s.url, r.resource_kind "
         // LEFT JOINs, also for url (never NULL): a query that does not read a URL column skips its join.
         "FROM result_rows r LEFT JOIN urls u ON u.id = r.url_id LEFT JOIN urls f ON f.id = r.final_url_id "
         "LEFT JOIN urls s ON s.id = r.source_id";
}

void MoveResultsToSchema11(sql::Database& db) {
  const bool pg = db.postgres();
  db.Exec("INSERT INTO urls (url) SELECT url FROM results UNION SELECT final_url FROM results WHERE final_url IS NOT "
          "NULL UNION SELECT source FROM results WHERE source IS NOT NULL EXCEPT SELECT url FROM urls ORDER BY 1");
  // Each value read as the writers read it (above), and kept only when the view gives the same text
  // back; else NULL (a timestamp not greencrawl's, a hash not 16 hex digits) or, for Last-Modified, the
  // text. The parse is SQL's own: strftime('%s') in SQLite (NULL for a bad date), a cast in PostgreSQL
  // (which throws: caught by the function below).
  std::string fetched, lm, hash;
  if (pg) {
    db.Exec(R"sql(
CREATE FUNCTION pg_temp.gc_epoch_ms(t text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
  RETURN CAST(round(extract(epoch FROM CAST(t AS timestamptz)) * 1000) AS bigint);
EXCEPTION WHEN others THEN
  RETURN NULL;
END $f$;
)sql");
    fetched = "pg_temp.gc_epoch_ms(p.fetched_at)";
    lm = "pg_temp.gc_epoch_ms(p.last_modified) / 1000";
    hash = "CASE WHEN p.content_hash ~ '^[0-9a-f]{16}$' THEN CAST(CAST('x' || p.content_hash AS bit(64)) AS bigint) END";
  } else {
    fetched = "CAST(strftime('%s', p.fetched_at) AS INTEGER) * 1000 + CAST(substr(p.fetched_at, 21, 3) AS INTEGER)";
    lm = std::string("CAST(strftime('%s', substr(p.last_modified, 13, 4) || '-' || printf('%02d', (instr('") + kMonths +
         "', substr(p.last_modified, 9, 3)) + 2) / 3) || '-' || substr(p.last_modified, 6, 2) || ' ' || "
         "substr(p.last_modified, 18, 8)) AS INTEGER)";
    hash = "CASE WHEN length(p.content_hash) = 16 AND p.content_hash NOT GLOB '*[^0-9a-f]*' THEN 0";
    for (int i = 0; i < 16; ++i) {
      hash += " | ((instr('0123456789abcdef', substr(p.content_hash, " + std::to_string(i + 1) + ", 1)) - 1) << " +
              std::to_string(60 - 4 * i) + ")";
    }
    hash += " END";
  }
  std::string timings_in, timings_out;
  for (const char* t : kTimings) {
    timings_in += std::string(", ") + t + "_us";
    timings_out += std::string(", CAST(round(p.") + t + "_ms * 1000) AS " + (pg ? "BIGINT)" : "INTEGER)");
  }
  const std::string lm_text = HttpDateSql(pg, "p.lm_s");
  db.Exec("INSERT INTO result_rows (id, run_id, url_id, final_url_id, status, size, content_type, title, error, "
          "error_message, depth, fetched_ms, redirects, wire_bytes, ip, etag, last_modified_s, last_modified_text, "
          "content_hash" + timings_in + ", list_line, attempts, unchanged, source_kind, source_id, resource_kind) "
          "SELECT p.id, p.run_id, (SELECT id FROM urls WHERE url = p.url), (SELECT id FROM urls WHERE url = p.final_url), "
          "p.status, p.size, p.content_type, p.title, p.error, p.error_message, p.depth, "
          "CASE WHEN " + IsoMsSql(pg, "p.fetched_ms") + " = p.fetched_at THEN p.fetched_ms END, p.redirects, "
          "p.wire_bytes, p.ip, p.etag, CASE WHEN " + lm_text + " = p.last_modified THEN p.lm_s END, "
          "CASE WHEN " + lm_text + " = p.last_modified THEN NULL ELSE p.last_modified END, p.hash" + timings_out +
          ", p.list_line, p.attempts, p.unchanged, p.source_kind, (SELECT id FROM urls WHERE url = p.source), "
          "p.resource_kind FROM (SELECT p.*, " + fetched + " AS fetched_ms, " + lm + " AS lm_s, " + hash +
          " AS hash FROM results p) p ORDER BY p.id");
  if (pg) {
    db.Exec("DROP FUNCTION pg_temp.gc_epoch_ms(text)");
    // The identity continues after the rows moved with their ids.
    db.Exec("SELECT setval(pg_get_serial_sequence('result_rows', 'id'), coalesce((SELECT max(id) FROM result_rows), 0) + 1, false)");
  }
  db.Exec("DROP TABLE results");
  // Three indexes where the table had four: one unique index serves both a URL's results across runs
  // (history, the previous result) and the row of (run, URL) (the upsert, joins of two runs); a run's
  // rows are read by the status index's prefix; the error index holds only the rows that have one.
  db.Exec("CREATE UNIQUE INDEX result_rows_by_url ON result_rows (url_id, run_id)");
  db.Exec("CREATE INDEX result_rows_by_run_status ON result_rows (run_id, status)");
  db.Exec("CREATE INDEX result_rows_by_run_error ON result_rows (run_id, error) WHERE error IS NOT NULL");
  db.Exec(ResultsViewSql(pg));
}

}  // namespace gc::storage
