// ResultStore: the crawl's writer — runs, the persistent frontier, results and links — in one SQLite
// file (schema: storage/schema.h, docs/schema.md). Call only from the hub's thread.
//
// Results and links are buffered and written in one transaction per Flush(); a result's row and its
// frontier entry's "done" mark commit together, so after a crash every URL is either recorded exactly
// once or still pending, and a resumed run redoes exactly the pending ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_set>
#include <string>
#include <utility>
#include <vector>

#include "storage/fragment_sets.h"
#include "storage/fragments.h"
#include "storage/recorded_page.h"
#include "storage/sql.h"
#include "storage/link_sets.h"

namespace gc::storage {

struct ResultRow {
  std::string url;
  std::optional<std::string> final_url;
  std::optional<int64_t> status;
  std::optional<int64_t> size;
  std::optional<std::string> content_type;
  std::optional<std::string> title;
  std::optional<std::string> error;
  std::optional<std::string> error_message;
  int64_t depth = 0;
  std::string fetched_at;  // UTC ISO 8601
  std::optional<int64_t> redirects;
  std::optional<int64_t> wire_bytes;
  std::optional<std::string> ip;
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  std::optional<std::string> content_hash;
  std::optional<double> dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
  std::optional<int64_t> list_line;
  int64_t attempts = 1;
  std::optional<int64_t> unchanged;  // 1: a 304, with the previous result's size/hash/title carried
  int64_t seq = 0;  // the frontier entry's seq this result is for (0: any): a refetch queued since then
                    // (a new seq) is not marked done by an earlier fetch's result
  bool in_frontier = true;  // false for rows that never were (malformed list lines)
  // Where the URL came from (schema 5): "list", "sitemap" or "link", and the sitemap or referring page.
  // Unset: "list" when list_line is set.
  std::optional<std::string> source_kind, source;
  // source_kind "resource" (schema 8): image, script, style, frame or media (parser/page_parser.h).
  std::optional<std::string> resource_kind;
};

// What a URL's latest earlier result said, for conditional requests.
struct PreviousResult {
  int64_t run_id = 0;
  std::optional<int64_t> status, size;
  std::optional<std::string> etag, last_modified, content_hash, title, content_type;
  // What run_id kept of its pages (runs.page_links): 0 nothing, 1 every fetched HTML page's links,
  // 2 also its anchors and fragment links (kPageLinks*), plus 4 when it kept their resources
  // (kPageResourcesKept). A 304 carries the page's links from that run.
  int64_t page_links = 0;
};

// Held by pointer in a FrontierItem: set once when looked up, read only after, and absent from most items
// of a first run. Inline, it made every item 496 bytes instead of 248, and the frontier holds up to 20,000
// of them (case (e) of the benchmarks: peak RSS 104 -> 93 MB, bench/RESULTS.md round 7).
using PreviousPtr = std::shared_ptr<const PreviousResult>;
inline PreviousPtr SharePrevious(std::optional<PreviousResult> p) {
  return p ? std::make_shared<const PreviousResult>(std::move(*p)) : nullptr;
}

inline constexpr int kPageLinksNone = 0;
inline constexpr int kPageLinksKept = 1;
inline constexpr int kPageLinksAndAnchorsKept = 2;
// A flag added to the level above: the run also kept each page's resource edges (--check-resources,
// links.resource_kind), which a 304 then carries as resources.
inline constexpr int kPageResourcesKept = 4;
inline constexpr int kPageLinksLevel = 3;  // page_links & kPageLinksLevel: the level without the flag

struct FrontierItem {
  std::string url;
  int64_t seq = 0;
  int64_t depth = 0;
  std::optional<int64_t> list_line;
  std::optional<std::string> root;  // for discovered URLs: the scope root (see schema v2)
  int attempts = 1;                   // in memory only: the transfer attempt this is (retries)
  // In memory only: the URL's latest earlier result, for conditional requests, when `previous_loaded`
  // (PendingAfter with validators); otherwise not looked up yet.
  PreviousPtr previous{};
  bool previous_loaded = false;
  // Discovered only: fetch again a URL already done (found nearer the root after it was fetched at
  // --depth, its links not followed): Write() marks its table row pending at this seq and depth.
  bool refetch = false;
  // Discovered only: "sitemap", "link", "external" or "resource", and the sitemap file or the page it was
  // found on (schema 5); for a resource, its kind (schema 8).
  std::optional<std::string> source_kind{}, source{};
  std::optional<std::string> resource_kind{};
};

// A URL a sitemap listed (sitemap_urls), whether or not it is crawled.
struct SitemapUrlRow {
  std::string url, sitemap;
  std::optional<std::string> lastmod;
};

// One sitemap file read (the sitemaps table).
struct SitemapFileRow {
  std::string url;
  std::optional<std::string> kind, error;
  std::optional<int64_t> status;
  int64_t urls = 0, skipped = 0;
  bool truncated = false;
  // Not in the sitemaps table: a file that could not be read is also a result row (source_kind
  // "sitemap"), which carries these: libcurl's words, and what named the file (an index, a robots.txt).
  std::optional<std::string> error_message, listed_by;
};

// What one commit writes: results (each marks its frontier entry done in the same transaction), the
// links of their pages, and the URLs they discovered.
struct WriteBatch {
  std::vector<ResultRow> results;
  std::vector<LinkRow> links;
  std::vector<FrontierItem> discovered;
  std::vector<SitemapUrlRow> sitemap_urls;
  std::vector<SitemapFileRow> sitemaps;
  std::vector<AnchorPage> anchor_pages;          // --check-fragments (storage/fragments.h)
  std::vector<FragmentLinkRow> fragment_links;
  bool empty() const {
    return results.empty() && links.empty() && discovered.empty() && sitemap_urls.empty() && sitemaps.empty() &&
           anchor_pages.empty() && fragment_links.empty();
  }
  size_t size() const {
    return results.size() + links.size() + discovered.size() + sitemap_urls.size() + sitemaps.size() +
           anchor_pages.size() + fragment_links.size();
  }
};

struct RunRecord {
  int64_t id = 0;
  std::string status;
  std::string list_file;
  std::optional<int64_t> urls_total;
};

struct RunCounts {
  int64_t ok = 0;
  int64_t errors = 0;
};

// "scheme://host[:port]" of a canonical URL: the key of per-host politeness.
std::string_view OriginOf(std::string_view url);
// The key a URL's host is leased and scheduled by (hosts.host, frontier.host, the crawler's per-host
// queues): its origin with one lane, else "origin#k", k = a hash of the whole URL mod `lanes` (FNV-1a:
// the same on every worker and every build). Each lane of a run gets 1/lanes of the host's politeness.
std::string HostKey(std::string_view url, int lanes);
// The k of HostKey (0 with one lane).
int HostLane(std::string_view url, int lanes);

class ResultStore {
 public:
  // Opens (creating or migrating) the database for writing. Throws sql::Error.
  explicit ResultStore(const std::string& path);

  // A new run, with set_lanes()'s lanes per host (runs.host_lanes).
  int64_t BeginRun(const std::string& list_file, const std::string& options_json, const std::string& version);
  // The newest run that did not complete (running, interrupted or killed), if any.
  std::optional<RunRecord> LatestUnfinishedRun();
  // Marks a run running again (--resume), and keys its URLs by the lanes it began with.
  void MarkRunning(int64_t run_id);
  // How many lanes each host's URLs are split into (HostKey) in a run begun by this store; a resumed or
  // joined run keeps those it began with (MarkRunning, JoinAsWorker). 1 (the default): one per host.
  void set_lanes(int lanes) { lanes_ = std::max(1, lanes); }
  // The lanes of the run this store works on.
  int lanes() const { return lanes_; }
  std::string HostKey(std::string_view url) const { return storage::HostKey(url, lanes_); }
  void SetListCounts(int64_t run_id, int64_t queued, int64_t invalid, int64_t duplicate);
  // Records the run's end and counts. PostgreSQL: retried over a lost connection, as Retrying says (a
  // worker's last act must not leave its run `running` because the server restarted just then).
  void FinishRun(int64_t run_id, const std::string& status);
  RunCounts Counts(int64_t run_id);

  // Frontier. AddToFrontier returns false when the URL is already there (a duplicate); it writes in the
  // caller's transaction, see BeginBulk.
  bool AddToFrontier(int64_t run_id, const FrontierItem& item);
  // The same for many items, in order (of a URL given twice, the first is the one added): element i of
  // the result says whether items[i] was added. PostgreSQL: one multi-row statement per 5,000 items
  // (storage/result_store_batch.cc), not a round trip per URL.
  std::vector<bool> AddToFrontier(int64_t run_id, std::span<const FrontierItem> items);
  // A chunk of a URL list in one transaction: `items` into the frontier (element i of the result says
  // whether items[i] was added, as AddToFrontier says) and `rows`, the chunk's malformed lines, as
  // results. PostgreSQL: run again as a whole across a lost connection (a server restart while a list
  // loads); a chunk whose COMMIT went through unanswered is found there, each URL by its own line.
  std::vector<bool> AddListChunk(int64_t run_id, std::span<const FrontierItem> items,
                                 std::span<const ResultRow> rows);
  // Pending entries with seq > after_seq, in seq order. `with_previous`: each comes with its latest
  // earlier result (conditional requests), looked up here rather than one query per URL later.
  std::vector<FrontierItem> PendingAfter(int64_t run_id, int64_t after_seq, size_t limit, bool with_previous = false);
  // Calls fn(url, depth, done) for every URL of the run's frontier, done or not (a resumed session's memory).
  // PostgreSQL: read again from the start across a lost connection, so fn may see a URL twice.
  using FrontierRowFn = std::function<void(std::string_view url, int64_t depth, bool done)>;
  void ForEachFrontierUrl(int64_t run_id, const FrontierRowFn& fn);
  // Calls fn(url) for every listed URL of the run (list_line set), done or not. As ForEachFrontierUrl.
  void ForEachListedUrl(int64_t run_id, const std::function<void(std::string_view url)>& fn);
  // Commits `batch` in one transaction. Throws sql::Error, also when the database file was deleted or
  // replaced since it was opened (SQLite would go on writing into the unlinked file).
  void Write(int64_t run_id, const WriteBatch& batch);
  // Commits `batches` in one transaction, each written as Write() would, in order (a later batch may
  // re-queue a URL an earlier one marked done). A worker of a shared run commits each batch in its own
  // fenced transaction instead. Throws as Write().
  void Write(int64_t run_id, std::span<const WriteBatch> batches);
  int64_t PendingCount(int64_t run_id);
  // Distinct listed URLs in the run's frontier (done or not).
  int64_t ListedCount(int64_t run_id);
  int64_t MaxSeq(int64_t run_id);
  // Refreshes the query planner's statistics after a bulk load (PostgreSQL: a table of 1,000,000 new rows
  // is otherwise planned as if it had one, until autovacuum comes by). SQLite: nothing.
  void Analyze();
  // Drops a finished run's frontier (its results remain).
  void ClearFrontier(int64_t run_id);
  void BeginBulk() { db_->Exec(db_->postgres() ? "BEGIN" : "BEGIN IMMEDIATE"); }
  void CommitBulk() { db_->Exec("COMMIT"); }
  void RollbackBulk() { db_->Exec("ROLLBACK"); }

  // Buffered writes, committed by Flush().
  void Record(int64_t run_id, ResultRow row);
  void AddLink(int64_t run_id, std::string from, std::string to, bool nofollow);
  size_t buffered() const { return results_.size() + links_.size(); }
  int64_t FrontierSize(int64_t run_id);
  // The latest result for `url` in an earlier run that had a response (2xx or 304), if any.
  std::optional<PreviousResult> Previous(const std::string& url, int64_t before_run);
  // Records what this run keeps of every fetched HTML page (kPageLinks*), so that later runs know whether
  // a 304 can carry the page's links from it.
  void SetPageLinks(int64_t run_id, int level);
  // The links (and, with `fragments`, anchors and fragment links) that run `run_id` recorded for `url`.
  RecordedPage PageAsRecorded(const std::string& url, int64_t run_id, bool fragments);
  // The newest completed run of the same list before `run_id`, if any: what "changed" compares with.
  std::optional<int64_t> PreviousCompletedRun(int64_t run_id);
  // Deletes runs (and their results, links, frontier) and reclaims the space (VACUUM, then the WAL
  // truncated). Returns runs deleted.
  int64_t PruneRuns(const std::vector<int64_t>& run_ids);
  // Writes the buffer in one transaction. Returns the rows written.
  size_t Flush();

  // --- Many workers on one run (PostgreSQL only; result_store_shared.cc) -----------------------------
  // A host (origin) belongs to one live worker at a time (the hosts table), so politeness holds across
  // workers; a worker holds a lease it renews, and what it holds returns to the others when the lease
  // expires. Every result commits fenced by that lease: a worker whose lease expired (killed, stopped,
  // cut off) cannot record a URL that another worker has taken, so each URL has exactly one result.
  //
  // Registers this process as a worker of `run_id` with a lease of `lease_s` seconds; Write() is fenced
  // from now on. Returns the worker id. `max_pages` is the crawl's --max-pages (0: none): a claim counts
  // the run's frontier rows up to it and no further (Claim::known).
  int64_t JoinAsWorker(int64_t run_id, double lease_s, int64_t max_pages = 0);
  bool worker() const { return worker_ != 0; }
  int64_t worker_id() const { return worker_; }
  // The database's path or URI as given.
  const std::string& target() const { return target_; }
  // Gives back this worker's hosts and unfinished URLs, and marks it stopped (a worker ending normally).
  void LeaveRun();
  struct Claim {
    std::vector<FrontierItem> items;  // seq order
    // 1 when some URL of the run is not done yet, by any worker (incl. `items`), else 0: a yes or no, as
    // counting them read the whole frontier at each claim.
    int64_t pending = 0;
    // The run's frontier rows, counted up to JoinAsWorker's max_pages (--max-pages counts them); 0
    // without --max-pages.
    int64_t known = 0;
    int64_t hosts = 0;                // hosts this worker holds after the claim
    // Hosts (lanes) this worker holds above its fair share while another live worker has less and none is
    // free: the worker should name that many in its next claim's `release` (ones with nothing in flight).
    int64_t give_back = 0;
  };
  // Takes hosts that no live worker holds (FOR UPDATE SKIP LOCKED; at most this worker's fair share of
  // the hosts with pending work, and kMaxTakeHosts unless alone), then up to `limit` pending URLs of this worker's
  // hosts not yet in its memory, in seq order. A claim that comes back short gives back the hosts that
  // have nothing left. Its cost does not grow with the run's pending URLs (bench/claim_cost.sh).
  // `with_previous`: as PendingAfter. `release`: hosts this worker gives back first (Claim::give_back),
  // freed with their URLs' leases in the claim's transaction; a result of theirs written later is fenced.
  static constexpr int64_t kMaxTakeHosts = 1000;
  Claim ClaimWork(int64_t run_id, size_t limit, bool with_previous, const std::vector<std::string>& release = {});
  // Marks the run completed when nothing of it is pending, once, by whichever worker sees it first.
  // True when the run is complete (now or before).
  bool CompleteIfDone(int64_t run_id);
  // The run's list has been read (urls_total set), or the run is no longer running.
  bool ListRead(int64_t run_id);
  // Renews this worker's lease on this connection (before its session's own lease keeper runs).
  void RenewOwnLease();
  // Live workers of `run_id` other than this one.
  int64_t LiveWorkers(int64_t run_id);
  // Results not written because this worker's lease on their host had passed to another (or expired).
  int64_t fenced() const { return fenced_; }
  int64_t reconnects() const { return reconnects_; }


 private:
  struct PendingLink {
    int64_t run_id;
    std::string from, to;
    bool nofollow;
  };
  void WriteResult(int64_t run_id, const ResultRow& r);
  // A batch's links as link sets (link_sets.h), by the engine's writer, in the caller's transaction.
  void WriteLinks(int64_t run_id, std::span<const LinkRow> links);
  void WriteFragments(int64_t run_id, const WriteBatch& batch);  // its anchor pages and fragment links
  void PrepareStatements();
  // PostgreSQL: runs `op`, and when the connection is lost (sql::kIoError: a server restart, a network
  // cut, the server ending an idle transaction) reconnects with backoff and runs it again, until the
  // outage has lasted max(60 s, 2 leases): then it throws sql::Error (kIoError) saying so. The outage is
  // timed from its first failed operation, not per call: once given up, later calls try one reconnect
  // and give up at once. Every `op` is safe to repeat: a commit whose answer was lost is found done.
  template <typename Op>
  auto Retrying(Op op);
  // `op` as it is on SQLite; on PostgreSQL through Retrying. For the single statements a session and
  // its end run outside the scale-out paths (a restart can come at any of them).
  template <typename Op>
  auto Guarded(Op op);
  // A new connection, then the statements prepared on it. Throws sql::Error (the old connection, if
  // any, is left in place then: a later reconnect reads the target from target_, never from db_).
  void Reconnect();
  // PostgreSQL: element i says whether items[i]'s URL is in the run's frontier from items[i]'s own list
  // line (AddListChunk's check after a retry).
  std::vector<bool> ListedHere(int64_t run_id, std::span<const FrontierItem> items);
  // The previous_ query's columns (run_id, status, ..., page_links) from column `first` of `st`'s row: the
  // one reading of them for Previous and LoadPrevious.
  static PreviousResult ReadPrevious(const sql::Statement& st, int first);
  void FinishRunOnce(int64_t run_id, const std::string& status);  // in the caller's transaction
  void WriteRows(int64_t run_id, const WriteBatch& batch);  // inside the caller's transaction
  void WriteShared(int64_t run_id, const WriteBatch& batch);
  void WriteSharedOnce(int64_t run_id, const WriteBatch& batch);
  Claim ClaimOnce(int64_t run_id, size_t limit, const std::vector<std::string>& release);
  void NoJit();  // a worker's session plans without JIT compiling
  bool CompleteIfDoneOnce(int64_t run_id);
  void LeaveRunOnce();
  int64_t LiveWorkersOnce(int64_t run_id);
  void WriteSitemaps(int64_t run_id, const WriteBatch& batch);
  // The start of every transaction that writes results or links: SQLite's id cache forgotten (a prune
  // may have run since the last one); on PostgreSQL, every URL `collect` names into urls
  // (AddUrlsPostgres) before any row, in one call: one sorted order for the whole transaction, so that
  // two workers wait for each other rather than deadlock. AddUrls: the batches' results and links.
  void PrepareUrls(const std::function<void(std::vector<std::string_view>&)>& collect);
  void AddUrls(std::span<const WriteBatch> batches);
  void EnsureHost(int64_t run_id, std::string_view host);
  // Multi-row PostgreSQL writes (result_store_batch.cc), inside the caller's transaction: a constant
  // number of statements however many rows.
  void EnsureHosts(int64_t run_id, const std::vector<std::string>& hosts);
  void DiscoverShared(int64_t run_id, const std::vector<FrontierItem>& discovered);
  // PostgreSQL: a batch's sitemap_urls rows, a statement per 5,000 (result_store_batch.cc).
  void AddSitemapUrlsShared(int64_t run_id, const std::vector<SitemapUrlRow>& rows);
  // Results of hosts in `mine` (those of other hosts are counted in fenced_), each written only when
  // its done mark is set by the same statement.
  void WriteResultsShared(int64_t run_id, const std::vector<ResultRow>& results,
                          const std::unordered_set<std::string>& mine);
  // Previous() for every item, in one statement per 5,000 (PostgreSQL).
  void LoadPrevious(std::vector<FrontierItem>& items, int64_t before_run);
  // Throws sql::Error when the file opened is no longer at its path (deleted, or replaced).
  void CheckFileStillThere() const;
  std::optional<std::pair<uint64_t, uint64_t>> file_id_;  // st_dev, st_ino at open

  std::string target_;                 // the path or URI as given: what a reconnect opens
  std::unique_ptr<sql::Database> db_;  // replaced on a reconnect (PostgreSQL); never null
  sql::Statement insert_result_;
  sql::Statement mark_done_;
  sql::Statement insert_frontier_;
  sql::Statement discover_;
  sql::Statement refetch_;
  sql::Statement lower_depth_;
  sql::Statement previous_;
  sql::Statement insert_sitemap_url_;
  sql::Statement upsert_sitemap_;
  std::optional<LinkSets> link_sets_;  // SQLite's links writer (PostgreSQL's: WriteLinkSetsPostgres)
  std::optional<FragmentSets> fragment_sets_;  // SQLite's anchors and fragment links (WriteFragmentSetsPostgres)
  std::optional<UrlIds> url_ids_;      // SQLite: the ids of results' URLs, forgotten at each transaction
  std::optional<uint64_t> link_seed_;  // PostgreSQL: the database's link_set_seed, read at the first write
  uint64_t LinkSeed();
  std::vector<std::pair<int64_t, ResultRow>> results_;
  std::vector<PendingLink> links_;
  // Scale-out (PostgreSQL): this worker, its lease, the hosts rows known to exist.
  void ReadLanes(int64_t run_id);  // lanes_ from runs.host_lanes
  int lanes_ = 1;
  int64_t worker_ = 0;
  double lease_s_ = 30;
  int64_t known_cap_ = 0;  // JoinAsWorker's max_pages
  int64_t fenced_ = 0;
  int64_t reconnects_ = 0;
  std::optional<std::chrono::steady_clock::time_point> outage_since_;  // the first failure of an outage
  bool claim_unanswered_ = false;  // a claim's COMMIT was sent and not answered (see Reconnect)
  std::unordered_set<std::string> hosts_known_;
};

// A worker's lease, renewed on a connection of its own (storage/result_store_shared.cc): a renewal must
// not wait behind the worker's writes and claims, which can take longer than a short lease.
class WorkerLease {
 public:
  // Opens its own connection to `target`. Throws sql::Error.
  WorkerLease(const std::string& target, int64_t worker, double lease_s);
  // Extends the lease. False when it had already expired: this worker's hosts may be another's now, and it
  // must stop (what it holds in memory is taken again by others; its late results are not written).
  // nullopt when the database could not be reached (one reconnect tried): try again later.
  // A lease that runs out while the server is down does not count as expired for two leases after the
  // server starts again (see Live() in result_store_shared.cc): nobody could take the hosts meanwhile, and
  // every worker gets that long to renew.
  std::optional<bool> Renew();

 private:
  std::string target_;
  std::unique_ptr<sql::Database> db_;
  int64_t worker_;
  double lease_s_;
};


// "2026-11-24T10:00:00.123Z"
std::string UtcNow();

}  // namespace gc::storage
