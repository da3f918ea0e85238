#include "crawler/crawl_session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <xxhash.h>

#include "crawler/batch_writer.h"
#include "crawler/blocked.h"
#include "crawler/credentials.h"
#include "crawler/error_class.h"
#include "crawler/fetcher.h"
#include "crawler/frontier.h"
#include "crawler/page_job.h"
#include "crawler/page_links.h"
#include "crawler/retry.h"
#include "crawler/robots_cache.h"
#include "crawler/session_settings.h"
#include "crawler/sitemap_feed.h"
#include "crawler/sitemap_reader.h"
#include "greenlet/serial_thread.h"
#include "greenlet/signals.h"
#include "greenlet/spawn.h"
#include "greenlet/sync.h"
#include "greenlet/thread_pool.h"
#include "text/utf8.h"
#include "urls/robots.h"
#include "urls/scope.h"
#include "urls/url.h"

namespace gc {
namespace {

using Clock = std::chrono::steady_clock;

// In-flight transfers per Fetcher (libcurl multi handle): see CrawlSession::Run.
constexpr size_t kConnectionsPerShard = 256;
// When Record() hands a batch over (see there), and how many such batches may wait before the dispatcher
// holds new transfers back.
constexpr size_t kBatchResults = 250;
constexpr size_t kBatchRows = 20'000;
constexpr size_t kBatchesWaiting = 8;

class CrawlSession : private SitemapFeed::Session, private PageJob::Session {
 public:
  CrawlSession(const CrawlOptions& o, storage::ResultStore& store, int64_t run_id, bool conditional, CrawlObserver& observer,
               std::ostream& err, ListFeed* feed)
      : conditional_(conditional),
        observer_(observer),
        o_(o),
        store_(store),
        run_id_(run_id),
        err_(err),
        scope_(std::make_shared<urls::Scope>(*urls::ParseScopeKind(o.scope), o.include, o.exclude)),
        filters_(std::make_shared<urls::Scope>(urls::ScopeKind::kAny, o.include, o.exclude)),
        settings_(SettingsFor(o, store.worker(), store.lanes())),
        frontier_(settings_.frontier, store.MaxSeq(run_id) + 1, store.FrontierSize(run_id)) {
    feed_ = feed;
    fetch_ = settings_.fetch;
    fetch_.listed_origins = guard_origins_;
    credentials_ = settings_.credentials;
    parse_ = settings_.parse;
    parse_.cancel = &cancel_parses_;
    robots_on_ = settings_.robots_on;
  }

  // Returns the run's final status: "completed", "interrupted" or "failed".
  std::string Run() {
    Hub hub;
    std::string status;
    {
      // The run's SQLite connection lives on this thread for the session: the loop hands it batches and
      // refill requests and never waits on file I/O.
      SerialThread storage(hub);
      storage_ = &storage;
      BatchWriter writer(storage, store_, run_id_);
      writer_ = &writer;
      // A worker of a shared run renews its lease on a connection and thread of its own (WorkerLease).
      std::optional<storage::WorkerLease> lease;
      std::optional<SerialThread> lease_thread;  // joined before `lease` goes
      if (store_.worker()) {
        lease.emplace(store_.target(), store_.worker_id(), o_.lease_s);
        lease_thread.emplace(hub);
        lease_ = &*lease;
        lease_thread_ = &*lease_thread;
      }
      // libcurl sizes its connection cache at 4x the easy handles *currently added*, which come and go with
      // every transfer: idle keep-alive connections were closed and reopened (389 opened for 100 in flight
      // in bench case a). Size it for the crawl instead.
      //
      // libcurl 7.88 also walks, per transfer, every cached connection to the host to find one to reuse
      // (ConnectionExists) and every connection of the multi handle after the transfer (close_connect_only
      // in curl_multi_remove_handle): O(connections) each, ~8 % of the loop thread at 1,000 connections to
      // one host (bench case e). So above kConnectionsPerShard in flight, transfers are spread over
      // several Fetchers (multi handles) on this same loop, each worker on the least busy one, and each
      // walks at most about that many.
      const size_t in_flight = size_t(std::max(1, o_.concurrency));
      const size_t shards = (in_flight + kConnectionsPerShard - 1) / kConnectionsPerShard;
      FetcherConfig fc;
      fc.max_connects_cache = std::max(64L, 2L * o_.concurrency / long(shards));
      std::vector<std::unique_ptr<Fetcher>> fetchers;
      for (size_t i = 0; i < shards; ++i) {
        // One DNS cache, TLS session cache and cookie jar for the run (--cookies promises one jar).
        fc.share_with = i == 0 ? nullptr : fetchers[0].get();
        fetchers.push_back(std::make_unique<Fetcher>(hub, fc));
      }
      fetchers_ = &fetchers;
      shard_load_.assign(shards, 0);
      robots_.emplace(
          *fetchers.front(), RobotsCache::Options{o_.max_crawl_delay_s, o_.sitemaps},
          [this](const std::string& url) { return FetchOptionsFor(url); },
          [this](const std::string& origin, std::chrono::milliseconds delay) { frontier_.SetHostDelay(origin, delay); });
      SignalWatch signals(hub, [this](int signo) { OnSignal(signo); });
      auto main = Spawn(&CrawlSession::Main, this);
      hub.Run();
      signals.Stop();
      // libuv put the default actions back: a signal while the run is being closed (its counts, the
      // frontier cleared, the summary) is noted, not fatal.
      CatchStopSignals();
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
      fetchers_ = nullptr;
      lease_thread_ = nullptr;
      lease_ = nullptr;
      writer_ = nullptr;
      storage_ = nullptr;
    }  // ~SerialThread: every batch handed over is written before this returns
    if (hub.Close() != 0) err_ << "greencrawl: warning: the event loop did not close cleanly\n";
    try {
      if (!batch_.empty()) store_.Write(run_id_, batch_);  // a failure path left rows behind
    } catch (const std::exception& e) {
      err_ << "greencrawl: " << e.what() << "\n";
      status = "failed";
    }
    return status;
  }

  SessionOutcome Outcome() const {
    SessionOutcome out;
    out.recorded = recorded_;
    out.unchanged = unchanged_;
    out.retried = retried_;
    out.discovered = discovered_;
    out.max_pages_reached = frontier_.max_pages_reached();
    out.traps = frontier_.traps();
    out.links_too_long = links_too_long_;
    return out;
  }

 private:
  Task<std::string> Main() {
    {
      // The origins the list names: the private-address guard and (with credential headers)
      // AddCredentials need them before anything is fetched, also when a resumed run has fetched
      // every listed URL already.
      bool origins = !credentials_.empty() || o_.sitemaps;
      auto read = storage_->Call([this, origins] {
        std::pair<std::unordered_set<std::string>, std::unordered_set<std::string>> out;
        store_.ForEachListedUrl(run_id_, [&](std::string_view url) {
          out.first.emplace(urls::CanonicalOrigin(url));  // frontier URLs are canonical
          if (origins) out.second.insert(urls::Origin(url));
        });
        return out;
      });
      auto listed = co_await read;
      *guard_origins_ = std::move(listed.first);
      listed_origins_ = std::move(listed.second);
      // A sitemap named on the command line is as good as a listed URL for the private-address guard.
      for (const std::string& url : o_.sitemap) {
        if (auto c = urls::Canonicalize(url); c.ok()) guard_origins_->emplace(urls::CanonicalOrigin(c.url));
      }
    }
    if (o_.depth > 0 || SitemapFeed::Wanted(o_)) {
      // What the run already knows (a resumed run, or the listed URLs): found again, it adds nothing.
      // Named awaitables throughout: g++ 12 mis-destroys a temporary one that owns state (docs/hacking.md).
      auto read = storage_->Call([this] {
        std::vector<std::tuple<uint64_t, int32_t, bool>> out;
        store_.ForEachFrontierUrl(run_id_, [&out](std::string_view url, int64_t depth, bool done) {
          out.emplace_back(XXH3_64bits(url.data(), url.size()), int32_t(depth), done);
        });
        return out;
      });
      auto seeds = co_await read;
      for (auto [hash, depth, done] : seeds) frontier_.Seed(hash, depth, done);
    }
    if (SitemapFeed::Wanted(o_)) {
      // After the seeding: a listed URL (or, resumed, a known one) that a sitemap names again adds nothing.
      sitemaps_reading_ = true;
      SitemapFeed::Session& session = *this;
      sitemap_feed_.emplace(o_, scope_, *fetchers_->front(), session);
      sitemap_reader_ = Spawn(&CrawlSession::ReadSitemaps, this);
    }
    if (feed_) {
      feeding_ = true;
      feeder_ = Spawn(&CrawlSession::Feed, this);
    }
    auto flusher = Spawn(&CrawlSession::Flusher, this);
    auto ticker = Spawn(&CrawlSession::Ticker, this);
    detail::KillUnlessDone<void> stop_flusher{flusher}, stop_ticker{ticker};
    detail::KillUnlessDone<void> stop_heartbeat{Spawn(&CrawlSession::Heartbeat, this)};
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
      cancel_parses_ = true;  // the pool would finish their parses for nothing, and the loop waits for it
      for (auto& [id, g] : abandoned) g.Kill();
    }
    if (refiller_) refiller_->Kill();
    if (sitemap_reader_ && !sitemap_reader_->ready()) sitemap_reader_->Kill();
    if (feeder_ && !feeder_->ready()) feeder_->Kill();
    SendBatch();
    auto drained = storage_->Call([] {});
    co_await drained;  // every batch before this one is written (or failed)
    CheckStorage();
    if (storage_error_) throw std::runtime_error(*storage_error_);
    if (lease_lost_) co_return "lease_lost";
    co_return stopping_ ? "interrupted" : "completed";
  }

  // A worker of a shared run renews its lease every third of it. A renewal that finds the lease expired
  // (this process was stopped, or cut off, for longer than the lease) stops the session: other workers
  // have taken its hosts, and what it still holds would not be recorded.
  Task<void> Heartbeat() {
    if (!store_.worker()) co_return;  // only a worker of a shared run holds a lease
    for (;;) {
      co_await Sleep(uint64_t(std::max(100.0, o_.lease_s * 1000 / 3)));
      std::optional<bool> renewed;
      try {
        auto renew = lease_thread_->Call([this] { return lease_->Renew(); });
        renewed = co_await renew;
      } catch (const std::exception& e) {
        StorageFailed(e.what());
        co_return;
      }
      if (!renewed) continue;  // the database is unreachable for now: the storage thread retries too
      if (!*renewed) {
        lease_lost_ = true;
        stopping_ = true;
        hard_stop_ = true;  // its transfers' results would be fenced out anyway
        err_ << "\ngreencrawl: this worker's lease on run " << run_id_ << " expired (stopped or cut off for over "
             << o_.lease_s << " s); other workers have its URLs: stopping\n";
        changed_.Set();
        co_return;
      }
    }
  }

  // A shared run whose claims find nothing pending: complete it (whichever worker comes first), or, when
  // another worker queued something meanwhile, claim again.
  Task<bool> RunComplete() {
    try {
      auto complete = storage_->Call([this] { return store_.CompleteIfDone(run_id_); });
      co_return co_await complete;
    } catch (const std::exception& e) {
      StorageFailed(e.what());
      co_return false;
    }
  }

  Task<void> Dispatch() {
    Pool& workers = pool_;
    while (!stopping_) {
      CheckStorage();
      if (stopping_) break;
      MaybeRefill();
      // Backpressure: a storage thread that falls behind (a slow disk) holds new transfers back, so the
      // rows waiting for it stay few (as many as 8 of Record()'s batches).
      bool storage_busy = storage_->backlog() > kBatchesWaiting ||
                          writer_->waiting_results() > kBatchesWaiting * kBatchResults ||
                          writer_->waiting_rows() > kBatchesWaiting * kBatchRows;
      if (!storage_busy && workers.running() < size_t(o_.concurrency)) {
        // Checks (links to other sites, resources) take at most half the slots while pages are queued: a
        // page of 10,000 external links must not hold the crawl of the site itself. Alone, they take all.
        const bool checks = checks_in_flight_ < CheckSlots() || frontier_.queued_pages() == 0;
        if (auto next = frontier_.Next(Clock::now(), checks)) {
          ++in_flight_;
          checks_in_flight_ += IsCheck(next->item);
          uint64_t id = next_worker_id_++;
          workers_.emplace(id, co_await workers.Spawn(&CrawlSession::Worker, this, id, std::move(*next)));
          continue;
        }
      }
      if (frontier_.exhausted() && in_flight_ == 0 && !sitemaps_reading_ && !feeding_) {
        if (!store_.worker()) break;
        SendBatch();
        bool complete = co_await RunComplete();
        if (complete || stopping_) break;
        frontier_.ClaimSoon();
        continue;
      }
      // Wait for a transfer to end, a refill, a host's gap or a retry's backoff to pass, or a signal.
      int64_t wait_ms = storage_busy ? 5 : -1;
      if (auto wake = frontier_.NextWake(); wake && !storage_busy && in_flight_ < o_.concurrency) {
        wait_ms = std::max<int64_t>(
            1, std::chrono::duration_cast<std::chrono::milliseconds>(*wake - Clock::now()).count() + 1);
      }
      co_await changed_.Wait(wait_ms);
      changed_.Clear();
    }
  }

  // Asks the table for more URLs when the Frontier wants them. The batch goes first, so every URL
  // discovered so far is committed by the time the storage thread reads.
  void MaybeRefill() {
    if (refiller_ && !refiller_->ready()) return;
    auto request = frontier_.TakeRefillRequest();
    if (!request) return;
    SendBatch();
    refiller_ = Spawn(&CrawlSession::Refill, this, *request);
  }

  Task<void> Refill(Frontier::RefillRequest request) {
    std::vector<storage::FrontierItem> items;
    try {
      if (store_.worker()) {
        auto claim = storage_->Call(
            [this, request] { return store_.ClaimWork(run_id_, request.limit, conditional_, request.release); });
        storage::ResultStore::Claim got = co_await claim;
        frontier_.OnClaim(request, std::move(got.items), got.pending, got.known, Clock::now(), got.give_back);
        changed_.Set();
        co_return;
      }
      auto read = storage_->Call([this, request] {
        return store_.PendingAfter(run_id_, request.after_seq, request.limit, conditional_);
      });
      items = co_await read;
    } catch (const std::exception& e) {
      StorageFailed(e.what());
      co_return;
    }
    frontier_.OnRefill(request, std::move(items));
    refilled_.Set();
    changed_.Set();
  }

  // Reads the rest of the list (ListFeed) into the frontier table while the crawl runs, a chunk at a time
  // on the storage thread. It starts after the first refill, so the first transfers do not wait behind
  // it. A chunk's origins join the listed origins (the private-address guard) as soon as the chunk is back,
  // before any of its URLs can be fetched: they reach the Frontier only through a later refill, whose
  // result comes back (and wakes its greenlet) after this one's.
  Task<void> Feed() {
    struct Done {
      CrawlSession* s;
      ~Done() {
        s->feeding_ = false;
        // Set aside while origins were missing: ask again now (a stopped session leaves them pending).
        s->frontier_.Undefer(Clock::now());
        s->changed_.Set();
      }
    } done{this};
    co_await refilled_.Wait();
    while (!stopping_) {
      auto next = storage_->Call([this] { return feed_->Next(); });
      ListFeed::Chunk chunk;
      try {
        chunk = co_await next;
      } catch (const std::exception& e) {
        StorageFailed(e.what());
        co_return;
      }
      for (std::string& origin : chunk.origins) guard_origins_->insert(std::move(origin));
      if (!chunk.notes.empty()) observer_.Note(chunk.notes);
      if (chunk.queued + chunk.invalid > 0) observer_.Discovered(chunk.queued + chunk.invalid);
      for (int64_t i = 0; i < chunk.invalid; ++i) observer_.Recorded(true);  // their rows are written
      if (chunk.queued > 0) frontier_.TableGrew();
      changed_.Set();
      if (!chunk.more) co_return;
    }
  }

  // A worker's place on the least busy Fetcher, left however the transfer ends (a kill too).
  struct FetcherShare {
    explicit FetcherShare(std::vector<size_t>& load)
        : load(load), index(size_t(std::min_element(load.begin(), load.end()) - load.begin())) {
      ++load[index];
    }
    ~FetcherShare() { --load[index]; }
    FetcherShare(const FetcherShare&) = delete;
    FetcherShare& operator=(const FetcherShare&) = delete;
    std::vector<size_t>& load;
    size_t index;
  };

  // One URL's transfer slot: its PageJob decides what happens to it (crawler/page_job.h), and this
  // records, retries or sets it aside accordingly.
  Task<void> Worker(uint64_t id, Job job) {
    // Leaves the books straight however the worker ends (done, or killed at shutdown).
    struct Done {
      CrawlSession* s;
      uint64_t id;
      std::string host;
      bool check;
      ~Done() {
        --s->in_flight_;
        s->checks_in_flight_ -= check;
        s->frontier_.Done(host);
        s->workers_.erase(id);
        s->changed_.Set();
      }
    } done{this, id, job.host, IsCheck(job.item)};
    PageJob page_job(*this, std::move(job));
    PageOutcome out;
    try {
      auto run = page_job.Run();
      out = co_await std::move(run);
    } catch (const sql::Error& e) {
      // The database failed (a lookup for this URL): the crawl stops, the URL stays pending for --resume.
      StorageFailed(e.what());
      co_return;
    }
    const Job& j = page_job.job();
    switch (out.kind) {
      case PageOutcome::kDrop:
        co_return;
      case PageOutcome::kDefer:
        // Set aside until the list is read; asked again at once if it was read meanwhile.
        if (feeding_) {
          frontier_.Defer(Frontier::Ready{j.item, j.host});
        } else {
          frontier_.Retry(j.item, j.host, Clock::now(), false);
        }
        co_return;
      case PageOutcome::kRetry: {
        storage::FrontierItem again = j.item;
        ++again.attempts;
        frontier_.Retry(std::move(again), j.host, Clock::now() + out.wait, out.slow_host);
        ++retried_;
        co_return;
      }
      case PageOutcome::kRecord:
        break;
    }
    if (out.unchanged) ++unchanged_;
    try {
      if (out.discover) Discover(j.item, out.row, out.page);
    } catch (const std::exception& e) {
      // Not expected (an allocation), but a URL must never be lost: record what happened.
      out.row = PageJob::ErrorRow(j.item, error_class::kOther, CleanText(e.what(), 1024));
    }
    Record(std::move(out.row));
  }

  // PageJob::Session: what a page's job asks of the session.
  const CrawlOptions& options() const override { return o_; }
  bool conditional() const override { return conditional_; }
  bool robots_on() const override { return robots_on_; }
  bool list_unread() const override { return feeding_; }
  bool parses_cancelled() const override { return cancel_parses_; }
  const ParseOptions& parse_options() const override { return parse_; }
  RobotsCache& robots() override { return *robots_; }

  Task<std::optional<storage::PreviousResult>> LookUpPrevious(std::string url) override {
    auto lookup = storage_->Call([this, url] { return store_.Previous(url, run_id_); });
    co_return co_await lookup;
  }

  Task<storage::RecordedPage> PageAsRecorded(std::string url, int64_t run_id) override {
    const bool fragments = o_.check_fragments;
    auto read = storage_->Call([this, url, run_id, fragments] { return store_.PageAsRecorded(url, run_id, fragments); });
    co_return co_await read;
  }

  Task<Response> Fetch(std::string url, FetchOptions options) override {
    // The least busy Fetcher, counted while transfers run: each then holds about concurrency / k of them,
    // and as many connections (by worker id, their counts drifted apart and 1,000 in flight kept ~1,070
    // connections open).
    FetcherShare share(shard_load_);
    auto get = (*fetchers_)[share.index]->Get(std::move(url), std::move(options));
    co_return co_await std::move(get);
  }

  LinkPolicy PolicyFor(const storage::FrontierItem& item) const override {
    LinkPolicy policy;
    policy.scope = scope_;
    policy.follow = item.depth < o_.depth;
    policy.ignore_nofollow = o_.ignore_nofollow;
    policy.external = o_.external == "on";
    policy.resources = o_.check_resources;
    policy.filters = filters_;
    return policy;
  }

  // Records the page's links, and queues those to follow: the Frontier decides what is new, within
  // --max-pages and the trap guards. They commit with the page's own result (same batch, before it),
  // so a resumed run neither loses nor repeats them.
  void Discover(const storage::FrontierItem& item, const storage::ResultRow& row, ParsedPage& page) {
    std::string root = item.root.value_or(row.final_url.value_or(item.url));
    links_too_long_ += page.links.too_long;
    for (auto& link : page.links.links) batch_.links.push_back(std::move(link));
    if (o_.check_fragments) {
      for (auto& f : page.links.fragment_links) batch_.fragment_links.push_back(std::move(f));
      // Only a page that was there (2xx, or a 304 carrying its anchors) has anchors that count; a 404 page
      // is a broken link already.
      const int64_t status = row.status.value_or(0);
      if ((status >= 200 && status < 300) || status == 304) {
        batch_.anchor_pages.push_back({item.url, std::move(page.info.anchors), page.info.anchors_capped});
      }
    }
    int64_t added = 0;
    for (auto& link : page.links.follow) {
      added += Queue(Candidate{std::move(link.url), link.hash, item.depth + 1, root, "link", item.url});
    }
    // Links to other sites: each checked once a run (the Frontier's rules, politeness and --max-pages
    // apply), never parsed or followed (PageJob::Read).
    for (auto& link : page.links.external) {
      added += Queue(Candidate{std::move(link.url), link.hash, item.depth + 1, root, "external", item.url});
    }
    // The page's resources (--check-resources), in scope or not: each checked once a run, never parsed.
    for (auto& link : page.links.resources) {
      Candidate c{std::move(link.url), link.hash, item.depth + 1, root, "resource", item.url};
      c.resource_kind = ResourceKindName(link.resource);
      added += Queue(std::move(c));
    }
    if (added) {
      discovered_ += added;
      observer_.Discovered(added);
    }
  }

  // Offers a URL to the Frontier (its rules decide); a row it returns goes into the next batch, so the URL
  // is committed with the page or sitemap that named it. True when the row has a new seq, i.e. the URL is
  // to be fetched (new to the run, or again from nearer the root); a row with seq 0 only lowers the depth
  // of a URL still pending.
  bool Queue(Candidate c) {
    auto row = frontier_.Add(std::move(c));
    if (!row) return false;
    const bool added = row->seq > 0;
    batch_.discovered.push_back(std::move(*row));
    return added;
  }

  // The sitemap feed's greenlet: until it ends (or is killed) the crawl may get more URLs.
  Task<void> ReadSitemaps() {
    struct Done {
      CrawlSession* s;
      ~Done() {
        s->sitemaps_reading_ = false;
        s->changed_.Set();
      }
    } done{this};
    co_await sitemap_feed_->Run();
  }

  // SitemapFeed::Session: the sitemap feed's one door into the session.
  bool stopping() const override { return stopping_; }
  bool page_budget_spent() const override { return frontier_.max_pages_reached(); }
  void Note(const std::string& text) override { observer_.Note(text); }

  Task<std::vector<ListedOrigin>> ListedOrigins(size_t max) override {
    auto read = storage_->Call([this, max] {
      std::vector<ListedOrigin> out;
      std::unordered_set<std::string> have;
      store_.ForEachListedUrl(run_id_, [&](std::string_view url) {
        std::string origin = urls::Origin(url);
        if (out.size() < max && have.insert(origin).second) out.push_back({origin, std::string(url)});
      });
      return out;
    });
    co_return co_await read;
  }

  Task<std::vector<std::string>> SitemapsInRobots(std::string origin) override {
    co_await robots_->For(origin);
    co_return robots_->Sitemaps(origin);
  }

  FetchOptions FetchOptionsFor(const std::string& url) const override {
    FetchOptions fo = fetch_;
    // Most crawls send no credentials: the origin (a libcurl parse, ~2 % of a list crawl's loop) only then.
    if (!credentials_.empty()) AddCredentials(urls::Origin(url), url, fo);
    return fo;
  }

  int64_t AddSitemapUrls(std::vector<Candidate> in_scope, std::vector<storage::SitemapUrlRow> rows) override {
    int64_t added = 0;
    for (Candidate& c : in_scope) added += Queue(std::move(c));
    for (storage::SitemapUrlRow& row : rows) batch_.sitemap_urls.push_back(std::move(row));
    // Smaller batches than Record()'s 20,000 rows: a sitemap makes rows far faster than transfers do,
    // and each waiting row holds its strings (bench/RESULTS.md).
    if (batch_.size() >= SitemapFeed::kBatchRows) SendBatch();
    changed_.Set();  // the dispatcher may have URLs to start
    return added;
  }

  void SitemapRead(storage::SitemapFileRow file, int64_t discovered) override {
    if (discovered) {
      discovered_ += discovered;
      observer_.Discovered(discovered);
    }
    if (file.error || !file.status || *file.status < 200 || *file.status >= 300) RecordUnreadSitemap(file);
    batch_.sitemaps.push_back(std::move(file));
  }

  // A sitemap that was asked for (--sitemap, a robots.txt Sitemap: line, an index's child) and could not
  // be read is a result of the run, as a page would be: its status or error class, judged by the accept
  // set like any other, so --fail-on broken and every report see it. It is not in the frontier.
  void RecordUnreadSitemap(const storage::SitemapFileRow& file) {
    storage::ResultRow row;
    row.url = file.url;
    row.in_frontier = false;
    row.source_kind = "sitemap";
    row.source = file.listed_by;
    row.fetched_at = storage::UtcNow();
    row.status = file.status;
    if (file.error) {
      const std::string& e = *file.error;
      size_t colon = e.find(": ");
      row.error = colon == std::string::npos ? e : e.substr(0, colon);  // "bad_sitemap: why" -> bad_sitemap
      row.error_message = colon == std::string::npos ? file.error_message : std::optional(e.substr(colon + 2));
    }
    std::string what = row.error ? *row.error : "HTTP " + std::to_string(file.status.value_or(0));
    observer_.Note("greencrawl: sitemap " + file.url + " could not be read (" + what + ")\n");
    observer_.Discovered(1);
    ++recorded_;
    observer_.Recorded(row.error.has_value());
    if (o_.verbose) observer_.RecordedUrl(row.url, long(row.status.value_or(0)), row.error.value_or(""));
    batch_.results.push_back(std::move(row));
  }

  StorageLoad storage_load() const override { return {storage_->backlog(), writer_->waiting_rows()}; }

  // Credential headers (--header Authorization/Cookie/X-Api-Key/...) go only to the origins the list
  // names, and a redirect to another origin is not followed with them (FetchOptions::credential_origin).
  void AddCredentials(const std::string& origin, const std::string& url, FetchOptions& fo) const {
    if (credentials_.empty() || !listed_origins_.count(origin)) return;
    fo.headers.insert(fo.headers.end(), credentials_.begin(), credentials_.end());
    fo.credential_origin = urls::Origin(url);  // as the fetcher writes the origin of each hop
  }

  void Record(storage::ResultRow row) {
    ++recorded_;
    if (o_.depth > 0) frontier_.Recorded(XXH3_64bits(row.url.data(), row.url.size()), row.depth);
    observer_.Recorded(row.error.has_value());
    if (o_.verbose) observer_.RecordedUrl(row.url, long(row.status.value_or(0)), row.error.value_or(""));
    batch_.results.push_back(std::move(row));
    // Each commit rewrites the B-tree pages it touched, so rows go in batches, at least every flush_ms
    // (Flusher), and BatchWriter joins those that wait for the storage thread. Results alone go by 250:
    // 1,000 cost the same CPU but left up to 50 ms of writing after the last transfer of a 20,000-URL
    // crawl; 250 leave ~20 ms. Results with links (a recursive crawl) go by 20,000 rows: their rows land
    // all over the links indexes, and fewer commits cut the storage thread's CPU (bench/RESULTS.md, round 5).
    if ((batch_.results.size() >= kBatchResults && batch_.links.empty()) || batch_.size() >= kBatchRows) SendBatch();
  }

  // Hands the batch to the storage thread; returns at once.
  void SendBatch() {
    if (batch_.empty() || !storage_) return;
    writer_->Send(std::move(batch_));
    batch_ = storage::WriteBatch{};
  }

  void CheckStorage() {
    if (storage_error_ || !storage_) return;
    if (auto e = storage_->TakeError()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        StorageFailed(ex.what());
      } catch (...) {
        StorageFailed("unknown storage error");
      }
    }
  }

  void StorageFailed(const std::string& what) {
    if (!storage_error_) storage_error_ = what;
    stopping_ = true;
    changed_.Set();
  }

  // Commits results at least every flush_ms, so readers see progress and a crash loses little.
  Task<void> Flusher() {
    for (;;) {
      co_await Sleep(uint64_t(o_.flush_ms));
      SendBatch();
      CheckStorage();
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
      observer_.Stopping(signo == 2 ? "SIGINT" : "SIGTERM", o_.grace_ms / 1000.0);
    } else {
      hard_stop_ = true;
      cancel_parses_ = true;  // parses in flight end now: their greenlets are killed anyway
      ExitWithin(kHardStopExit);
    }
    changed_.Set();
  }

  bool conditional_;
  CrawlObserver& observer_;
  int64_t recorded_ = 0;
  int64_t unchanged_ = 0;
  int64_t retried_ = 0;
  int64_t discovered_ = 0;
  int64_t links_too_long_ = 0;
  const CrawlOptions& o_;
  storage::ResultStore& store_;  // used only on the storage thread while the session runs
  int64_t run_id_;
  std::ostream& err_;
  std::shared_ptr<const urls::Scope> scope_;
  std::shared_ptr<const urls::Scope> filters_;  // --include/--exclude alone: links to other sites pass them
  SessionSettings settings_;  // what the options mean for fetch, parse, robots and the Frontier
  Frontier frontier_;
  FetchOptions fetch_;
  std::vector<std::string> credentials_;             // credential headers, see AddCredentials
  std::unordered_set<std::string> listed_origins_;   // origins of listed URLs (only with credentials_)
  // Origins listed URLs name, for the private-address guard; read from the table before anything is fetched
  // (loop thread only, as are the fetcher's callbacks that read it).
  std::shared_ptr<std::unordered_set<std::string>> guard_origins_ = std::make_shared<std::unordered_set<std::string>>();
  ParseOptions parse_;
  std::atomic<bool> cancel_parses_{false};  // parse_.cancel: pool threads read it; the loop waits for them
  // A member, not a local of Run()'s inner scope: a greenlet killed while it waits for a robots.txt lets
  // go of its entry when the hub closes, after that scope. Its Fetcher, a local there, ends first; the
  // cache does not call it once the hub has stopped.
  std::optional<RobotsCache> robots_;
  bool robots_on_ = false;
  bool sitemaps_reading_ = false;  // ReadSitemaps has yet to end: the crawl may get more URLs
  ListFeed* feed_ = nullptr;       // the rest of the list, or null
  bool feeding_ = false;           // Feed has yet to end: the crawl may get more URLs
  std::optional<Greenlet<void>> feeder_;
  Event refilled_;                 // set by the first refill
  SerialThread* storage_ = nullptr;
  BatchWriter* writer_ = nullptr;  // group commit onto storage_
  storage::WriteBatch batch_;
  std::optional<Greenlet<void>> refiller_;
  std::optional<SitemapFeed> sitemap_feed_;  // with sitemaps, from Main on
  std::optional<Greenlet<void>> sitemap_reader_;
  // The workers' Fetchers; robots.txt and sitemaps use the first.
  std::vector<std::unique_ptr<Fetcher>>* fetchers_ = nullptr;
  std::vector<size_t> shard_load_;                               // transfers on each of fetchers_
  Event changed_;
  std::unordered_map<uint64_t, Greenlet<void>> workers_;
  // A member, not a local of Dispatch(): a worker still running (or killed) after Dispatch returns
  // releases its slot into it (ASan caught the use after free on SIGINT).
  Pool pool_{size_t(std::max(1, o_.concurrency))};
  uint64_t next_worker_id_ = 0;
  int in_flight_ = 0;
  int checks_in_flight_ = 0;  // of in_flight_: checks (IsCheck), at most CheckSlots() while pages wait
  int CheckSlots() const { return std::max(1, o_.concurrency / 2); }
  bool stopping_ = false;
  bool hard_stop_ = false;
  bool lease_lost_ = false;
  storage::WorkerLease* lease_ = nullptr;  // used only on lease_thread_
  SerialThread* lease_thread_ = nullptr;
  std::optional<std::string> storage_error_;
};

}  // namespace

SessionOutcome RunSession(const CrawlOptions& options, storage::ResultStore& store, int64_t run_id, bool conditional,
                          CrawlObserver& observer, std::ostream& err, ListFeed* feed) {
  if (feed && !TakesListFeed(options)) {
    // The run would end with its list half read and its count unknown.
    throw std::logic_error("RunSession: a ListFeed for a crawl that needs its whole list first");
  }
  CrawlSession session(options, store, run_id, conditional, observer, err, feed);
  std::string status = session.Run();
  SessionOutcome out = session.Outcome();
  out.status = status;
  return out;
}

bool TakesListFeed(const CrawlOptions& o) {
  if (o.depth > 0 || SitemapFeed::Wanted(o)) return false;
  for (const std::string& h : o.headers) {
    if (IsCredentialHeader(h)) return false;
  }
  return true;
}

}  // namespace gc
