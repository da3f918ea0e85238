#include "storage/result_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "storage/report_data.h"
#include "storage/schema.h"

namespace gc::storage {

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  int64_t ms_since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = std::time_t(ms_since_epoch / 1000);
  int ms = int(ms_since_epoch % 1000);
  // Every result row takes a timestamp: the date part is formatted once a second per thread.
  thread_local std::time_t formatted_t = -1;
  thread_local char date[32];
  if (t != formatted_t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    formatted_t = t;
  }
  std::string out;
  out.reserve(24);
  out += date;
  out += '.';
  out += char('0' + ms / 100);
  out += char('0' + ms / 10 % 10);
  out += char('0' + ms % 10);
  out += 'Z';
  return out;
}

namespace {
sqlite::Database& Migrated(sqlite::Database& db) {
  OpenForWriting(db);
  return db;
}
}  // namespace

ResultStore::ResultStore(const std::string& path)
    : db_(path, sqlite::Database::Mode::kReadWrite),
      insert_result_(Migrated(db_).Prepare(
          "INSERT OR REPLACE INTO results (run_id, url, final_url, status, size, content_type, title, error, "
          "error_message, depth, fetched_at, redirects, wire_bytes, ip, etag, last_modified, content_hash, dns_ms, "
          "connect_ms, tls_ms, ttfb_ms, total_ms, list_line, attempts, unchanged) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
      mark_done_(db_.Prepare("UPDATE frontier SET done = 1 WHERE run_id = ? AND url = ? AND (?3 = 0 OR seq = ?3)")),
      insert_frontier_(db_.Prepare(
          "INSERT OR IGNORE INTO frontier (run_id, url, seq, depth, list_line) VALUES (?, ?, ?, ?, ?)")),
      insert_link_(db_.Prepare(
          "INSERT OR IGNORE INTO links (run_id, from_url, to_url, nofollow) VALUES (?, ?, ?, ?)")),
      discover_(db_.Prepare(
          "INSERT INTO frontier (run_id, url, seq, depth, list_line, root) VALUES (?, ?, ?, ?, NULL, ?) "
          "ON CONFLICT (run_id, url) DO UPDATE SET depth = excluded.depth "
          "WHERE excluded.depth < frontier.depth AND frontier.done = 0")),
      refetch_(db_.Prepare("UPDATE frontier SET done = 0, seq = ?, depth = ? WHERE run_id = ? AND url = ?")),
      lower_depth_(db_.Prepare(
          "UPDATE frontier SET depth = ? WHERE run_id = ? AND url = ? AND done = 0 AND depth > ?")),
      previous_(db_.Prepare(
          "SELECT run_id, status, size, etag, last_modified, content_hash, title, content_type FROM results "
          "WHERE url = ? AND run_id < ? AND error IS NULL AND (status BETWEEN 200 AND 299 OR status = 304) "
          "ORDER BY run_id DESC LIMIT 1")) {
  // The crawl's writer inserts links and frontier rows in key order of URLs, i.e. all over the B-trees:
  // with SQLite's 2 MB default cache half of its time went to pread-ing pages back (perf, bench case d).
  // 32 MB keeps the hot pages; fewer checkpoints (16 MB of WAL) rewrite them less often.
  db_.Exec("PRAGMA cache_size = -32768");
  db_.Exec("PRAGMA wal_autocheckpoint = 4000");
  struct stat st {};
  if (path != ":memory:" && !path.empty() && ::stat(path.c_str(), &st) == 0) file_id_ = {st.st_dev, st.st_ino};
}

void ResultStore::CheckFileStillThere() const {
  if (!file_id_) return;
  // SQLite keeps writing to an unlinked file without complaint: the crawl would "complete" into nothing.
  struct stat st {};
  if (::stat(db_.path().c_str(), &st) != 0 || std::make_pair(st.st_dev, st.st_ino) != *file_id_) {
    throw sqlite::Error("the database " + db_.path() + " was deleted or replaced during the crawl; stopping",
                        SQLITE_IOERR);
  }
}

int64_t ResultStore::BeginRun(const std::string& list_file, const std::string& options_json,
                              const std::string& version) {
  auto st = db_.Prepare(
      "INSERT INTO runs (started_at, status, list_file, options, version, pid) VALUES (?, 'running', ?, ?, ?, ?)");
  st.Bind(1, UtcNow()).Bind(2, list_file).Bind(3, options_json).Bind(4, version).Bind(5, int64_t(getpid()));
  st.Run();
  return db_.LastInsertId();
}

std::optional<RunRecord> ResultStore::LatestUnfinishedRun() {
  auto st = db_.Prepare(
      "SELECT id, status, list_file, urls_total FROM runs WHERE status != 'completed' ORDER BY id DESC LIMIT 1");
  if (!st.Step()) return std::nullopt;
  return RunRecord{st.Int(0), st.Text(1), st.Text(2), st.OptInt(3)};
}

void ResultStore::MarkRunning(int64_t run_id) {
  auto st = db_.Prepare("UPDATE runs SET status = 'running', finished_at = NULL, pid = ? WHERE id = ?");
  st.Bind(1, int64_t(getpid())).Bind(2, run_id).Run();
}

void ResultStore::SetListCounts(int64_t run_id, int64_t queued, int64_t invalid, int64_t duplicate) {
  auto st = db_.Prepare("UPDATE runs SET urls_total = ?, lines_invalid = ?, lines_duplicate = ? WHERE id = ?");
  st.Bind(1, queued).Bind(2, invalid).Bind(3, duplicate).Bind(4, run_id).Run();
}

RunCounts ResultStore::Counts(int64_t run_id) {
  auto st = db_.Prepare(
      "SELECT count(*) FILTER (WHERE error IS NULL), count(*) FILTER (WHERE error IS NOT NULL) "
      "FROM results WHERE run_id = ?");
  st.Bind(1, run_id);
  st.Step();
  return RunCounts{st.Int(0), st.Int(1)};
}

void ResultStore::FinishRun(int64_t run_id, const std::string& status) {
  RunCounts c = Counts(run_id);
  auto st = db_.Prepare("UPDATE runs SET status = ?, finished_at = ?, ok_count = ?, error_count = ? WHERE id = ?");
  st.Bind(1, status).Bind(2, UtcNow()).Bind(3, c.ok).Bind(4, c.errors).Bind(5, run_id).Run();
}

bool ResultStore::AddToFrontier(int64_t run_id, const FrontierItem& item) {
  insert_frontier_.Bind(1, run_id).Bind(2, item.url).Bind(3, item.seq).Bind(4, item.depth).Bind(5, item.list_line);
  insert_frontier_.Run();
  return db_.Changes() > 0;
}

std::vector<FrontierItem> ResultStore::PendingAfter(int64_t run_id, int64_t after_seq, size_t limit,
                                                    bool with_previous) {
  auto st = db_.Prepare(
      "SELECT url, seq, depth, list_line, root FROM frontier WHERE run_id = ? AND done = 0 AND seq > ? "
      "ORDER BY seq LIMIT ?");
  st.Bind(1, run_id).Bind(2, after_seq).Bind(3, int64_t(limit));
  std::vector<FrontierItem> out;
  while (st.Step()) {
    FrontierItem item{st.Text(0), st.Int(1), st.Int(2), st.OptInt(3), st.OptText(4)};
    if (with_previous) {
      item.previous = Previous(item.url, run_id);
      item.previous_loaded = true;
    }
    out.push_back(std::move(item));
  }
  return out;
}

int64_t ResultStore::FrontierSize(int64_t run_id) {
  auto st = db_.Prepare("SELECT count(*) FROM frontier WHERE run_id = ?");
  st.Bind(1, run_id);
  st.Step();
  return st.Int(0);
}

std::optional<PreviousResult> ResultStore::Previous(const std::string& url, int64_t before_run) {
  previous_.Bind(1, url).Bind(2, before_run);
  std::optional<PreviousResult> out;
  if (previous_.Step()) {
    PreviousResult p;
    p.run_id = previous_.Int(0);
    p.status = previous_.OptInt(1);
    p.size = previous_.OptInt(2);
    p.etag = previous_.OptText(3);
    p.last_modified = previous_.OptText(4);
    p.content_hash = previous_.OptText(5);
    p.title = previous_.OptText(6);
    p.content_type = previous_.OptText(7);
    out = std::move(p);
  }
  previous_.Reset();
  return out;
}

std::optional<int64_t> ResultStore::PreviousCompletedRun(int64_t run_id) {
  return storage::PreviousCompletedRun(db_, run_id);  // one query, shared with the report
}

int64_t ResultStore::PruneRuns(const std::vector<int64_t>& run_ids) {
  if (run_ids.empty()) return 0;
  {
    sqlite::Transaction tx(db_);
    auto del = db_.Prepare("DELETE FROM runs WHERE id = ?");  // results, links, frontier cascade
    for (int64_t id : run_ids) del.Bind(1, id).Run();
    tx.Commit();
  }
  db_.Exec("VACUUM");  // give the space back to the file system
  db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");  // and the WAL that VACUUM wrote
  return int64_t(run_ids.size());
}


int64_t ResultStore::PendingCount(int64_t run_id) {
  auto st = db_.Prepare("SELECT count(*) FROM frontier WHERE run_id = ? AND done = 0");
  st.Bind(1, run_id);
  st.Step();
  return st.Int(0);
}

int64_t ResultStore::ListedCount(int64_t run_id) {
  auto st = db_.Prepare("SELECT count(*) FROM frontier WHERE run_id = ? AND list_line IS NOT NULL");
  st.Bind(1, run_id);
  st.Step();
  return st.Int(0);
}

int64_t ResultStore::MaxSeq(int64_t run_id) {
  auto st = db_.Prepare("SELECT coalesce(max(seq), 0) FROM frontier WHERE run_id = ?");
  st.Bind(1, run_id);
  st.Step();
  return st.Int(0);
}

void ResultStore::ClearFrontier(int64_t run_id) {
  auto st = db_.Prepare("DELETE FROM frontier WHERE run_id = ?");
  st.Bind(1, run_id).Run();
}

void ResultStore::Record(int64_t run_id, ResultRow row) { results_.emplace_back(run_id, std::move(row)); }

void ResultStore::AddLink(int64_t run_id, std::string from, std::string to, bool nofollow) {
  links_.push_back({run_id, std::move(from), std::move(to), nofollow});
}

void ResultStore::Write(int64_t run_id, const WriteBatch& batch) {
  if (batch.empty()) return;
  CheckFileStillThere();
  sqlite::Transaction tx(db_);
  // Discoveries first: a URL found and already fetched within one batch must exist before its result
  // marks it done, or a resumed run would fetch it again.
  for (const FrontierItem& item : batch.discovered) {
    if (item.refetch) {
      refetch_.Bind(1, item.seq).Bind(2, item.depth).Bind(3, run_id).Bind(4, item.url).Run();
    } else if (item.seq == 0) {  // found nearer the root: the row exists, only its depth falls
      lower_depth_.Bind(1, item.depth).Bind(2, run_id).Bind(3, item.url).Bind(4, item.depth).Run();
    } else {
      discover_.Bind(1, run_id).Bind(2, item.url).Bind(3, item.seq).Bind(4, item.depth).Bind(5, item.root).Run();
    }
  }
  for (const ResultRow& r : batch.results) WriteResult(run_id, r);
  for (const LinkRow& l : batch.links) {
    insert_link_.Bind(1, run_id).Bind(2, l.from).Bind(3, l.to).Bind(4, int64_t(l.nofollow)).Run();
  }
  tx.Commit();
}

void ResultStore::WriteResult(int64_t run_id, const ResultRow& r) {
  auto& s = insert_result_;
  s.Bind(1, run_id).Bind(2, r.url).Bind(3, r.final_url).Bind(4, r.status).Bind(5, r.size);
  s.Bind(6, r.content_type).Bind(7, r.title).Bind(8, r.error).Bind(9, r.error_message).Bind(10, r.depth);
  s.Bind(11, r.fetched_at).Bind(12, r.redirects).Bind(13, r.wire_bytes).Bind(14, r.ip).Bind(15, r.etag);
  s.Bind(16, r.last_modified).Bind(17, r.content_hash).Bind(18, r.dns_ms).Bind(19, r.connect_ms);
  s.Bind(20, r.tls_ms).Bind(21, r.ttfb_ms).Bind(22, r.total_ms).Bind(23, r.list_line).Bind(24, r.attempts);
  s.Bind(25, r.unchanged);
  s.Run();
  if (r.in_frontier) mark_done_.Bind(1, run_id).Bind(2, r.url).Bind(3, r.seq).Run();
}

size_t ResultStore::Flush() {
  if (results_.empty() && links_.empty()) return 0;
  sqlite::Transaction tx(db_);
  for (const auto& [run_id, r] : results_) WriteResult(run_id, r);
  for (const auto& l : links_) {
    insert_link_.Bind(1, l.run_id).Bind(2, l.from).Bind(3, l.to).Bind(4, int64_t(l.nofollow)).Run();
  }
  tx.Commit();
  size_t n = results_.size() + links_.size();
  results_.clear();
  links_.clear();
  return n;
}

}  // namespace gc::storage
