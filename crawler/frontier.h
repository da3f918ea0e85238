// Frontier: the one owner of a run's pending work. Everything a session has yet to fetch is either here
// in memory (queued per host, waiting for a retry) or in the run's persistent `frontier` table, and the
// Frontier alone knows which; the session ends when exhausted() and nothing is in flight.
//
// It does no I/O. The database side runs elsewhere (storage::ResultStore on the session's storage
// thread); the Frontier says what it needs and is told what arrived:
//
//   if (auto req = frontier.TakeRefillRequest()) {        // it wants URLs from the table
//     ... after every discovery so far is committed ...
//     frontier.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));
//   }
//   if (auto item = frontier.Next(now)) fetch(item->item);  // per-host caps and gaps honoured
//   frontier.Done(host) / frontier.Retry(item, host, after, slow_host)
//   for (link : page) if (auto row = frontier.Add(link)) persist(*row);  // new, or found shallower
//
// Memory is bounded: at most `memory_items` URLs wait in memory. While everything pending fits, a
// discovered URL goes straight into memory (and to the table, for resume); once it does not, the
// Frontier "spills": new URLs go to the table only and come back through refills in `seq` order, so no
// URL is ever only in a buffer that nobody reads (the cause of issue 12's lost pages). Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crawler/host_scheduler.h"
#include "crawler/url_set.h"
#include "storage/result_store.h"

namespace gc {

struct FrontierConfig {
  int per_host = 0;            // in flight per host; 0: no cap
  int delay_ms = 0;            // gap between request starts to one host
  int64_t max_pages = 0;       // URLs in the run's frontier in all (listed + discovered); 0: no cap
  int64_t max_depth = 0;       // --depth: a page at this depth has its links recorded, not followed;
                               // 0: a list crawl, which adds nothing (Add() is for recursive crawls)
  size_t memory_items = 20'000;  // URLs held in memory before new ones wait in the table
  // The first refill's limit (0: memory_items). Small, so that the first transfers start after a short
  // read instead of after memory_items rows; the next refill, asked for at once, brings the rest.
  size_t first_refill = 0;
  // UrlSet cap: 1.5 M URLs fit 2^21 slots (32 MB); beyond it the table deduplicates. (4 M took 128 MB
  // of slots: a 10-minute trap crawl peaked at 277 MB RSS, bench/trap.sh.)
  size_t max_known_urls = 1'500'000;
  int max_query_variants = 1000;  // distinct query strings followed per path (a crawler trap guard)
  // One of many workers on a shared run (PostgreSQL): every URL, discovered here or not, comes from the
  // table through claims (ResultStore::ClaimWork), which hand each worker the URLs of its hosts; the
  // run is exhausted when a claim made after this worker's last result finds nothing pending anywhere.
  // While there is nothing to claim, claims are repeated every `poll`. A worker left with nothing at all
  // (nothing queued or in flight: its hosts done, others still working) polls sooner at first: every quarter of the time it has been
  // idle, from `first_poll` up to `poll`. Workers given even shares of a run run out of work within a
  // short time of each other, and the last one completes the run; at a flat 1 s the others noticed up to
  // 1 s later (the six-worker case of bench/scaleout_net.sh spent 1.15 s of its 10 s that way).
  bool shared = false;
  // Shared runs: lanes per host (storage::HostKey). Each lane is queued, capped (its part of per_host:
  // HostScheduler) and given Crawl-delay x lanes as a host of its own, so that the lanes, whichever
  // workers hold them, add up to the host's politeness.
  int lanes = 1;
  std::chrono::milliseconds poll{1000};
  std::chrono::milliseconds first_poll{50};
};

// The origin of a host key the Frontier hands out (Ready::host): the key itself, or, for a lane
// (FrontierConfig::lanes), what comes before its "#k". robots.txt and Crawl-delay are the origin's.
inline std::string OriginOfHostKey(const std::string& key) { return key.substr(0, key.find('#')); }

// A discovered link, already resolved, canonical and in scope (see crawler/link_filter.h).
struct Candidate {
  std::string url;
  uint64_t hash = 0;  // XXH3-64 of url
  int64_t depth = 0;
  std::optional<std::string> root;
  // Where it was found: "link", "external", "resource" (source: the page) or "sitemap" (source: the sitemap
  // file). A sitemap's URLs are the site's own list, not a generated space: the trap guards do not apply
  // to them. A link to another site and a resource are checked once: found again, they add nothing.
  std::optional<std::string> source_kind{}, source{};
  std::optional<std::string> resource_kind{};  // for "resource": image, script, style, frame, media
};

class Frontier {
 public:
  using Clock = std::chrono::steady_clock;

  // `next_seq`: one past the table's largest seq; `known`: the table's URL count (listed + discovered).
  Frontier(const FrontierConfig& config, int64_t next_seq, int64_t known);

  // Resume: a URL already in the table, so that finding it again adds nothing (`done`: and it was fetched
  // at that depth, as Recorded() says).
  void Seed(uint64_t hash, int64_t depth, bool done) {
    seen_.Add(hash, int32_t(depth));
    if (done) Recorded(hash, depth);
  }
  // A URL's result was recorded (at `depth`): from now on, found nearer the root it may be refetched.
  void Recorded(uint64_t hash, int64_t depth);

  // A URL found on a page. Returns the row to write to the table (with its seq) when it is new to the
  // run or found at a smaller depth than before; nullopt when it is known, or over --max-pages.
  // A page already fetched and now found nearer the root may go out again (row.refetch, see
  // frontier.cc): concurrent transfers can reach a page by a longer path first, and what lies within
  // --depth through it must not be lost for that.
  std::optional<storage::FrontierItem> Add(Candidate c);

  struct Ready {
    storage::FrontierItem item;
    std::string host;  // the host key: the origin, or a lane "origin#k" (OriginOfHostKey)
  };
  // The next URL that may start at `now`, its host charged for it. With `checks` false, no check
  // (IsCheck: a link to another site, a resource) is started (HostScheduler::Next).
  std::optional<Ready> Next(Clock::time_point now, bool checks = true);
  // The earliest time something waiting (a host's gap, a retry's backoff) becomes ready.
  std::optional<Clock::time_point> NextWake() const;
  // A transfer to `host` ended (recorded, or handed to Retry first).
  void Done(const std::string& host);
  // Fetch `item` again at `after`. `slow_host`: the server asked for it (429, 503, Retry-After): its
  // whole host waits; otherwise only this URL does (a reset says nothing about the host's other URLs).
  void Retry(storage::FrontierItem item, const std::string& host, Clock::time_point after, bool slow_host);
  // Sets `ready` aside until Undefer: a transfer refused for now (a redirect to a non-public origin that
  // the list, still being read, may name further down). Nothing pending while any is set aside.
  void Defer(Ready ready) { deferred_.push_back(std::move(ready)); }
  // Asks again, at `now`, for every URL set aside.
  void Undefer(Clock::time_point now) {
    std::vector<Ready> again = std::move(deferred_);
    deferred_.clear();
    for (Ready& r : again) Retry(std::move(r.item), r.host, now, false);
  }
  // A longer gap for one origin (robots.txt Crawl-delay): for each of its lanes, `gap` x lanes.
  void SetHostDelay(const std::string& origin, std::chrono::milliseconds gap);

  struct RefillRequest {
    int64_t after_seq = 0;
    size_t limit = 0;
    uint64_t spill_mark = 0;  // spills_ when asked: a later spill means the table has more
    std::vector<std::string> release;  // shared runs: hosts given back (storage::HostKey), see OnClaim
  };
  // What to read from the table now, if anything (at most one request is outstanding). The caller must
  // run it after every Add() so far has been committed.
  std::optional<RefillRequest> TakeRefillRequest();
  void OnRefill(const RefillRequest& request, std::vector<storage::FrontierItem> items);
  // Shared runs: a claim's URLs, and what it saw of the whole run (pending anywhere; frontier rows).
  // `give_back`: hosts to return (storage::ResultStore::Claim::give_back): up to that many with nothing in
  // flight leave memory now and are named in the next claim's `release`, asked for at once. (A retry of
  // theirs still waiting is fetched when due and fenced out: the host's new holder records the URL.)
  void OnClaim(const RefillRequest& request, std::vector<storage::FrontierItem> items, int64_t run_pending,
               int64_t run_known, Clock::time_point now, int64_t give_back = 0);
  // Shared runs: claim again at once (the run looked finished, but another worker was not).
  void ClaimSoon() { next_claim_ = {}; }
  // Rows were added to the table behind the Frontier's back (the rest of a list, crawler/list_feed.h):
  // the table may hold pending URLs after the cursor again, and a refill asked for before they were
  // committed must not say otherwise.
  void TableGrew() {
    spilled_ = true;
    ++spills_;
  }

  // Nothing pending anywhere: not in memory, not set aside, not in the table, no refill outstanding.
  bool exhausted() const {
    if (!deferred_.empty()) return false;
    if (config_.shared) {
      return !refilling_ && hosts_.queued() == 0 && retries_.empty() && run_pending_ == 0 &&
             dones_ == dones_at_claim_ && spills_ == spills_at_claim_;
    }
    return !spilled_ && !refilling_ && hosts_.queued() == 0 && retries_.empty();
  }
  size_t queued() const { return hosts_.queued() + retries_.size(); }
  size_t queued_pages() const { return hosts_.queued_pages(); }  // in memory and ready to start, not checks
  bool max_pages_reached() const { return max_pages_reached_; }
  int64_t known() const { return known_; }
  int64_t traps() const { return traps_; }  // URLs not followed by the trap guards
  bool spilled() const { return spilled_; }

 private:
  struct Waiting {
    Clock::time_point due;
    uint64_t order;
    storage::FrontierItem item;
    std::string host;
    bool operator>(const Waiting& o) const { return due != o.due ? due > o.due : order > o.order; }
  };
  void Enqueue(storage::FrontierItem item);
  void ReleaseDueRetries(Clock::time_point now);
  std::vector<Ready> deferred_;  // Defer
  bool IsTrap(const std::string& url);

  FrontierConfig config_;
  HostScheduler hosts_;
  UrlSet seen_;
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<Waiting>> retries_;
  uint64_t retry_order_ = 0;
  int64_t next_seq_;
  int64_t known_;
  int64_t cursor_ = 0;    // every pending URL with seq <= cursor_ is in memory (or in flight)
  bool spilled_ = true;   // the table may hold pending URLs with seq > cursor_ (true until a refill says not)
  bool refilling_ = false;
  bool refilled_ = false;  // a refill was asked for (the first one is config_.first_refill)
  uint64_t spills_ = 0;   // URLs sent to the table only
  bool max_pages_reached_ = false;
  bool depth_limit_hit_ = false;  // a URL was queued at --depth: its links will not be followed
  int64_t traps_ = 0;
  std::unordered_map<uint64_t, int> query_variants_;  // path hash -> query strings followed (bounded)
  // Shared runs.
  int64_t run_pending_ = -1;        // pending URLs in the run at the last claim (-1: no claim yet)
  size_t in_flight_ = 0;  // handed out by Next and not Done yet
  uint64_t dones_ = 0, dones_at_claim_ = 0;  // transfers ended: one since the last claim means claim again
  uint64_t spills_at_claim_ = 0;
  Clock::time_point next_claim_{};  // while there was nothing to claim: not before this
  std::optional<Clock::time_point> idle_since_;  // the first of the claims in a row that left it nothing
  std::vector<std::string> release_;  // hosts given back, for the next claim
  // Storage keys of the hosts given back and not yet freed by a claim (in release_ or in the claim under
  // way): URLs of theirs that a claim brings meanwhile are not queued (they would be fetched twice).
  std::unordered_set<std::string> given_back_;
  void GiveBack(const std::string& url);  // a host that left, named by a URL of it
};


}  // namespace gc
