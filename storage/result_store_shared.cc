// ResultStore's scale-out half: many workers crawling one run through PostgreSQL (see result_store.h).
//
// Leases use the database's clock (now()), never a worker's, so machines whose clocks differ agree on
// when a lease has expired. A host is taken only when no live worker holds it; a result commits only
// while its worker holds the result's host, checked under a share lock on the host row in the result's
// own transaction — a worker taking the host over waits for (or skips) that row until the commit is
// over, and then finds the URL done.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_set>

#include "storage/pg_array.h"
#include "storage/result_store.h"
#include "storage/result_store_retrying.h"

namespace gc::storage {
namespace {
std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// A live worker: not stopped, and its lease not expired, `lease` being the SQL of the asking worker's lease
// in seconds (a bound parameter). A server restart pauses the leases: a lease that ran out while the
// server was down (it was live less than max(60 s, 2 leases) before the server started: the longest
// outage a worker waits out, see Retrying) counts as live until two leases after the server started.
// Nobody could take its hosts while the server was down, and without the pause the first worker back
// would take everyone's hosts, or find its own lease gone, and drop what it fetched meanwhile. Two
// leases, not one: the server's start time is before it accepts connections (a recovery, a busy
// machine), and a worker renews only every third of its lease.
// A lease that lapses while the server is up (a worker stopped or cut off alone) is not paused, except
// that the server cannot tell one that lapsed shortly before it went down: that one is live again for
// the two leases after the restart too. Its worker, if it renews then, keeps the hosts nobody took; one
// taken meanwhile stays the taker's (hosts.worker), so its late results are still fenced out, though it
// may fetch from that host beside the taker until its memory of the host runs out.
std::string Live(const char* lease) {
  std::string secs = std::string("CAST(") + lease + " AS DOUBLE PRECISION)";
  std::string started = "pg_postmaster_start_time()";
  return "w.stopped = 0 AND (w.lease_expires > now() OR (now() < " + started + " + make_interval(secs => 2 * " + secs +
         ") AND w.lease_expires > " + started + " - make_interval(secs => greatest(60, 2 * " + secs + "))))";
}

// The condition on a hosts row h of run ?1 that no live worker holds it and it has pending URLs. The live
// workers are listed once (an InitPlan), not looked up per host; the probe of the frontier (stopping at the
// host's first pending URL) runs only for a free host, and stays a probe: the planner, left to order the
// two, probed all 100,000 hosts of a run before looking at their workers (0.9 s), and without OFFSET 0 it
// hashed the whole pending frontier instead.
std::string FreeWithPending(const char* lease) {
  return std::string("CASE WHEN h.worker IS NULL OR h.worker <> ALL (ARRAY(SELECT w.id FROM workers w WHERE "
                     "w.run_id = ?1 AND ") +
         Live(lease) +
         ")) THEN EXISTS (SELECT 1 FROM frontier f WHERE f.run_id = h.run_id AND f.host = h.host AND f.done = 0 "
         "OFFSET 0) ELSE false END";
}
}  // namespace

void ResultStore::Reconnect() {
  // Connected first: when that fails (the server is still down) the old connection and its statements
  // stay, broken but valid, and the next attempt starts from target_ again. (Resetting db_ first left it
  // null after a failed attempt, and the next attempt's first statement crashed every worker.)
  auto fresh = std::make_unique<sql::Database>(target_, sql::Database::Mode::kReadWrite);
  // The statements belong to the old connection: gone before it.
  for (sql::Statement* st : {&insert_result_, &mark_done_, &insert_frontier_, &discover_, &refetch_,
                             &lower_depth_, &previous_, &insert_sitemap_url_, &upsert_sitemap_}) {
    *st = sql::Statement();
  }
  db_ = std::move(fresh);
  PrepareStatements();  // no round trip: PostgreSQL prepares a statement on the server at its second run
  ++reconnects_;
  hosts_known_.clear();
  if (worker_) {
    auto idle = db_->Prepare("SELECT set_config('idle_in_transaction_session_timeout', ?, false)");
    idle.Bind(1, std::to_string(int64_t(lease_s_ * 1000))).Run();
    NoJit();
  }
  if (worker_ && claim_unanswered_) {
    // A claim lost at its COMMIT may have gone through, leasing this worker URLs it never received:
    // free its leases, and its next claims take them (and those it holds) again. A URL it then has
    // twice is fetched twice and recorded once (the done mark). A claim lost before its COMMIT was
    // rolled back: nothing to free (freeing on every reconnect had a worker fetch what it held again,
    // a third of a 3,000-URL crawl after one restart).
    auto free = db_->Prepare("UPDATE frontier SET lease = NULL WHERE lease = ? AND done = 0");
    free.Bind(1, worker_).Run();
    claim_unanswered_ = false;
  }
}

void ResultStore::FinishRun(int64_t run_id, const std::string& status) {
  if (!db_->postgres()) return FinishRunOnce(run_id, status);
  Retrying([&] { FinishRunOnce(run_id, status); });
}

void ResultStore::NoJit() {
  // A claim's statements are short, but the planner costs the scans it may stop early in full (a LIMIT
  // that can be the whole hosts table): over jit_above_cost, 100,000 hosts cost 145 ms of JIT compiling
  // per claim for 35 ms of work.
  db_->Prepare("SELECT set_config('jit', 'off', false)").Run();
}

int64_t ResultStore::JoinAsWorker(int64_t run_id, double lease_s, int64_t max_pages) {
  lease_s_ = lease_s;
  known_cap_ = std::max<int64_t>(0, max_pages);
  ReadLanes(run_id);  // as the run began: every worker keys URLs alike
  // Across a lost connection too (Retrying). The one case it cannot tell: an INSERT that went through
  // unanswered leaves a second workers row, which nothing renews and whose lease expires unused.
  worker_ = Retrying([&] {
    auto st = db_->Prepare(
        "INSERT INTO workers (run_id, hostname, pid, started_at, lease_expires) "
        "VALUES (?, ?, ?, ?, now() + make_interval(secs => ?)) RETURNING id");
    st.Bind(1, run_id).Bind(2, HostName()).Bind(3, int64_t(getpid())).Bind(4, UtcNow()).Bind(5, lease_s);
    st.Step();
    return st.Int(0);
  });
  // A worker stopped in the middle of a transaction (SIGSTOP, a hung machine) would hold its row locks,
  // and with them its hosts, for as long as it is stopped: the server ends such a session after one lease.
  // (Reconnect sets the same on every new connection of a worker.)
  Retrying([&] {
    auto idle = db_->Prepare("SELECT set_config('idle_in_transaction_session_timeout', ?, false)");
    idle.Bind(1, std::to_string(int64_t(lease_s * 1000))).Run();
    NoJit();
  });
  return worker_;
}

WorkerLease::WorkerLease(const std::string& target, int64_t worker, double lease_s)
    : target_(target),
      db_(std::make_unique<sql::Database>(target, sql::Database::Mode::kReadWrite)),
      worker_(worker),
      lease_s_(lease_s) {}

std::optional<bool> WorkerLease::Renew() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (!db_) db_ = std::make_unique<sql::Database>(target_, sql::Database::Mode::kReadWrite);
      auto st = db_->Prepare(
          "UPDATE workers w SET lease_expires = now() + make_interval(secs => CAST(?1 AS DOUBLE PRECISION)) "
          "WHERE w.id = ?2 AND " + Live("?1"));
      st.Bind(1, lease_s_).Bind(2, worker_).Run();
      return db_->Changes() == 1;
    } catch (const sql::Error& e) {
      if (e.code != sql::kIoError) throw;
      db_.reset();  // reconnect on the next attempt
    }
  }
  return std::nullopt;
}

void ResultStore::LeaveRun() {
  if (!worker_) return;
  Retrying([&] { LeaveRunOnce(); });
  worker_ = 0;
}

void ResultStore::LeaveRunOnce() {
  sql::Transaction tx(*db_);
  auto hosts = db_->Prepare("UPDATE hosts SET worker = NULL WHERE worker = ?");
  hosts.Bind(1, worker_).Run();
  auto urls = db_->Prepare("UPDATE frontier SET lease = NULL WHERE lease = ? AND done = 0");
  urls.Bind(1, worker_).Run();
  auto me = db_->Prepare("UPDATE workers SET stopped = 1 WHERE id = ?");
  me.Bind(1, worker_).Run();
  tx.Commit();
}

void ResultStore::EnsureHost(int64_t run_id, std::string_view host) {
  std::string key(host);
  if (hosts_known_.count(key)) return;
  auto st = db_->Prepare("INSERT INTO hosts (run_id, host) VALUES (?, ?) ON CONFLICT DO NOTHING");
  st.Bind(1, run_id).Bind(2, key).Run();
  if (hosts_known_.size() < 1'000'000) hosts_known_.insert(std::move(key));
}

ResultStore::Claim ResultStore::ClaimWork(int64_t run_id, size_t limit, bool with_previous,
                                          const std::vector<std::string>& release) {
  Claim claim = Retrying([&] { return ClaimOnce(run_id, limit, release); });
  if (with_previous) {
    Retrying([&] { LoadPrevious(claim.items, run_id); });
  }
  return claim;
}

ResultStore::Claim ResultStore::ClaimOnce(int64_t run_id, size_t limit, const std::vector<std::string>& release) {
  Claim claim;
  sql::Transaction tx(*db_);
  if (!release.empty()) {
    // Given back (a share too large for the live workers): free before counting, so that the share below
    // sees them free. Their URLs' leases go too, or this worker, taking one back later, would skip them as
    // already in its memory.
    PgArray names;
    for (const std::string& h : release) names.Add(h);
    auto hosts = db_->Prepare("UPDATE hosts SET worker = NULL WHERE run_id = ?1 AND worker = ?2 AND "
                              "host = ANY(CAST(?3 AS TEXT[]))");
    hosts.Bind(1, run_id).Bind(2, worker_).Bind(3, names.str()).Run();
    auto urls = db_->Prepare("UPDATE frontier SET lease = NULL WHERE run_id = ?1 AND lease = ?2 AND done = 0 AND "
                             "host = ANY(CAST(?3 AS TEXT[]))");
    urls.Bind(1, run_id).Bind(2, worker_).Bind(3, names.str()).Run();
  }
  // Nothing here reads every pending URL of the run (issue 28.3: at 10 million, count(DISTINCT host) over
  // them, a count of them all and a sort of all URLs of this worker's hosts took seconds per claim; see
  // bench/RESULTS.md, "Claims"). What is left costs at most a scan of the run's hosts rows.
  // What the claim needs to know, in one statement (one round trip; it was three): the live workers, the
  // hosts this worker holds, whether anything is pending (the first entry of frontier_pending), the run's
  // rows counted only as far as --max-pages needs (counting them all read the whole frontier at every
  // claim), and, only with other workers (a CASE's subquery runs only when its branch is taken), the hosts
  // with pending work: those live workers hold (a held host whose work ran out goes back at a claim that
  // comes back short, below) and the free ones with pending URLs, these counted only as far as the share
  // can need (one index probe each).
  auto shape = db_->Prepare(
      "SELECT s.live, s.held, s.pending, s.known, CASE WHEN s.live > 1 THEN (SELECT count(*) FROM hosts h JOIN "
      "workers w ON w.id = h.worker WHERE h.run_id = ?1 AND " + Live("?3") + ") ELSE 0 END, "
      "CASE WHEN s.live > 1 THEN (SELECT count(*) FROM (SELECT 1 FROM hosts h WHERE h.run_id = ?1 AND " +
      FreeWithPending("?3") + " LIMIT s.live * (s.held + ?4)) k) ELSE 0 END "
      "FROM (SELECT (SELECT count(*) FROM workers w WHERE w.run_id = ?1 AND " + Live("?3") + ") AS live, "
      "(SELECT count(*) FROM hosts WHERE run_id = ?1 AND worker = ?2) AS held, "
      "CASE WHEN EXISTS (SELECT 1 FROM frontier WHERE run_id = ?1 AND done = 0) THEN 1 ELSE 0 END AS pending, "
      "(SELECT count(*) FROM (SELECT 1 FROM frontier WHERE run_id = ?1 LIMIT ?5) k) AS known OFFSET 0) s");
  shape.Bind(1, run_id).Bind(2, worker_).Bind(3, lease_s_).Bind(4, kMaxTakeHosts).Bind(5, known_cap_);
  shape.Step();
  int64_t live = std::max<int64_t>(1, shape.Int(0)), held = shape.Int(1);
  claim.pending = shape.Int(2);
  claim.known = shape.Int(3);
  // This worker's fair share of the hosts with pending work, ceil(hosts / live workers), at most
  // kMaxTakeHosts a claim. Alone, a worker takes whatever is free, as before.
  int64_t want = live == 1 ? std::numeric_limits<int64_t>::max() : kMaxTakeHosts;
  int64_t pending_hosts = 0;  // counted only with other workers, and only as far as the share needs
  if (live > 1) {
    pending_hosts = shape.Int(4) + shape.Int(5);
    const int64_t share = (pending_hosts + live - 1) / live;
    want = std::min(want, share - held);
    // Holding more than a fair share with nothing free: some live worker holds less than its share (the
    // held hosts add up to pending_hosts), a late joiner perhaps, or one whose hosts ran out. Give the
    // surplus back; the next claim frees it (release) and the others' claims take it. Only hosts with
    // pending work are shared out, so a run of a few large hosts spreads only when they are split into
    // lanes (set_lanes).
    if (shape.Int(5) == 0 && held > share) claim.give_back = held - share;
  }
  shape.Reset();
  if (want > 0) {
    // Chosen and taken in one statement: one round trip however many.
    // The hosts are updated by key (ANY of an array made once): as "host IN (...)" the planner hashed them
    // and scanned the whole hosts table a second time.
    auto take = db_->Prepare("UPDATE hosts SET worker = ?4 WHERE run_id = ?1 AND host = ANY(ARRAY(SELECT h.host "
                             "FROM hosts h WHERE h.run_id = ?1 AND " + FreeWithPending("?3") +
                             " ORDER BY h.host LIMIT ?2 FOR UPDATE OF h SKIP LOCKED))");
    take.Bind(1, run_id).Bind(2, want).Bind(3, lease_s_).Bind(4, worker_).Run();
    held += db_->Changes();
  }
  claim.hosts = held;
  // URLs of this worker's hosts that are not in its memory yet: pending, leased to nobody or to a worker
  // that is gone (it held the host before us).
  // The candidates are chosen (and locked) once, then updated by their row ids (a TID scan): with a
  // fresh table's statistics (1 row) the planner joined them back by a nested loop over the whole
  // frontier, minutes for 50,000 URLs. How they are found depends on the share of the hosts held, so
  // that neither the run's pending URLs nor (mostly) its hosts set the cost; joined hosts first, every
  // pending URL of this worker's hosts was read and sorted to keep `limit` (a lone worker's: the whole
  // frontier, seconds at 10 million).
  // - Holding a fair share of the hosts with pending URLs (or alone): the pending URLs in seq order
  //   (frontier_pending), each one's host looked up by key, up to the limit; about limit x live
  //   workers rows are read, plus those already in this worker's memory (lease), skipped.
  // - Holding fewer (just joined, or few hosts left): each held host gives its first ?4 pending URLs
  //   by seq from frontier_by_host, and the first `limit` of those are taken: a probe per host held.
  const bool by_seq = live == 1 || held * live >= pending_hosts;
  const std::string by_seq_sql =
      "SELECT ctid FROM frontier WHERE run_id = ?1 AND done = 0 AND lease IS DISTINCT FROM ?2 AND EXISTS "
      "(SELECT 1 FROM hosts h WHERE h.run_id = ?1 AND h.host = frontier.host AND h.worker = ?2 OFFSET 0) "
      "AND CAST(?4 AS BIGINT) > 0 ORDER BY seq LIMIT ?3 FOR UPDATE SKIP LOCKED";
  const std::string by_host_sql =
      "SELECT f.ctid FROM hosts h CROSS JOIN LATERAL (SELECT ctid, seq FROM frontier WHERE run_id = ?1 AND "
      "host = h.host AND done = 0 AND lease IS DISTINCT FROM ?2 ORDER BY seq LIMIT ?4 FOR UPDATE SKIP LOCKED) f "
      "WHERE h.run_id = ?1 AND h.worker = ?2 ORDER BY f.seq LIMIT ?3";
  auto urls = db_->Prepare("WITH c AS MATERIALIZED (" + (by_seq ? by_seq_sql : by_host_sql) +
                           ") UPDATE frontier SET lease = ?2 WHERE ctid = ANY(ARRAY(SELECT ctid FROM c)) "
                           "RETURNING url, seq, depth, list_line, root, source_kind, source, resource_kind");
  // A second pass, up to `limit` from each host, when hosts with fewer than their part left the claim
  // short (it stops at the rows the first pass leased).
  int64_t per_host = (int64_t(limit) + std::max<int64_t>(1, held) - 1) / std::max<int64_t>(1, held);
  for (int pass = 0; pass < 2 && held > 0 && claim.items.size() < limit; ++pass) {
    if (pass == 1 && (by_seq || per_host >= int64_t(limit))) break;
    if (pass == 1) per_host = int64_t(limit);
    urls.Bind(1, run_id).Bind(2, worker_).Bind(3, int64_t(limit - claim.items.size())).Bind(4, per_host);
    while (urls.Step()) {
      FrontierItem item{urls.Text(0), urls.Int(1), urls.Int(2), urls.OptInt(3), urls.OptText(4)};
      item.source_kind = urls.OptText(5);
      item.source = urls.OptText(6);
      item.resource_kind = urls.OptText(7);
      claim.items.push_back(std::move(item));
    }
    urls.Reset();
  }
  std::sort(claim.items.begin(), claim.items.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  // Hosts with nothing left go back (a worker that has finished its hosts takes others next time), looked
  // for when the claim came back short: while it is full this worker has work enough, and the look costs
  // a probe per host held (0.4 s for 100,000).
  if (claim.items.size() < limit) {
    auto release = db_->Prepare(
        "UPDATE hosts SET worker = NULL WHERE run_id = ?1 AND worker = ?2 AND NOT EXISTS "
        "(SELECT 1 FROM frontier f WHERE f.run_id = ?1 AND f.host = hosts.host AND f.done = 0)");
    release.Bind(1, run_id).Bind(2, worker_).Run();
  }
  claim_unanswered_ = true;  // until COMMIT answers: see Reconnect
  tx.Commit();
  claim_unanswered_ = false;
  return claim;
}

void ResultStore::WriteShared(int64_t run_id, const WriteBatch& batch) {
  Retrying([&] { WriteSharedOnce(run_id, batch); });
}

void ResultStore::WriteSharedOnce(int64_t run_id, const WriteBatch& batch) {
  sql::Transaction tx(*db_);
  // Of the hosts of the batch's results, those this worker holds under a live lease, share-locked until
  // the commit. Only the batch's own hosts: locking every host the worker held cost 0.9 ms a batch with
  // 1,000 hosts, whatever the batch's size (docs/scale.md); a host with no result here needs no fence.
  PgArray origins;
  {
    std::unordered_set<std::string> seen;
    for (const ResultRow& r : batch.results) {
      if (!r.in_frontier) continue;
      if (auto [it, added] = seen.insert(HostKey(r.url)); added) origins.Add(*it);
    }
  }
  std::unordered_set<std::string> mine;
  if (origins.size() > 0) {
    auto held = db_->Prepare(
        std::string("SELECT h.host FROM hosts h WHERE h.run_id = ?1 AND h.host = ANY(CAST(?4 AS TEXT[])) AND "
                    "h.worker = ?2 AND EXISTS (SELECT 1 FROM workers w WHERE w.id = ?2 AND ") +
        Live("?3") + ") FOR SHARE OF h");
    held.Bind(1, run_id).Bind(2, worker_).Bind(3, lease_s_).Bind(4, origins.str());
    while (held.Step()) mine.insert(held.Text(0));
    held.Reset();
  }
  if (mine.empty()) {
    // None of the batch's hosts held (or no results): when this worker's lease is gone, none of the batch is
    // written (not even its links and discoveries: the run may be complete); its heartbeat learns the same
    // and stops it.
    auto live = db_->Prepare(std::string("SELECT 1 FROM workers w WHERE w.id = ?1 AND ") + Live("?2"));
    live.Bind(1, worker_).Bind(2, lease_s_);
    if (!live.Step()) {
      fenced_ += int64_t(batch.results.size());
      return;
    }
  }
  // A statement per kind of row, not per row (result_store_batch.cc): discoveries first, so that a URL
  // found and fetched within one batch exists before its result marks it done.
  AddUrls(std::span(&batch, 1));
  DiscoverShared(run_id, batch.discovered);
  WriteSitemaps(run_id, batch);
  WriteResultsShared(run_id, batch.results, mine);
  WriteLinks(run_id, batch.links);
  WriteFragments(run_id, batch);
  tx.Commit();
}

bool ResultStore::ListRead(int64_t run_id) {
  return Retrying([&] {
    auto st = db_->Prepare("SELECT 1 FROM runs WHERE id = ? AND (urls_total IS NOT NULL OR status <> 'running')");
    st.Bind(1, run_id);
    return st.Step();
  });
}

void ResultStore::RenewOwnLease() {
  Retrying([&] {
    auto st = db_->Prepare(
        "UPDATE workers SET lease_expires = now() + make_interval(secs => ?) WHERE id = ? AND stopped = 0");
    st.Bind(1, lease_s_).Bind(2, worker_).Run();
  });
}

int64_t ResultStore::LiveWorkers(int64_t run_id) {
  return Retrying([&] { return LiveWorkersOnce(run_id); });
}

int64_t ResultStore::LiveWorkersOnce(int64_t run_id) {
  auto st = db_->Prepare(std::string("SELECT count(*) FROM workers w WHERE w.run_id = ?1 AND w.id != ?2 AND ") +
                         Live("?3"));
  st.Bind(1, run_id).Bind(2, worker_).Bind(3, lease_s_);
  st.Step();
  return st.Int(0);
}

bool ResultStore::CompleteIfDone(int64_t run_id) {
  return Retrying([&] { return CompleteIfDoneOnce(run_id); });
}

bool ResultStore::CompleteIfDoneOnce(int64_t run_id) {
  sql::Transaction tx(*db_);
  auto run = db_->Prepare("SELECT status FROM runs WHERE id = ? FOR UPDATE");
  run.Bind(1, run_id);
  if (!run.Step()) return false;
  std::string status = run.Text(0);
  run.Reset();
  if (status == "completed") return true;
  // The list is still being read (by the worker that started the run): not finished, only not begun.
  auto loaded = db_->Prepare("SELECT 1 FROM runs WHERE id = ? AND urls_total IS NOT NULL");
  loaded.Bind(1, run_id);
  if (!loaded.Step()) return false;
  loaded.Reset();
  auto pending = db_->Prepare("SELECT 1 FROM frontier WHERE run_id = ? AND done = 0 LIMIT 1");
  pending.Bind(1, run_id);
  if (pending.Step()) return false;
  pending.Reset();
  FinishRunOnce(run_id, "completed");
  ClearFrontier(run_id);
  auto hosts = db_->Prepare("DELETE FROM hosts WHERE run_id = ?");
  hosts.Bind(1, run_id).Run();
  tx.Commit();
  return true;
}

}  // namespace gc::storage
