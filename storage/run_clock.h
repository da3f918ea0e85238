// RunClock: the active time of runs (schema 4, runs.active_s). Each crawl session adds its own duration,
// so a resumed run's duration leaves out the hours between a kill or Ctrl-C and --resume. A connection
// of its own, used by the crawl command at a session's start and end only. One thread.
#pragma once

#include <cstdint>
#include <string>

#include "storage/sql.h"

namespace gc::storage {

class RunClock {
 public:
  // Opens the (already created) database for writing. Throws sql::Error.
  explicit RunClock(const std::string& db_path);
  // A session of `run_id` starts now. When the previous one was killed (it never ended), its time up to
  // its last recorded result is added first.
  void BeginSession(int64_t run_id);
  // A worker joins a run other workers are crawling (PostgreSQL): the run's clock starts with the first
  // and stops with the last, so only a clock not running is started.
  void JoinSession(int64_t run_id);
  // The session ends now: adds its time to the run's active_s.
  void EndSession(int64_t run_id);

 private:
  sql::Database db_;
};

}  // namespace gc::storage
