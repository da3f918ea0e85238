#include "crawler/crawl.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_map>

#include "crawler/error_class.h"
#include "crawler/fetcher.h"
#include "crawler/greenlet.h"
#include "crawler/host_scheduler.h"
#include "crawler/json.h"
#include "crawler/parse_job.h"
#include "crawler/progress.h"
#include "crawler/run_lock.h"
#include "crawler/thresholds.h"
#include "crawler/signals.h"
#include "crawler/sync.h"
#include "parser/utf8.h"
#include "storage/inspect.h"
#include "storage/result_store.h"
#include "urls/robots.h"
#include "urls/scope.h"
#include "urls/url_list.h"
#include "version.h"

namespace gc {
namespace {

using Clock = std::chrono::steady_clock;

std::string OptionsJson(const CrawlOptions& o) {
  std::string headers = "[";
  for (size_t i = 0; i < o.headers.size(); ++i) headers += (i ? "," : "") + JsonString(o.headers[i]);
  headers += "]";
  return "{\"concurrency\":" + std::to_string(o.concurrency) + ",\"per_host\":" + std::to_string(o.per_host) +
         ",\"delay_ms\":" + std::to_string(o.delay_ms) + ",\"timeout_s\":" + std::to_string(o.timeout_s) +
         ",\"max_size\":" + std::to_string(o.max_size) + ",\"user_agent\":" + JsonString(o.user_agent) +
         ",\"headers\":" + headers + ",\"insecure\":" + (o.insecure ? "true" : "false") +
         ",\"depth\":" + std::to_string(o.depth) + ",\"scope\":" + JsonString(o.scope) +
         ",\"max_pages\":" + std::to_string(o.max_pages) + ",\"conditional\":" + JsonString(o.conditional) +
         ",\"retries\":" + std::to_string(o.retries) + ",\"config\":" + JsonString(o.config) +
         ",\"ignore_nofollow\":" +
         (o.ignore_nofollow ? "true" : "false") + ",\"ignore_robots\":" + (o.ignore_robots ? "true" : "false") + "}";
}

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
  CrawlSession(const CrawlOptions& o, storage::ResultStore& store, int64_t run_id, bool conditional, std::ostream& err)
      : conditional_(conditional),
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
  std::string Run(int64_t already_done, int64_t total) {
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
      progress_ = std::make_unique<Progress>(err_, o_.quiet, total, already_done);
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
    progress_->Finish();
    return status;
  }

  const Progress& progress() const { return *progress_; }
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
        // Discovered URLs wait in the write buffer: commit them so the frontier query sees them.
        if (store_.has_discoveries()) {
          FlushNow();
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
    progress_->Started();
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
        s->progress_->Ended();
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
          progress_->Recorded(true);
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
    progress_->Recorded(row.error.has_value());
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
    for (const Link& link : page.links) {
      store_.AddLink(run_id_, item.url, link.url, link.nofollow);
      if (!follow_page || link.resource || (link.nofollow && !o_.ignore_nofollow)) continue;
      if (o_.max_pages > 0 && frontier_size_ >= o_.max_pages) continue;
      if (!scope_.Allows(root, link.url)) continue;
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
      progress_->Tick(in_flight_);
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

  bool conditional_;
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
  int64_t next_seq_ = 1;
  Fetcher* fetcher_ = nullptr;
  std::unique_ptr<Progress> progress_;
  Event changed_;
  std::unordered_map<uint64_t, Greenlet<void>> workers_;
  uint64_t next_worker_id_ = 0;
  int in_flight_ = 0;
  int64_t last_seq_ = 0;
  bool frontier_done_ = false;
  bool stopping_ = false;
  bool hard_stop_ = false;
  std::optional<std::string> flush_error_;
};

struct ListCounts {
  int64_t queued = 0, invalid = 0, duplicate = 0;
};

// Streams the list into the run's frontier; malformed lines become result rows at once.
ListCounts LoadList(urls::UrlListReader& reader, storage::ResultStore& store, int64_t run_id,
                    const std::string& list_name, bool quiet, std::ostream& err) {
  ListCounts c;
  urls::ListLine line;
  store.BeginBulk();
  int64_t in_batch = 0;
  int64_t reported = 0;
  while (reader.Next(line)) {
    if (!line.canonical.ok()) {
      ++c.invalid;
      if (!quiet && reported++ < 100) {
        err << list_name << ":" << line.number << ": " << line.canonical.error << ": " << line.canonical.message
            << ": " << CleanText(line.text, 200) << "\n";
      }
      storage::ResultRow row;
      row.url = CleanText(line.text, 2048);
      row.list_line = line.number;
      row.fetched_at = storage::UtcNow();
      row.error = line.canonical.error;
      row.error_message = "line " + std::to_string(line.number) + ": " + line.canonical.message;
      row.attempts = 0;
      row.in_frontier = false;
      store.Record(run_id, std::move(row));
    } else if (store.AddToFrontier(run_id, {line.canonical.url, line.number, 0, line.number, std::nullopt})) {
      ++c.queued;
    } else {
      ++c.duplicate;
    }
    if (++in_batch == 20'000) {
      store.CommitBulk();
      store.Flush();
      store.BeginBulk();
      in_batch = 0;
    }
  }
  store.CommitBulk();
  store.Flush();
  if (!quiet && reported > 100) err << list_name << ": " << (reported - 100) << " more invalid lines (see the database)\n";
  return c;
}

struct SummaryExtras {
  int64_t unchanged = 0;  // 304s recorded as unchanged
  int64_t retried = 0;    // transfers retried
  std::optional<int64_t> previous_run;
  std::optional<int64_t> changed;  // diff entries against previous_run
};

void PrintSummary(const CrawlOptions& o, storage::ResultStore& store, int64_t run_id, const std::string& status,
                  double wall_s, int64_t fetched, const SummaryExtras& x, std::ostream& out, std::ostream& err) {
  auto st = store.db().Prepare(
      "SELECT coalesce(CAST(status AS TEXT), 'none'), coalesce(error, ''), count(*) FROM results WHERE run_id = ? "
      "GROUP BY 1, 2 ORDER BY 3 DESC");
  st.Bind(1, run_id);
  std::map<std::string, int64_t> by_status, by_error;
  int64_t ok = 0, errors = 0;
  while (st.Step()) {
    if (st.Text(1).empty()) {
      by_status[st.Text(0)] += st.Int(2);
      ok += st.Int(2);
    } else {
      by_error[st.Text(1)] += st.Int(2);
      errors += st.Int(2);
    }
  }
  double rate = wall_s > 0 ? double(fetched) / wall_s : 0;
  if (o.json) {
    auto obj = [](const std::map<std::string, int64_t>& m) {
      std::string s = "{";
      for (auto& [k, v] : m) s += (s.size() > 1 ? "," : "") + JsonString(k) + ":" + std::to_string(v);
      return s + "}";
    };
    out << "{\"run_id\":" << run_id << ",\"status\":" << JsonString(status) << ",\"results\":" << ok + errors
        << ",\"ok\":" << ok << ",\"errors\":" << errors << ",\"by_status\":" << obj(by_status)
        << ",\"by_error\":" << obj(by_error) << ",\"fetched\":" << fetched << ",\"wall_s\":" << wall_s
        << ",\"pages_per_s\":" << rate << ",\"unchanged\":" << x.unchanged << ",\"retried\":" << x.retried
        << ",\"previous_run\":" << (x.previous_run ? std::to_string(*x.previous_run) : "null")
        << ",\"changed\":" << (x.changed ? std::to_string(*x.changed) : "null") << ",\"db\":" << JsonString(o.db)
        << "}\n";
  }
  if (o.quiet && !o.json) return;
  if (o.json) return;
  // The first line stands alone, for logs: run, outcome, counts, time.
  char line[256];
  std::snprintf(line, sizeof line,
                "greencrawl: run %lld %s: %lld results, %lld errors, %lld fetched in %.2f s (%.0f/s)%s\n",
                static_cast<long long>(run_id), status.c_str(), static_cast<long long>(ok + errors),
                static_cast<long long>(errors), static_cast<long long>(fetched), wall_s, rate,
                x.changed ? (", " + std::to_string(*x.changed) + " changed").c_str() : "");
  err << line << "  responses " << ok;
  if (!by_status.empty()) {
    err << " (";
    bool first = true;
    for (auto& [k, v] : by_status) {
      err << (first ? "" : ", ") << k << ": " << v;
      first = false;
    }
    err << ")";
  }
  err << ", errors " << errors;
  if (!by_error.empty()) {
    err << " (";
    bool first = true;
    for (auto& [k, v] : by_error) {
      err << (first ? "" : ", ") << k << ": " << v;
      first = false;
    }
    err << ")";
  }
  err << "\n";
  if (x.unchanged || x.retried) err << "  unchanged (304) " << x.unchanged << ", retried " << x.retried << "\n";
  if (x.changed) {
    err << "  changed since run " << *x.previous_run << ": " << *x.changed << "   (greencrawl diff --db " << o.db
        << " " << *x.previous_run << " " << run_id << ")\n";
  }
  err << "  database: " << o.db << "   (greencrawl report --db " << o.db << " --run " << run_id << ")\n";
}

}  // namespace

int64_t ParseSize(const std::string& text) {
  if (text.empty()) return -1;
  size_t i = 0;
  int64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (value > (int64_t(1) << 50)) return -1;
    value = value * 10 + (text[i++] - '0');
  }
  if (i == 0) return -1;
  std::string unit = text.substr(i);
  for (char& ch : unit) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  if (unit.empty() || unit == "B") return value;
  if (unit == "K" || unit == "KB" || unit == "KIB") return value << 10;
  if (unit == "M" || unit == "MB" || unit == "MIB") return value << 20;
  if (unit == "G" || unit == "GB" || unit == "GIB") return value << 30;
  return -1;
}

int RunCrawl(const CrawlOptions& o, std::ostream& out, std::ostream& err) {
  auto start = Clock::now();
  if (!urls::ParseScopeKind(o.scope)) {
    err << "greencrawl: --scope must be host, domain, prefix or any (not " << o.scope << ")\n";
    return kExitUsage;
  }
  if (o.conditional != "auto" && o.conditional != "on" && o.conditional != "off") {
    err << "greencrawl: --conditional must be auto, on or off (not " << o.conditional << ")\n";
    return kExitUsage;
  }
  std::vector<Threshold> thresholds;
  for (const auto& text : o.fail_on) {
    std::string why;
    auto t = ParseThreshold(text, &why);
    if (!t) {
      err << "greencrawl: --fail-on " << text << ": " << why << "\n";
      return kExitUsage;
    }
    thresholds.push_back(*t);
  }
  try {
    urls::Scope check(*urls::ParseScopeKind(o.scope), o.include, o.exclude);
  } catch (const std::invalid_argument& e) {
    err << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  // Open the list first, so an unreadable one leaves no trace (not even a new database).
  std::optional<urls::UrlListReader> reader;
  if (!o.resume) {
    try {
      reader.emplace(o.list);
    } catch (const std::exception& e) {
      err << "greencrawl: " << e.what() << "\n";
      return kExitUsage;
    }
  }
  // One crawl per database at a time; the lock dies with its process.
  std::optional<RunLock> lock;
  try {
    std::string holder;
    lock = RunLock::Acquire(o.db, o.wait_lock_s, &holder);
    if (!lock) {
      err << "greencrawl: " << o.db << " is in use by another crawl (" << holder
          << "); not starting. Use --wait-lock SECONDS to wait for it.\n";
      return kExitLocked;
    }
  } catch (const std::exception& e) {
    err << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  std::unique_ptr<storage::ResultStore> store;
  try {
    store = std::make_unique<storage::ResultStore>(o.db);
  } catch (const std::exception& e) {
    err << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    std::optional<storage::RunRecord> resumed;
    if (o.resume) resumed = store->LatestUnfinishedRun();
    int64_t run_id;
    std::optional<int64_t> total;
    if (resumed) {
      run_id = resumed->id;
      total = resumed->urls_total;
      store->MarkRunning(run_id);
      if (!o.quiet) err << "greencrawl: resuming run " << run_id << " (" << resumed->list_file << ")\n";
    } else {
      if (!reader) reader.emplace(o.list);
      run_id = store->BeginRun(o.list, OptionsJson(o), GREENCRAWL_VERSION);
      if (o.resume && !o.quiet) err << "greencrawl: nothing to resume; started run " << run_id << "\n";
      ListCounts c = LoadList(*reader, *store, run_id, o.list, o.quiet, err);
      store->SetListCounts(run_id, c.queued, c.invalid, c.duplicate);
      total = c.queued;
      if (!o.quiet) {
        err << "greencrawl: run " << run_id << ": " << c.queued << " URLs to fetch from " << o.list;
        if (c.invalid || c.duplicate) err << " (" << c.invalid << " invalid, " << c.duplicate << " duplicate lines)";
        err << "\n";
      }
    }
    if (!total) {
      // Killed while the list was being read: read it again (duplicates are ignored, done URLs stay done).
      urls::UrlListReader again(resumed ? resumed->list_file : o.list);
      ListCounts c = LoadList(again, *store, run_id, o.list, o.quiet, err);
      store->SetListCounts(run_id, c.queued, c.invalid, c.duplicate);
    }
    std::optional<int64_t> previous_run = store->PreviousCompletedRun(run_id);
    bool conditional = o.conditional == "on" || (o.conditional == "auto" && previous_run.has_value());
    int64_t pending = store->PendingCount(run_id);
    auto counts = store->Counts(run_id);
    int64_t done_before = counts.ok + counts.errors;
    CrawlSession session(o, *store, run_id, conditional, err);
    std::string status = session.Run(done_before, done_before + pending);
    store->FinishRun(run_id, status);
    if (status == "completed") store->ClearFrontier(run_id);
    double wall = std::chrono::duration<double>(Clock::now() - start).count();

    RunMetrics metrics;
    {
      auto st = store->db().Prepare(
          "SELECT count(*), count(error), count(*) FILTER (WHERE error IS NOT NULL OR status >= 400) "
          "FROM results WHERE run_id = ?");
      st.Bind(1, run_id);
      st.Step();
      metrics.results = st.Int(0);
      metrics.errors = st.Int(1);
      metrics.broken = st.Int(2);
    }
    std::optional<int64_t> changed;
    if (previous_run && status == "completed") {
      storage::Inspector inspector(o.db);
      int64_t n = 0;
      inspector.Diff(*previous_run, run_id, 10.0, [&n](const storage::Change&) { ++n; });
      changed = n;
      metrics.changed = n;
    }
    SummaryExtras extras{session.unchanged(), session.retried(), previous_run, changed};
    PrintSummary(o, *store, run_id, status, wall, session.progress().recorded(), extras, out, err);
    if (status == "interrupted") return kExitInterrupted;
    if (status != "completed") return kExitFatal;
    auto crossed = Crossed(thresholds, metrics);
    for (const auto& line : crossed) err << "greencrawl: " << line << "\n";
    return crossed.empty() ? kExitOk : kExitThreshold;
  } catch (const std::runtime_error& e) {
    // An unreadable list, a database that went away, a full disk: one clear line.
    err << "greencrawl: " << e.what() << "\n";
    return dynamic_cast<const sqlite::Error*>(&e) ? kExitFatal : kExitUsage;
  }
}

}  // namespace gc
