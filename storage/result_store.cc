#include "storage/result_store.h"

#include "storage/result_store_retrying.h"

#include "storage/result_rows.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "storage/run_queries.h"
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

std::string_view OriginOf(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return url;
  size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

int HostLane(std::string_view url, int lanes) {
  if (lanes <= 1) return 0;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : url) h = (h ^ c) * 1099511628211ull;
  return int(h % uint64_t(lanes));
}

std::string HostKey(std::string_view url, int lanes) {
  std::string_view origin = OriginOf(url);
  if (lanes <= 1) return std::string(origin);
  return std::string(origin) + "#" + std::to_string(HostLane(url, lanes));
}

namespace {
// One result into result_rows (result_rows.h). SQLite: the URL ids are bound (UrlIds). PostgreSQL: the
// URL texts are bound and found by the statement (the batch's writer has added them first).
std::string InsertResultSql(bool postgres) {
  if (!postgres) {
    std::string values = "?1";
    for (int i = 2; i <= 29; ++i) values += ", ?" + std::to_string(i);
    return std::string("INSERT OR REPLACE INTO result_rows (") + kResultRowColumns + ") VALUES (" + values + ")";
  }
  std::string values = "?1", set;
  const std::string cols = kResultRowColumns;
  size_t pos = 0;
  for (int i = 1; i <= 29; ++i) {
    size_t comma = cols.find(", ", pos);
    std::string c = cols.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? comma : comma + 2;
    if (i == 1) continue;
    bool url = c == "url_id" || c == "final_url_id" || c == "source_id";
    values += url ? ", (SELECT id FROM urls WHERE url = ?" + std::to_string(i) + ")" : ", ?" + std::to_string(i);
    // The same effect as SQLite's OR REPLACE: the row of (run_id, url) is the latest result.
    if (c != "url_id") set += (set.empty() ? "" : ", ") + c + " = excluded." + c;
  }
  return std::string("INSERT INTO result_rows (") + kResultRowColumns + ") VALUES (" + values +
         ") ON CONFLICT (run_id, url_id) DO UPDATE SET " + set;
}
}  // namespace

void ResultStore::PrepareStatements() {
  insert_result_ = db_->Prepare(InsertResultSql(db_->postgres()));
  // PostgreSQL (many workers): the done mark is fenced by the host lease (see Write) and frees the
  // URL's lease; a result whose mark finds nothing to mark is not written (a retried commit).
  mark_done_ = db_->Prepare(db_->postgres()
                                 ? "UPDATE frontier SET done = 1, lease = NULL WHERE run_id = ?1 AND url = ?2 "
                                   "AND (CAST(?3 AS BIGINT) = 0 OR seq = CAST(?3 AS BIGINT)) AND done = 0"
                                 : "UPDATE frontier SET done = 1 WHERE run_id = ? AND url = ? AND (?3 = 0 OR seq = ?3)");
  insert_frontier_ = db_->Prepare(
          db_->postgres() ? "INSERT INTO frontier (run_id, url, seq, depth, list_line, source_kind, host) "
                           "VALUES (?, ?, ?, ?, ?, 'list', ?) ON CONFLICT DO NOTHING"
                         : "INSERT OR IGNORE INTO frontier (run_id, url, seq, depth, list_line, source_kind) "
                           "VALUES (?, ?, ?, ?, ?, 'list')");
  if (!db_->postgres()) link_sets_.emplace(*db_);  // PostgreSQL's go in batches: WriteLinkSetsPostgres
  if (!db_->postgres()) fragment_sets_.emplace(*db_);
  if (!db_->postgres()) url_ids_.emplace(*db_);
  // PostgreSQL: seq from the database's sequence (workers discover at once); a URL found nearer the
  // root than a worker fetched it at goes out again (each worker knows only its own fetches).
  discover_ = db_->Prepare(
          db_->postgres()
              ? "INSERT INTO frontier (run_id, url, seq, depth, list_line, root, source_kind, source, host, "
                "resource_kind) VALUES (?1, ?2, nextval('frontier_seq'), ?4, NULL, ?5, ?6, ?7, ?8, ?9) "
                // Found nearer the root than the table has it: the row goes out again at the smaller
                // depth, with a new seq, to whoever holds its host: a copy already in a worker's memory
                // (lease set) or fetched (done) at the greater depth has its links cut at --depth, and
                // its result (old seq) marks nothing now.
                "ON CONFLICT (run_id, url) DO UPDATE SET depth = excluded.depth, done = 0, seq = CASE WHEN "
                "frontier.done = 1 OR frontier.lease IS NOT NULL THEN excluded.seq ELSE frontier.seq END, "
                "lease = NULL WHERE excluded.depth < frontier.depth AND CAST(?3 AS BIGINT) >= 0"
              : "INSERT INTO frontier (run_id, url, seq, depth, list_line, root, source_kind, source, "
                "resource_kind) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?9) "
                "ON CONFLICT (run_id, url) DO UPDATE SET depth = excluded.depth "
                "WHERE excluded.depth < frontier.depth AND frontier.done = 0");
  refetch_ = db_->Prepare("UPDATE frontier SET done = 0, seq = ?, depth = ? WHERE run_id = ? AND url = ?");
  lower_depth_ = db_->Prepare(
          "UPDATE frontier SET depth = ? WHERE run_id = ? AND url = ? AND done = 0 AND depth > ?");
  // page_links: whether that run kept the page's links (and anchors), which a 304 then carries.
  previous_ = db_->Prepare(std::string(kPreviousColumns) +
                           " WHERE u.url = ? AND r.run_id < ? AND r.error IS NULL AND (r.status BETWEEN 200 AND 299 OR "
                           "r.status = 304) ORDER BY r.run_id DESC LIMIT 1");
  // The first sitemap to list a URL wins. SQLite's, a row at a time with the URLs' ids (UrlIds);
  // PostgreSQL's go in batches (AddSitemapUrlsShared).
  if (!db_->postgres()) {
    insert_sitemap_url_ = db_->Prepare(
        "INSERT INTO sitemap_url_rows (run_id, url_id, sitemap_id, lastmod) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (run_id, url_id) DO NOTHING");
  }
  // A resumed run reads its sitemaps again: the newer reading of a file wins.
  upsert_sitemap_ = db_->Prepare(
          "INSERT INTO sitemaps (run_id, url, kind, status, error, urls, skipped, truncated) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, url) DO UPDATE SET kind = excluded.kind, "
          "status = excluded.status, error = excluded.error, urls = excluded.urls, skipped = excluded.skipped, "
          "truncated = excluded.truncated");
}

ResultStore::ResultStore(const std::string& path)
    : target_(path),
      db_(std::make_unique<sql::Database>(path, sql::Database::Mode::kReadWrite)) {
  OpenForWriting(*db_);
  PrepareStatements();
  // The crawl's writer inserts links and frontier rows in key order of URLs, i.e. all over the B-trees:
  // with SQLite's 2 MB default cache half of its time went to pread-ing pages back (perf, bench case d).
  // 32 MB keeps the hot pages; fewer checkpoints (16 MB of WAL) rewrite them less often.
  if (!db_->postgres()) {
    db_->Exec("PRAGMA cache_size = -32768");
    db_->Exec("PRAGMA wal_autocheckpoint = 4000");
  }
  struct stat st {};
  if (path != ":memory:" && !path.empty() && ::stat(path.c_str(), &st) == 0) file_id_ = {st.st_dev, st.st_ino};
}

void ResultStore::CheckFileStillThere() const {
  if (!file_id_) return;
  // SQLite keeps writing to an unlinked file without complaint: the crawl would "complete" into nothing.
  struct stat st {};
  if (::stat(db_->path().c_str(), &st) != 0 || std::make_pair(st.st_dev, st.st_ino) != *file_id_) {
    throw sql::Error("the database " + db_->path() + " was deleted or replaced during the crawl; stopping",
                        sql::kIoError);
  }
}

int64_t ResultStore::BeginRun(const std::string& list_file, const std::string& options_json,
                              const std::string& version) {
  return Guarded([&] {
    auto st = db_->Prepare(
        "INSERT INTO runs (started_at, status, list_file, options, version, pid, host_lanes) "
        "VALUES (?, 'running', ?, ?, ?, ?, ?) RETURNING id");
    st.Bind(1, UtcNow()).Bind(2, list_file).Bind(3, options_json).Bind(4, version).Bind(5, int64_t(getpid()));
    st.Bind(6, lanes_ > 1 ? std::optional<int64_t>(lanes_) : std::nullopt);
    st.Step();
    return st.Int(0);
  });
}

std::optional<RunRecord> ResultStore::LatestUnfinishedRun() {
  return Guarded([&]() -> std::optional<RunRecord> {
    auto st = db_->Prepare(
        "SELECT id, status, list_file, urls_total FROM runs WHERE status != 'completed' ORDER BY id DESC LIMIT 1");
    if (!st.Step()) return std::nullopt;
    return RunRecord{st.Int(0), st.Text(1), st.Text(2), st.OptInt(3)};
  });
}

void ResultStore::MarkRunning(int64_t run_id) {
  return Guarded([&] {
    auto st = db_->Prepare("UPDATE runs SET status = 'running', finished_at = NULL, pid = ? WHERE id = ?");
    st.Bind(1, int64_t(getpid())).Bind(2, run_id).Run();
  });
  ReadLanes(run_id);
}

void ResultStore::ReadLanes(int64_t run_id) {
  lanes_ = Guarded([&] {
    auto st = db_->Prepare("SELECT host_lanes FROM runs WHERE id = ?");
    st.Bind(1, run_id);
    return st.Step() ? int(std::clamp<int64_t>(st.OptInt(0).value_or(1), 1, 1024)) : 1;
  });
}

void ResultStore::SetListCounts(int64_t run_id, int64_t queued, int64_t invalid, int64_t duplicate) {
  Guarded([&] {
    auto st = db_->Prepare("UPDATE runs SET urls_total = ?, lines_invalid = ?, lines_duplicate = ? WHERE id = ?");
    st.Bind(1, queued).Bind(2, invalid).Bind(3, duplicate).Bind(4, run_id).Run();
  });
}

void ResultStore::Analyze() {
  if (db_->postgres()) Retrying([&] { db_->Exec("ANALYZE frontier, hosts"); });
}

RunCounts ResultStore::Counts(int64_t run_id) {
  // runs.ok_count is `ok` as every report counts it (storage/run_queries.h), judged by the run's set.
  OutcomeCounts c = CountOutcomes(*db_, run_id, RunAcceptSet(*db_, run_id));
  return RunCounts{c.ok, c.errors};
}

void ResultStore::FinishRunOnce(int64_t run_id, const std::string& status) {
  RunCounts c = Counts(run_id);
  // Never un-completes a run (a worker of a shared run that stops after another completed it).
  auto st = db_->Prepare(
      "UPDATE runs SET status = ?, finished_at = ?, ok_count = ?, error_count = ? WHERE id = ? AND "
      "status <> 'completed'");
  st.Bind(1, status).Bind(2, UtcNow()).Bind(3, c.ok).Bind(4, c.errors).Bind(5, run_id).Run();
}

bool ResultStore::AddToFrontier(int64_t run_id, const FrontierItem& item) {
  insert_frontier_.Bind(1, run_id).Bind(2, item.url).Bind(3, item.seq).Bind(4, item.depth).Bind(5, item.list_line);
  if (db_->postgres()) {
    std::string host = HostKey(item.url);
    EnsureHost(run_id, host);
    insert_frontier_.Bind(6, host);
  }
  insert_frontier_.Run();
  return db_->Changes() > 0;
}

void ResultStore::ForEachFrontierUrl(int64_t run_id, const FrontierRowFn& fn) {
  Guarded([&] {
    auto st = db_->Prepare("SELECT url, depth, done FROM frontier WHERE run_id = ?");
    st.Bind(1, run_id);
    while (st.Step()) fn(st.TextView(0), st.Int(1), st.Int(2) != 0);
  });
}

void ResultStore::ForEachListedUrl(int64_t run_id, const std::function<void(std::string_view url)>& fn) {
  Guarded([&] {
    auto st = db_->Prepare("SELECT url FROM frontier WHERE run_id = ? AND list_line IS NOT NULL");
    st.Bind(1, run_id);
    while (st.Step()) fn(st.TextView(0));
  });
}

std::vector<bool> ResultStore::AddListChunk(int64_t run_id, std::span<const FrontierItem> items,
                                            std::span<const ResultRow> rows) {
  int tries = 0;
  return Guarded([&] {
    const bool again = tries++ > 0;
    std::vector<bool> added;
    {
      sql::Transaction tx(*db_);
      added = AddToFrontier(run_id, items);
      // The malformed lines' results: their texts need ids too (WriteResult).
      PrepareUrls([&](std::vector<std::string_view>& urls) {
        for (const ResultRow& r : rows) AddUrlsOf(r, urls);
      });
      for (const ResultRow& r : rows) WriteResult(run_id, r);
      tx.Commit();
    }
    // The first try's COMMIT may have gone through before the connection was lost: this try then found
    // every URL there. (Guarded runs a try again on PostgreSQL only.)
    if (again) added = ListedHere(run_id, items);
    return added;
  });
}

std::vector<FrontierItem> ResultStore::PendingAfter(int64_t run_id, int64_t after_seq, size_t limit,
                                                    bool with_previous) {
  auto st = db_->Prepare(
      "SELECT url, seq, depth, list_line, root, source_kind, source, resource_kind FROM frontier "
      "WHERE run_id = ? AND done = 0 AND seq > ? "
      "ORDER BY seq LIMIT ?");
  st.Bind(1, run_id).Bind(2, after_seq).Bind(3, int64_t(limit));
  std::vector<FrontierItem> out;
  while (st.Step()) {
    FrontierItem item{st.Text(0), st.Int(1), st.Int(2), st.OptInt(3), st.OptText(4)};
    if (!item.list_line) {  // listed URLs say so by their line
      item.source_kind = st.OptText(5);
      item.source = st.OptText(6);
      item.resource_kind = st.OptText(7);
    }
    if (with_previous) {
      item.previous = SharePrevious(Previous(item.url, run_id));
      item.previous_loaded = true;
    }
    out.push_back(std::move(item));
  }
  return out;
}

int64_t ResultStore::FrontierSize(int64_t run_id) {
  return Guarded([&] {
    auto st = db_->Prepare("SELECT count(*) FROM frontier WHERE run_id = ?");
    st.Bind(1, run_id);
    st.Step();
    return st.Int(0);
  });
}

PreviousResult ResultStore::ReadPrevious(const sql::Statement& st, int first) {
  PreviousResult p;
  p.run_id = st.Int(first);
  p.status = st.OptInt(first + 1);
  p.size = st.OptInt(first + 2);
  p.etag = st.OptText(first + 3);
  if (auto s = st.OptInt(first + 4)) {
    p.last_modified = FormatHttpDate(*s);
  } else {
    p.last_modified = st.OptText(first + 5);
  }
  if (auto bits = st.OptInt(first + 6)) p.content_hash = HashText(*bits);
  p.title = st.OptText(first + 7);
  p.content_type = st.OptText(first + 8);
  p.page_links = st.OptInt(first + 9).value_or(0);
  return p;
}

std::optional<PreviousResult> ResultStore::Previous(const std::string& url, int64_t before_run) {
  return Guarded([&] {
    previous_.Bind(1, url).Bind(2, before_run);
    std::optional<PreviousResult> out;
    if (previous_.Step()) out = ReadPrevious(previous_, 0);
    previous_.Reset();
    return out;
  });
}

void ResultStore::SetPageLinks(int64_t run_id, int level) {
  return Guarded([&] {
    auto st = db_->Prepare("UPDATE runs SET page_links = ? WHERE id = ?");
    st.Bind(1, int64_t(level)).Bind(2, run_id).Run();
  });
}

RecordedPage ResultStore::PageAsRecorded(const std::string& url, int64_t run_id, bool fragments) {
  return Guarded([&] {
    return ReadRecordedPage(*db_, url, run_id, fragments);
  });
}

std::optional<int64_t> ResultStore::PreviousCompletedRun(int64_t run_id) {
  return Guarded([&] {
    return storage::PreviousCompletedRun(*db_, run_id);  // one query, shared with the report
  });
}

int64_t ResultStore::PruneRuns(const std::vector<int64_t>& run_ids) {
  // PostgreSQL: even with no run to delete, what an earlier prune left while workers crawled.
  if (run_ids.empty() && !db_->postgres()) return 0;
  {
    sql::Transaction tx(*db_);
    auto del = db_->Prepare("DELETE FROM runs WHERE id = ?");  // results, links, frontier cascade
    for (int64_t id : run_ids) del.Bind(1, id).Run();
    DeleteUnusedSets(*db_);  // the sets and URLs only those runs used
    tx.Commit();
  }
  if (db_->postgres()) {
    db_->Exec(
        "VACUUM runs, result_rows, page_link_sets, link_set_members, link_sets, page_anchor_sets, anchor_set_members, "
        "anchor_sets, page_fragment_sets, fragment_set_members, fragment_sets, sitemap_url_rows, urls, frontier");  // space for reuse (the server keeps the files)
  } else {
    db_->Exec("VACUUM");  // give the space back to the file system
    db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");  // and the WAL that VACUUM wrote
  }
  return int64_t(run_ids.size());
}


int64_t ResultStore::PendingCount(int64_t run_id) {
  return Guarded([&] {
    auto st = db_->Prepare("SELECT count(*) FROM frontier WHERE run_id = ? AND done = 0");
    st.Bind(1, run_id);
    st.Step();
    return st.Int(0);
  });
}

int64_t ResultStore::ListedCount(int64_t run_id) {
  return Guarded([&] {
    auto st = db_->Prepare("SELECT count(*) FROM frontier WHERE run_id = ? AND list_line IS NOT NULL");
    st.Bind(1, run_id);
    st.Step();
    return st.Int(0);
  });
}

int64_t ResultStore::MaxSeq(int64_t run_id) {
  return Guarded([&] {
    auto st = db_->Prepare("SELECT coalesce(max(seq), 0) FROM frontier WHERE run_id = ?");
    st.Bind(1, run_id);
    st.Step();
    return st.Int(0);
  });
}

void ResultStore::ClearFrontier(int64_t run_id) {
  if (db_->postgres()) {
    auto st = db_->Prepare("DELETE FROM frontier WHERE run_id = ?");
    st.Bind(1, run_id).Run();
    return;
  }
  // The usual case: no other run has frontier rows. An unqualified DELETE then lets SQLite drop the
  // table's pages at once (its truncate optimisation) instead of deleting row by row from the table and
  // its index: half of a 20,000-URL crawl's end. SQLite skips that optimisation for a table with a
  // foreign key while foreign keys are enforced, and deleting child rows cannot break one, so they are
  // off around this transaction (the pragma must come before BEGIN; inside one it is a no-op, and the
  // rows then go one by one, as before). The check and the delete are one transaction.
  db_->Exec("PRAGMA foreign_keys = OFF");
  try {
    sql::Transaction tx(*db_);
    auto others = db_->Prepare(
        "SELECT EXISTS (SELECT 1 FROM frontier WHERE run_id < ?1) OR EXISTS (SELECT 1 FROM frontier WHERE run_id > ?1)");
    others.Bind(1, run_id);
    bool alone = others.Step() && others.Int(0) == 0;
    others.Reset();
    if (alone) {
      db_->Exec("DELETE FROM frontier");
    } else {
      auto st = db_->Prepare("DELETE FROM frontier WHERE run_id = ?");
      st.Bind(1, run_id).Run();
    }
    tx.Commit();
  } catch (...) {
    db_->Exec("PRAGMA foreign_keys = ON");
    throw;
  }
  db_->Exec("PRAGMA foreign_keys = ON");
}

void ResultStore::Record(int64_t run_id, ResultRow row) { results_.emplace_back(run_id, std::move(row)); }

void ResultStore::AddLink(int64_t run_id, std::string from, std::string to, bool nofollow) {
  links_.push_back({run_id, std::move(from), std::move(to), nofollow});
}

void ResultStore::Write(int64_t run_id, const WriteBatch& batch) { Write(run_id, std::span(&batch, 1)); }

void ResultStore::Write(int64_t run_id, std::span<const WriteBatch> batches) {
  if (worker_) {
    for (const WriteBatch& b : batches) {
      if (!b.empty()) WriteShared(run_id, b);
    }
    return;
  }
  bool any = false;
  for (const WriteBatch& b : batches) any = any || !b.empty();
  if (!any) return;
  CheckFileStillThere();
  sql::Transaction tx(*db_);
  AddUrls(batches);
  for (const WriteBatch& b : batches) WriteRows(run_id, b);
  tx.Commit();
}

void ResultStore::WriteRows(int64_t run_id, const WriteBatch& batch) {
  // Discoveries first: a URL found and already fetched within one batch must exist before its result
  // marks it done, or a resumed run would fetch it again.
  for (const FrontierItem& item : batch.discovered) {
    if (item.refetch) {
      refetch_.Bind(1, item.seq).Bind(2, item.depth).Bind(3, run_id).Bind(4, item.url).Run();
    } else if (item.seq == 0) {  // found nearer the root: the row exists, only its depth falls
      lower_depth_.Bind(1, item.depth).Bind(2, run_id).Bind(3, item.url).Bind(4, item.depth).Run();
    } else {
      discover_.Bind(1, run_id).Bind(2, item.url).Bind(3, item.seq).Bind(4, item.depth).Bind(5, item.root);
      discover_.Bind(6, item.source_kind).Bind(7, item.source).Bind(9, item.resource_kind).Run();
    }
  }
  WriteSitemaps(run_id, batch);
  for (const ResultRow& r : batch.results) WriteResult(run_id, r);
  WriteLinks(run_id, batch.links);
  WriteFragments(run_id, batch);
}

void ResultStore::AddUrls(std::span<const WriteBatch> batches) {
  PrepareUrls([&](std::vector<std::string_view>& urls) {
    for (const WriteBatch& batch : batches) {
      for (const ResultRow& r : batch.results) AddUrlsOf(r, urls);
      for (const LinkRow& l : batch.links) urls.push_back(l.from), urls.push_back(l.to);
      AddUrlsOfFragments(batch.anchor_pages, batch.fragment_links, urls);
      for (const SitemapUrlRow& u : batch.sitemap_urls) urls.push_back(u.url), urls.push_back(u.sitemap);
    }
  });
}

void ResultStore::PrepareUrls(const std::function<void(std::vector<std::string_view>&)>& collect) {
  if (url_ids_) url_ids_->Forget();  // a prune between two transactions may have deleted a URL
  if (!db_->postgres()) return;      // SQLite: WriteResult and LinkSets look each up as they go
  std::vector<std::string_view> urls;
  collect(urls);
  AddUrlsPostgres(*db_, urls);
}

void ResultStore::WriteSitemaps(int64_t run_id, const WriteBatch& batch) {
  if (db_->postgres()) {
    AddSitemapUrlsShared(run_id, batch.sitemap_urls);
  } else {
    for (const SitemapUrlRow& u : batch.sitemap_urls) {
      insert_sitemap_url_.Bind(1, run_id).Bind(2, url_ids_->Id(u.url)).Bind(3, url_ids_->Id(u.sitemap));
      insert_sitemap_url_.Bind(4, u.lastmod).Run();
    }
  }
  for (const SitemapFileRow& f : batch.sitemaps) {
    upsert_sitemap_.Bind(1, run_id).Bind(2, f.url).Bind(3, f.kind).Bind(4, f.status).Bind(5, f.error);
    upsert_sitemap_.Bind(6, f.urls).Bind(7, f.skipped).Bind(8, int64_t(f.truncated)).Run();
  }
}

void ResultStore::WriteResult(int64_t run_id, const ResultRow& r) {
  auto& s = insert_result_;
  StoredValues v = Stored(r);
  s.Bind(1, run_id);
  if (db_->postgres()) {
    s.Bind(2, r.url).Bind(3, r.final_url).Bind(28, r.source);
  } else {
    s.Bind(2, url_ids_->Id(r.url));
    s.Bind(3, r.final_url ? std::optional(url_ids_->Id(*r.final_url)) : std::nullopt);
    s.Bind(28, r.source ? std::optional(url_ids_->Id(*r.source)) : std::nullopt);
  }
  s.Bind(4, r.status).Bind(5, r.size).Bind(6, r.content_type).Bind(7, r.title).Bind(8, r.error);
  s.Bind(9, r.error_message).Bind(10, r.depth).Bind(11, v.fetched_ms).Bind(12, r.redirects).Bind(13, r.wire_bytes);
  s.Bind(14, r.ip).Bind(15, r.etag).Bind(16, v.last_modified_s).Bind(17, v.last_modified_text);
  s.Bind(18, v.content_hash).Bind(19, v.dns_us).Bind(20, v.connect_us).Bind(21, v.tls_us).Bind(22, v.ttfb_us);
  s.Bind(23, v.total_us).Bind(24, r.list_line).Bind(25, r.attempts).Bind(26, r.unchanged).Bind(27, v.source_kind);
  s.Bind(29, r.resource_kind);
  s.Run();
  if (r.in_frontier) mark_done_.Bind(1, run_id).Bind(2, r.url).Bind(3, r.seq).Run();
}

void ResultStore::WriteLinks(int64_t run_id, std::span<const LinkRow> links) {
  if (db_->postgres()) {
    WriteLinkSetsPostgres(*db_, LinkSeed(), run_id, links);
  } else {
    link_sets_->Write(run_id, links);
  }
}

void ResultStore::WriteFragments(int64_t run_id, const WriteBatch& batch) {
  if (db_->postgres()) {
    WriteFragmentSetsPostgres(*db_, LinkSeed(), run_id, batch.anchor_pages, batch.fragment_links);
  } else {
    fragment_sets_->Write(run_id, batch.anchor_pages, batch.fragment_links);
  }
}

uint64_t ResultStore::LinkSeed() {
  if (!link_seed_) link_seed_ = ReadLinkSetSeed(*db_);
  return *link_seed_;
}

size_t ResultStore::Flush() {
  if (results_.empty() && links_.empty()) return 0;
  sql::Transaction tx(*db_);
  PrepareUrls([&](std::vector<std::string_view>& urls) {
    for (const auto& [run_id, r] : results_) AddUrlsOf(r, urls);
    for (const PendingLink& l : links_) urls.push_back(l.from), urls.push_back(l.to);
  });
  for (const auto& [run_id, r] : results_) WriteResult(run_id, r);
  // A page's links (AddLink) in one set: grouped by run, in the order they came within it.
  std::stable_sort(links_.begin(), links_.end(), [](const PendingLink& a, const PendingLink& b) { return a.run_id < b.run_id; });
  for (size_t i = 0; i < links_.size();) {
    std::vector<LinkRow> rows;
    size_t j = i;
    for (; j < links_.size() && links_[j].run_id == links_[i].run_id; ++j) rows.push_back({links_[j].from, links_[j].to, links_[j].nofollow});
    WriteLinks(links_[i].run_id, rows);
    i = j;
  }
  tx.Commit();
  size_t n = results_.size() + links_.size();
  results_.clear();
  links_.clear();
  return n;
}

}  // namespace gc::storage
