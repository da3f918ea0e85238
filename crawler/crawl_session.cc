#include "crawler/crawl_session.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <unordered_map>

#include <xxhash.h>

#include "crawler/error_class.h"
#include "crawler/fetcher.h"
#include "greenlet/spawn.h"
#include "crawler/host_scheduler.h"
#include "crawler/parse_job.h"
#include "greenlet/signals.h"
#include "greenlet/sync.h"
#include "parser/utf8.h"
#include "urls/robots.h"
#include "urls/scope.h"
#include "urls/url.h"

namespace gc {
namespace {

using Clock = std::chrono::steady_clock;

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<std::string> NonEmpty(std::string s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// Header values come from the server: store them as clean UTF-8.
std::optional<std::string> Header(const std::string& s) { return NonEmpty(CleanText(s, 1024)); }

storage::ResultRow MakeRow(const storage::FrontierItem& item, const Response& r, const PageInfo& page) {
  storage::ResultRow row;
  row.url = item.url;
  row.depth = item.depth;
  row.list_line = item.list_line;
  row.fetched_at = storage::UtcNow();
  row.final_url = NonEmpty(r.final_url);
  if (r.status > 0) row.status = r.status;
  if (r.status > 0 || r.size > 0) row.size = r.size;
  row.content_type = Header(r.content_type);
  if (!page.title.empty()) row.title = page.title;
  row.error = NonEmpty(r.error);
  row.error_message = NonEmpty(CleanText(r.error_message, 1024));
  row.redirects = r.redirects;
  row.wire_bytes = r.wire_bytes;
  row.ip = NonEmpty(r.ip);
  row.etag = Header(r.etag);
  row.last_modified = Header(r.last_modified);
  if (r.ok() || r.size > 0) row.content_hash = Hex64(r.body_hash);
  row.dns_ms = r.timings.dns_ms;
  row.connect_ms = r.timings.connect_ms;
  row.tls_ms = r.timings.tls_ms;
  row.ttfb_ms = r.timings.first_byte_ms;
  row.total_ms = r.timings.total_ms;
  return row;
}

class CrawlSession {
 public:
  CrawlSession(const CrawlOptions& o, storage::ResultStore& store, int64_t run_id, bool conditional, CrawlObserver& observer,
               std::ostream& err)
      : conditional_(conditional),
        observer_(observer),
        o_(o),
        store_(store),
        run_id_(run_id),
        err_(err),
        scheduler_(o.per_host, o.delay_ms),
        scope_(*urls::ParseScopeKind(o.scope), o.include, o.exclude) {
    fetch_.timeout_ms = long(o.timeout_s * 1000);
    fetch_.connect_timeout_ms = std::min<long>(fetch_.timeout_ms, 10'000);
    fetch_.max_body_bytes = o.max_size;
    fetch_.user_agent = o.user_agent;
    fetch_.headers = o.headers;
    fetch_.verify_tls = !o.insecure;
    // A list crawl needs only the title (the <head>: ~100x cheaper); following links needs the body.
    parse_.links = o.depth > 0;
    robots_on_ = o.depth > 0 && !o.ignore_robots;
    frontier_size_ = store.FrontierSize(run_id);
    next_seq_ = store.MaxSeq(run_id) + 1;
  }

  // Returns the run's final status: "completed", "interrupted" or "failed".
  std::string Run() {
    Hub hub;
    std::string status;
    {
      // libcurl sizes its connection cache at 4x the easy handles *currently added*, which come and go with
      // every transfer: idle keep-alive connections were closed and reopened (389 opened for 100 in flight
      // in bench case a). Size it for the crawl instead.
      FetcherConfig fc;
      fc.max_connects_cache = std::max(64L, 2L * o_.concurrency);
      Fetcher fetcher(hub, fc);
      fetcher_ = &fetcher;
      SignalWatch signals(hub, [this](int signo) { OnSignal(signo); });
      auto main = Spawn(&CrawlSession::Main, this);
      hub.Run();
      signals.Stop();
      if (!main.ready() || !main.successful()) {
        if (main.ready()) {
          try {
            main.value();
          } catch (const std::exception& e) {
            err_ << "greencrawl: " << e.what() << "\n";
          }
        }
        status = "failed";
      } else {
        status = main.value();
      }
      fetcher_ = nullptr;
    }
    if (hub.Close() != 0) err_ << "greencrawl: warning: the event loop did not close cleanly\n";
    try {
      store_.Flush();  // whatever the workers recorded before a failure
    } catch (const std::exception& e) {
      err_ << "greencrawl: " << e.what() << "\n";
      status = "failed";
    }
    return status;
  }

  int64_t recorded() const { return recorded_; }
  int64_t unchanged() const { return unchanged_; }
  int64_t retried() const { return retried_; }

 private:
  Task<std::string> Main() {
    auto flusher = Spawn(&CrawlSession::Flusher, this);
    auto ticker = Spawn(&CrawlSession::Ticker, this);
    detail::KillUnlessDone<void> stop_flusher{flusher}, stop_ticker{ticker};
    co_await Dispatch();
    // Stopping: give in-flight transfers a grace period, then abandon them (their URLs stay pending).
    if (in_flight_ > 0) {
      auto deadline = Clock::now() + std::chrono::milliseconds(hard_stop_ ? 0 : o_.grace_ms);
      while (in_flight_ > 0 && !hard_stop_ && Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        co_await changed_.Wait(std::max<int64_t>(1, left));
        changed_.Clear();
      }
      auto abandoned = std::move(workers_);  // a killed worker erases itself from workers_
      workers_.clear();
      for (auto& [id, g] : abandoned) g.Kill();
    }
    if (flush_error_) throw std::runtime_error(*flush_error_);
    store_.Flush();
    co_return stopping_ ? "interrupted" : "completed";
  }

  Task<void> Dispatch() {
    const size_t refill_below = size_t(std::max(1000, 4 * o_.concurrency));
    while (!stopping_ && !flush_error_) {
      if (scheduler_.queued() < refill_below) {
        // Discovered URLs wait in the write buffer: commit them so the frontier query sees them. Only when
        // the scheduler is about to run dry, or every 200 ms: each commit is a WAL write on the loop, and
        // a growing recursive crawl would otherwise commit on nearly every dispatch.
        bool starving = scheduler_.queued() < size_t(o_.concurrency);
        if (store_.has_discoveries() && (starving || Clock::now() - last_refill_flush_ > std::chrono::milliseconds(200))) {
          FlushNow();
          last_refill_flush_ = Clock::now();
          frontier_done_ = false;
        }
        if (!frontier_done_) Refill(refill_below * 2);
      }
      if (in_flight_ < o_.concurrency) {
        if (auto next = scheduler_.Next(Clock::now())) {
          StartWorker(std::move(next->first), std::move(next->second));
          continue;
        }
        if (frontier_done_ && scheduler_.queued() == 0 && in_flight_ == 0 && !store_.has_discoveries()) break;
      }
      // Wait for a transfer to end, a host's gap to pass, or a signal.
      int64_t wait_ms = -1;
      if (auto wake = scheduler_.NextWake(); wake && in_flight_ < o_.concurrency) {
        wait_ms = std::max<int64_t>(
            1, std::chrono::duration_cast<std::chrono::milliseconds>(*wake - Clock::now()).count() + 1);
      }
      co_await changed_.Wait(wait_ms);
      changed_.Clear();
    }
  }

  void Refill(size_t want) {
    auto batch = store_.PendingAfter(run_id_, last_seq_, want);
    if (batch.size() < want) frontier_done_ = true;
    for (auto& item : batch) {
      last_seq_ = item.seq;
      std::string host = urls::Origin(item.url);
      scheduler_.Add(std::move(item), host);
    }
  }

  void StartWorker(storage::FrontierItem item, std::string host) {
    ++in_flight_;
    uint64_t id = next_worker_id_++;
    workers_.emplace(id, Spawn(&CrawlSession::Worker, this, id, std::move(item), std::move(host)));
  }

  Task<void> Worker(uint64_t id, storage::FrontierItem item, std::string host) {
    // Leaves the books straight however the worker ends (done, or killed at shutdown).
    struct Done {
      CrawlSession* s;
      uint64_t id;
      std::string host;
      ~Done() {
        --s->in_flight_;
        s->scheduler_.Done(host);
        s->workers_.erase(id);
        s->changed_.Set();
      }
    } done{this, id, host};
    storage::ResultRow row;
    try {
      if (robots_on_) {
        const urls::Robots* rules = co_await RobotsFor(host);
        if (!rules->Allowed(urls::PathAndQuery(item.url))) {
          row = ErrorRow(item, error_class::kRobots, "disallowed by " + host + "/robots.txt");
          row.attempts = 0;
          Recorded(true);
          store_.Record(run_id_, std::move(row));
          co_return;
        }
      }
      FetchOptions fo = fetch_;
      std::optional<storage::PreviousResult> previous;
      if (conditional_) previous = store_.Previous(item.url, run_id_);
      if (previous) {
        fo.if_none_match = previous->etag.value_or("");
        fo.if_modified_since = previous->last_modified.value_or("");
      }
      Response r = co_await fetcher_->Get(item.url, fo);
      if (auto backoff = RetryBackoff(item, r)) {
        // A transient failure: try again later, after this host has rested; nothing is recorded yet.
        storage::FrontierItem again = item;
        ++again.attempts;
        scheduler_.Retry(std::move(again), host, *backoff);
        ++retried_;
        co_return;
      }
      PageInfo page;
      if (r.ok() && IsHtml(r.content_type, r.body)) {
        if (CheapToParse(r.body, parse_)) {
          page = ParsePage(r.body, r.final_url, r.content_type, parse_);  // a small <head>: ~10 us
        } else {
          auto parse = ParseInPool(std::move(r.body), r.final_url, r.content_type, parse_);
          page = co_await std::move(parse);
        }
      }
      row = MakeRow(item, r, page);
      row.attempts = item.attempts;
      if (r.status == 304 && previous && (previous->etag || previous->last_modified)) {
        // Not modified: the earlier response still describes the page; carry it so reports stay whole.
        row.unchanged = 1;
        row.size = previous->size;
        row.content_hash = previous->content_hash;
        row.title = previous->title;
        row.content_type = previous->content_type;
        if (!row.etag) row.etag = previous->etag;
        if (!row.last_modified) row.last_modified = previous->last_modified;
        ++unchanged_;
      }
      if (o_.depth > 0 && page.html) Discover(item, r, page);
    } catch (const std::exception& e) {
      // Not expected (failures are data), but a URL must never be lost: record what happened.
      row = ErrorRow(item, error_class::kOther, CleanText(e.what(), 1024));
    }
    Recorded(row.error.has_value());
    store_.Record(run_id_, std::move(row));
    // A flush of N rows stalls the loop ~10 us per row (bench/micro.sh, BM_StoreFlush): keep batches small.
    if (store_.buffered() >= 1000) FlushNow();
  }

  // How long to wait before retrying `r`, or nullopt when it is final. Transient: a timeout, a reset or
  // empty answer, 429 and 503 (honouring Retry-After in seconds, up to 5 minutes).
  std::optional<std::chrono::milliseconds> RetryBackoff(const storage::FrontierItem& item, const Response& r) const {
    if (item.attempts > o_.retries || stopping_) return std::nullopt;
    bool transient = r.error == error_class::kTimeout || r.error == error_class::kReset ||
                     r.error == error_class::kEmptyResponse || (r.ok() && (r.status == 429 || r.status == 503));
    if (!transient) return std::nullopt;
    auto wait = std::chrono::milliseconds(int64_t(o_.retry_delay_ms) << std::min(item.attempts - 1, 10));
    if (!r.retry_after.empty() && std::all_of(r.retry_after.begin(), r.retry_after.end(), ::isdigit)) {
      auto asked = std::chrono::seconds(std::min<long long>(std::stoll(r.retry_after.substr(0, 9)), 300));
      wait = std::max<std::chrono::milliseconds>(wait, asked);
    }
    return wait;
  }

  static storage::ResultRow ErrorRow(const storage::FrontierItem& item, const char* error, std::string message) {
    storage::ResultRow row;
    row.url = item.url;
    row.depth = item.depth;
    row.list_line = item.list_line;
    row.fetched_at = storage::UtcNow();
    row.error = error;
    row.error_message = std::move(message);
    return row;
  }

  // Records every link of a page, and queues those to follow: within --depth, in scope, not nofollow,
  // under --max-pages. They commit with the page's own result, so a resumed run neither loses nor
  // repeats them.
  void Discover(const storage::FrontierItem& item, const Response& r, const PageInfo& page) {
    // The scope root of a listed URL is where it ended up (http://x/ -> https://www.x/ is common).
    std::string root = item.root.value_or(r.final_url.empty() ? item.url : r.final_url);
    bool follow_page = item.depth < o_.depth && (o_.ignore_nofollow || !page.nofollow);
    std::string root_key = follow_page ? scope_.Key(root) : std::string();
    for (const Link& link : page.links) {
      store_.AddLink(run_id_, item.url, link.url, link.nofollow);
      if (!follow_page || link.resource || (link.nofollow && !o_.ignore_nofollow)) continue;
      if (o_.max_pages > 0 && frontier_size_ >= o_.max_pages) continue;
      // Most links of a site point at URLs already queued: skip the database upsert unless this one
      // is new to the session or found at a smaller depth. (A 64-bit hash: a collision could only
      // skip a smaller-depth update, never a URL the database has not seen, since the first
      // discovery always writes.) After --resume the set starts empty and the upsert decides.
      uint64_t key = XXH3_64bits(link.url.data(), link.url.size());
      auto [it, fresh] = queued_depth_.emplace(key, item.depth + 1);
      if (!fresh) {
        if (it->second <= item.depth + 1) continue;
        it->second = item.depth + 1;
      }
      if (!scope_.AllowsUnder(root_key, link.url)) continue;
      store_.Discover(run_id_, {link.url, next_seq_++, item.depth + 1, std::nullopt, root});
      ++frontier_size_;  // an upper bound: links already queued are not counted again by the database
    }
  }

  // robots.txt of `origin`, fetched once per run (concurrent askers wait for the first fetch).
  // RFC 9309: 2xx parse (first 500 KiB), 4xx allow all, 5xx or unreachable disallow all.
  Task<const urls::Robots*> RobotsFor(std::string origin) {
    RobotsEntry& e = robots_[origin];
    while (e.state == RobotsEntry::kFetching) co_await e.ready.Wait();
    if (e.state == RobotsEntry::kReady) co_return &e.rules;
    e.state = RobotsEntry::kFetching;
    FetchOptions ro = fetch_;
    ro.max_body_bytes = 500 * 1024;
    ro.max_redirects = 5;
    std::string url = origin + "/robots.txt";
    Response r = co_await fetcher_->Get(url, ro);
    RobotsEntry& entry = robots_[origin];  // the map may have grown meanwhile; references stay valid
    if ((r.ok() || r.error == error_class::kTooLarge) && r.status >= 200 && r.status < 300) {
      entry.rules = urls::Robots::Parse(r.body, "greencrawl");
      if (auto delay = entry.rules.crawl_delay()) {
        scheduler_.SetHostDelay(origin, std::chrono::milliseconds(int64_t(*delay * 1000)));
      }
    } else if (r.ok() && r.status >= 400 && r.status < 500) {
      entry.rules = urls::Robots::AllowAll();
    } else {
      entry.rules = urls::Robots::DisallowAll();
    }
    entry.state = RobotsEntry::kReady;
    entry.ready.Set();
    co_return &entry.rules;
  }

  void FlushNow() {
    try {
      store_.Flush();
    } catch (const std::exception& e) {
      flush_error_ = e.what();
      stopping_ = true;
      changed_.Set();
    }
  }

  // Commits results at least every flush_ms, so readers see progress and a crash loses little.
  Task<void> Flusher() {
    for (;;) {
      co_await Sleep(uint64_t(o_.flush_ms));
      FlushNow();
    }
  }

  Task<void> Ticker() {
    for (;;) {
      co_await Sleep(250);
      observer_.Tick(in_flight_);
    }
  }

  void OnSignal(int signo) {
    if (!stopping_) {
      stopping_ = true;
      err_ << "\ngreencrawl: " << (signo == 2 ? "SIGINT" : "SIGTERM")
           << ": stopping; in-flight transfers get " << o_.grace_ms / 1000.0
           << " s (again to stop now)\n";
    } else {
      hard_stop_ = true;
    }
    changed_.Set();
  }

  void Recorded(bool error) {
    ++recorded_;
    observer_.Recorded(error);
  }

  bool conditional_;
  CrawlObserver& observer_;
  int64_t unchanged_ = 0;
  int64_t retried_ = 0;
  const CrawlOptions& o_;
  storage::ResultStore& store_;
  int64_t run_id_;
  std::ostream& err_;
  HostScheduler scheduler_;
  FetchOptions fetch_;
  ParseOptions parse_;
  urls::Scope scope_;
  struct RobotsEntry {
    enum State { kNone, kFetching, kReady } state = kNone;
    urls::Robots rules;
    Event ready;
  };
  std::unordered_map<std::string, RobotsEntry> robots_;  // node-based: references survive rehashing
  bool robots_on_ = false;
  int64_t frontier_size_ = 0;
  std::unordered_map<uint64_t, int64_t> queued_depth_;  // URL hash -> smallest depth queued this session
  int64_t next_seq_ = 1;
  Fetcher* fetcher_ = nullptr;
  int64_t recorded_ = 0;
  Event changed_;
  std::unordered_map<uint64_t, Greenlet<void>> workers_;
  uint64_t next_worker_id_ = 0;
  int in_flight_ = 0;
  int64_t last_seq_ = 0;
  Clock::time_point last_refill_flush_{};
  bool frontier_done_ = false;
  bool stopping_ = false;
  bool hard_stop_ = false;
  std::optional<std::string> flush_error_;
};


}  // namespace

SessionOutcome RunSession(const CrawlOptions& options, storage::ResultStore& store, int64_t run_id, bool conditional,
                          CrawlObserver& observer, std::ostream& err) {
  CrawlSession session(options, store, run_id, conditional, observer, err);
  SessionOutcome out;
  out.status = session.Run();
  out.recorded = session.recorded();
  out.unchanged = session.unchanged();
  out.retried = session.retried();
  return out;
}

}  // namespace gc
