#include "storage/run_clock.h"

#include "storage/result_store.h"  // UtcNow

namespace gc::storage {

RunClock::RunClock(const std::string& db_path) : db_(db_path, sql::Database::Mode::kReadWrite) {
  if (!db_.postgres()) {
    // As the crawl's own connection (storage/schema.cc): in WAL mode NORMAL keeps the file consistent
    // after a crash. SQLite's default, FULL, synced the WAL and its folder at both of a session's ends.
    // Checkpoints are left to the crawl's connection: this one's commit at a session's end copied the
    // whole WAL into the file (~500 pages for 5,000 results) just before the crawl's own close did again.
    db_.Exec("PRAGMA synchronous = NORMAL");
    db_.Exec("PRAGMA wal_autocheckpoint = 0");
  }
}

void RunClock::BeginSession(int64_t run_id) {
  // julianday() reads our ISO 8601 times with their 'Z' (PostgreSQL: the schema's julianday function).
  // Clamped at 0: a killed session that recorded nothing has no later result than its start.
  auto st = db_.Prepare(
      "UPDATE runs SET active_s = coalesce(active_s, 0) + CASE WHEN session_started_at IS NULL THEN 0 ELSE "
      "coalesce((SELECT CASE WHEN d > 0 THEN d ELSE 0 END FROM (SELECT (julianday((SELECT max(fetched_at) "
      "FROM results WHERE run_id = ?1)) - julianday(session_started_at)) * 86400.0 AS d) AS s), 0) END, "
      "session_started_at = ?2 WHERE id = ?1");
  st.Bind(1, run_id).Bind(2, UtcNow()).Run();
}

void RunClock::JoinSession(int64_t run_id) {
  auto st = db_.Prepare("UPDATE runs SET session_started_at = coalesce(session_started_at, ?) WHERE id = ?");
  st.Bind(1, UtcNow()).Bind(2, run_id).Run();
}

void RunClock::EndSession(int64_t run_id) {
  auto st = db_.Prepare(
      "UPDATE runs SET active_s = coalesce(active_s, 0) + "
      "(SELECT CASE WHEN d > 0 THEN d ELSE 0 END FROM (SELECT (julianday(?) - julianday(session_started_at)) * "
      "86400.0 AS d) AS s), session_started_at = NULL WHERE id = ? AND session_started_at IS NOT NULL");
  st.Bind(1, UtcNow()).Bind(2, run_id).Run();
}

}  // namespace gc::storage
