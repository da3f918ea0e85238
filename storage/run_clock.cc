#include "storage/run_clock.h"

namespace gc::storage {

RunClock::RunClock(const std::string& db_path) : db_(db_path, sqlite::Database::Mode::kReadWrite) {}

void RunClock::BeginSession(int64_t run_id) {
  // julianday() reads our ISO 8601 times with their 'Z'. max(0, ...): a killed session that recorded
  // nothing has no later result than its start.
  auto st = db_.Prepare(
      "UPDATE runs SET active_s = coalesce(active_s, 0) + CASE WHEN session_started_at IS NULL THEN 0 ELSE "
      "max(0, coalesce((julianday((SELECT max(fetched_at) FROM results WHERE run_id = runs.id)) - "
      "julianday(session_started_at)) * 86400.0, 0)) END, "
      "session_started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
  st.Bind(1, run_id).Run();
}

void RunClock::EndSession(int64_t run_id) {
  auto st = db_.Prepare(
      "UPDATE runs SET active_s = coalesce(active_s, 0) + "
      "max(0, (julianday('now') - julianday(session_started_at)) * 86400.0), session_started_at = NULL "
      "WHERE id = ? AND session_started_at IS NOT NULL");
  st.Bind(1, run_id).Run();
}

}  // namespace gc::storage
