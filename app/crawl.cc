#include "app/crawl.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <chrono>
#include <thread>
#include <limits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include <iostream>
#include <map>
#include <memory>

#include "app/crawl_summary.h"
#include "app/job_config.h"
#include "app/list_loader.h"
#include "app/output_file.h"
#include "app/paths.h"
#include "app/progress.h"
#include "app/reports/html.h"
#include "app/run_lock.h"
#include "app/settings.h"
#include "app/thresholds.h"
#include "crawler/crawler.h"
#include "crawler/credentials.h"
#include "greenlet/signals.h"
#include "storage/history.h"
#include "storage/inspect.h"
#include "storage/schema.h"
#include "storage/over_outage.h"
#include "storage/redact.h"
#include "storage/result_store.h"
#include "storage/run_clock.h"
#include "storage/sql.h"
#include "text/json.h"
#include "text/utf8.h"
#include "urls/scope.h"
#include "urls/url_list.h"
#include "version.h"

namespace gc {
namespace {

using Clock = std::chrono::steady_clock;

// A hard stop's watchdog exits with the code a stopped crawl returns (greenlet/signals.h).
static_assert(kHardStopExitCode == kExitInterrupted);

// runs.options is readable by anyone who can read the database: no proxy password in it.
std::string WithoutPassword(const std::string& url) {
  size_t scheme = url.find("://"), at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  return url.substr(0, scheme + 3) + "***" + url.substr(at);
}

std::string OptionsJson(const CrawlOptions& o) {
  JsonWriter w;
  w.BeginObject().Key("concurrency").Int(o.concurrency).Key("per_host").Int(o.per_host);
  w.Key("delay_ms").Int(o.delay_ms).Key("timeout_s").Fixed(o.timeout_s, 6);  // std::to_string's "%f"
  w.Key("max_size").Int(o.max_size);
  w.Key("user_agent").String(o.user_agent).Key("headers").BeginArray();
  // Credentials are stored redacted: the database is shared and read by people and reports.
  for (const auto& header : o.headers) w.String(RedactHeader(header));
  w.EndArray().Key("insecure").Bool(o.insecure).Key("depth").Int(o.depth).Key("scope").String(o.scope);
  w.Key("max_pages").Int(o.max_pages).Key("conditional").String(o.conditional).Key("retries").Int(o.retries);
  w.Key("config").String(o.config).Key("proxy").String(WithoutPassword(o.proxy)).Key("cookies").Bool(o.cookies);
  w.Key("limit_rate").Int(o.limit_rate).Key("sitemaps").Bool(o.sitemaps).Key("sitemap").BeginArray();
  for (const auto& sitemap : o.sitemap) w.String(sitemap);
  w.EndArray().Key("accept").String(storage::AcceptSet::Parse(o.accept, nullptr)->Text());
  w.Key("ignore_nofollow").Bool(o.ignore_nofollow).Key("ignore_robots").Bool(o.ignore_robots);
  w.Key("check_fragments").Bool(o.check_fragments).Key("external").String(o.external);
  w.Key("check_resources").Bool(o.check_resources);
  w.Key("settings").String(WorkerConfig(o)).EndObject();
  return w.Take();
}

// Runs recorded the list as given before they recorded its resolved path: both spellings match. A named
// list (--list-name: "name:NAME") matches only its name, never a file of that name.
bool SameList(const std::string& recorded, const std::string& list_id) {
  if (recorded == list_id) return true;
  if (!ListNameOf(recorded).empty() || !ListNameOf(list_id).empty()) return false;
  return ListIdentity(recorded) == list_id;
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
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  if (unit == "K" || unit == "KB" || unit == "KIB") shift = 10;
  if (unit == "M" || unit == "MB" || unit == "MIB") shift = 20;
  if (unit == "G" || unit == "GB" || unit == "GIB") shift = 30;
  if (shift < 0) return -1;
  // Checked: 17179869185G must be refused, not wrap around to 1 GiB.
  if (value > (std::numeric_limits<int64_t>::max() >> shift)) return -1;
  return value << shift;
}

namespace {

// What is checked before the database is touched, and what it yields.
struct Prepared {
  std::vector<Threshold> thresholds;
  std::string list_id;                        // the list's identity (app/paths.h)
  std::optional<urls::UrlListReader> reader;  // open unless resuming
  std::optional<ListLoader> loader;           // a new run's: when it has not ended, the session reads on
};

// Whether the session reads the rest of the list while it fetches (crawler/list_feed.h): a list crawl of a
// regular file into SQLite. Standard input or a pipe could block the session's storage thread, and the
// first worker of a shared run reads the whole list before the others share it out.
bool FeedsList(const CrawlOptions& o) {
  struct stat st {};
  return TakesListFeed(o) && !sql::IsPostgresUri(o.db) && o.list != "-" && stat(o.list.c_str(), &st) == 0 &&
         S_ISREG(st.st_mode);
}

// Every setting was checked against app/settings.h before this; here the derived objects are built and
// the list opened, so an unusable list leaves no trace (not even a new database). nullopt: go on.
std::optional<int> Prepare(const CrawlOptions& o, Prepared& p, std::ostream& err) {
  for (const auto& text : o.fail_on) {
    std::string why;
    auto t = ParseThreshold(text, &why);
    if (!t) {
      err << "greencrawl: --fail-on " << text << ": " << why << "\n";
      return kExitUsage;
    }
    p.thresholds.push_back(*t);
  }
  if (!o.report_html.empty()) {
    // Found now, not after an hour of crawling. The run id is not known yet: a {run} in the folder part
    // leaves that folder unchecked; in the name it cannot make a writable folder unwritable.
    std::string path = o.report_html;
    for (size_t at; (at = path.find("{run}")) != std::string::npos;) path.replace(at, 5, "1");
    bool folder_has_run = std::filesystem::path(o.report_html).parent_path().string().find("{run}") != std::string::npos;
    if (std::string why = folder_has_run ? "" : CannotWrite(path); !why.empty()) {
      err << "greencrawl: --report-html: " << why << "\n";
      return kExitUsage;
    }
  }
  if (o.check_fragments && o.depth == 0) {
    // Fragments are checked on the links found in pages, and a list crawl reads no links.
    err << "greencrawl: --check-fragments checks the links found in pages: add --depth N or -r\n";
    return kExitUsage;
  }
  if (o.check_resources && o.depth == 0) {
    // Resources are found in pages' markup, and a list crawl reads only the <head>'s title.
    err << "greencrawl: --check-resources checks the resources found in pages: add --depth N or -r\n";
    return kExitUsage;
  }
  try {
    urls::Scope check(*urls::ParseScopeKind(o.scope), o.include, o.exclude);
  } catch (const std::invalid_argument& e) {
    err << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  p.list_id = ListIdentity(o.list, o.list_name);
  if (std::string why = NotAList(o.list); !why.empty()) {
    err << "greencrawl: cannot read " << why << "\n";
    return kExitUsage;
  }
  if (o.resume) return std::nullopt;
  try {
    p.reader.emplace(o.list);
  } catch (const std::exception& e) {
    err << "greencrawl: " << e.what() << "\n";
    if (o.list.find("://") != std::string::npos) {
      // `crawl https://example.org/`: a URL where the list goes.
      err << "greencrawl: LIST is a file of URLs; to crawl one URL: echo '" << o.list << "' | greencrawl crawl -\n";
    }
    return kExitUsage;
  }
  // A binary file as the list was refused just above, before any run exists: the reader judges the
  // list's start (urls::NotAUrlList, "LIST does not look like a URL list: ...").
  return std::nullopt;
}

// A signal while the list was being read: the lines read so far are committed, the run is marked
// interrupted with its list count unknown, so that --resume reads the list again (duplicates ignored).
int StoppedWhileReading(const CrawlOptions& o, storage::ResultStore& store, int64_t run_id, std::ostream& err) {
  store.FinishRun(run_id, "interrupted");
  err << "\ngreencrawl: " << (StopSignal() == SIGINT ? "SIGINT" : "SIGTERM") << " while reading " << o.list
      << ": stopped; run " << run_id << " is interrupted, and `greencrawl crawl --resume` reads the list again\n";
  return kExitInterrupted;
}

// The run this crawl works on, or the exit code that refuses to go on.
struct Started {
  int64_t run_id = 0;
  std::optional<int> refused;
};

// The unfinished run of this list (--resume), or a new one with its list loaded. Sets `started` as soon
// as a run is marked running, so that a failure after that marks it failed.
Started StartRun(const CrawlOptions& o, storage::ResultStore& store, Prepared& p, int64_t& started, std::ostream& err) {
  std::optional<storage::RunSummary> unfinished = storage::Inspector(o.db).ResumableRun();
  const bool abandoned = unfinished && unfinished->superseded_by;
  if (abandoned) {
    // Continued now, it would finish after the newer run while `diff` and conditional requests still
    // take it as the older: it stays as it is (abandoned) and a new run starts.
    if (o.resume && !o.quiet) {
      err << "greencrawl: --resume: run " << unfinished->id << " was left unfinished before run "
          << *unfinished->superseded_by << " of its list completed; it is not continued (`runs` shows it "
          << "abandoned): starting a new run\n";
    }
    unfinished.reset();
  }
  bool ours = unfinished && SameList(unfinished->list_file, p.list_id);
  if (o.resume && unfinished && !ours) {
    err << "greencrawl: --resume: the unfinished run " << unfinished->id << " in " << storage::RedactPassword(o.db)
        << " is of " << unfinished->list_file << ", not " << p.list_id << "; resume it with its own list";
    if (std::string name = ListNameOf(unfinished->list_file); !name.empty()) err << " (--list-name " << name << ")";
    err << ", or leave out --resume to start a new run\n";
    return {0, kExitUsage};
  }
  int64_t run_id;
  std::optional<int64_t> total;
  const bool feed = FeedsList(o);
  if (o.resume && unfinished) {
    run_id = unfinished->id;
    total = unfinished->urls_total;
    store.MarkRunning(run_id);
    started = run_id;
    if (!o.quiet) err << "greencrawl: resuming run " << run_id << " (" << unfinished->list_file << ")\n";
  } else {
    if (ours && !o.quiet) {
      // A new run beside an unfinished one of the same list: legitimate, but say so.
      err << "greencrawl: note: run " << unfinished->id << " of this list is unfinished; starting a new run "
          << "(--resume continues it instead)\n";
    }
    if (!p.reader) p.reader.emplace(o.list);
    run_id = store.BeginRun(p.list_id, OptionsJson(o), GREENCRAWL_VERSION);
    started = run_id;
    if (o.resume && !o.quiet && !abandoned) err << "greencrawl: nothing to resume; started run " << run_id << "\n";
    p.loader.emplace(*p.reader, store, run_id, o.list, o.quiet);
    // A list crawl of a file starts fetching after the list's first lines; the session reads the rest.
    p.loader->Load(feed ? std::max<int64_t>(256, 4 * o.concurrency) : 0, err);
    if (p.loader->stopped()) return {run_id, StoppedWhileReading(o, store, run_id, err)};
    const ListCounts& c = p.loader->counts();
    if (!p.loader->ended()) {
      if (!o.quiet) {
        err << "greencrawl: run " << run_id << ": fetching from " << o.list << " while it is read (" << c.queued
            << " URLs so far)\n";
      }
      return {run_id, std::nullopt};
    }
    total = c.queued;
    if (c.queued == 0 && c.invalid == 0 && o.sitemap.empty()) {
      err << "greencrawl: warning: " << o.list << " holds no URLs (blank lines and #comments only)\n";
    } else if (c.queued == 0 && o.sitemap.empty()) {
      err << "greencrawl: warning: " << o.list << " holds no URL to fetch: every line was invalid\n";
    }
    if (!o.quiet && o.list == "/dev/null" && !o.sitemap.empty()) {
      err << "greencrawl: run " << run_id << ": the URLs to fetch come from " << o.sitemap.size()
          << (o.sitemap.size() == 1 ? " sitemap" : " sitemaps") << "\n";
    } else if (!o.quiet) {
      err << "greencrawl: run " << run_id << ": " << c.queued << (c.queued == 1 ? " URL" : " URLs") << " to fetch from "
          << o.list;
      if (c.invalid || c.duplicate) err << " (" << c.invalid << " invalid, " << c.duplicate << " duplicate lines)";
      err << "\n";
    }
  }
  if (!total) {
    // Killed while the list was being read: read it again (duplicates are ignored, done URLs stay done).
    urls::UrlListReader again(o.list);
    ListLoader loader(again, store, run_id, o.list, o.quiet);
    loader.Load(0, err);
    if (loader.stopped()) return {run_id, StoppedWhileReading(o, store, run_id, err)};
    const ListCounts& c = loader.counts();
    if (o.list == "-" && c.queued + c.invalid + c.duplicate == 0) {
      // A list from standard input cannot be read again by us: without it, "completing" the run would
      // finish with only the URLs read before the stop.
      store.FinishRun(run_id, "interrupted");
      err << "greencrawl: run " << run_id << "'s list came from standard input and was not read to its end; "
          << "pipe the same list into `greencrawl crawl --resume -` to finish it, or start a new run\n";
      return {run_id, kExitUsage};
    }
    // This read met the URLs the stopped read had queued as "duplicates": count from the frontier.
    int64_t listed = store.ListedCount(run_id);
    store.SetListCounts(run_id, listed, c.invalid, c.queued + c.duplicate - listed);
  }
  return {run_id, std::nullopt};
}

// After the session: the summary (counted as `report` counts), the --resume hint, the thresholds, and
// the exit code.
// A step after the session that opens its own connection: on PostgreSQL run again across a server
// restart, as the session's own writes are (a worker waits out as long an outage: max(60 s, 2 leases)).
template <typename Op>
auto AcrossRestarts(const CrawlOptions& o, Op op) {
  if (!sql::IsPostgresUri(o.db)) return op();
  return storage::OverOutage(std::chrono::milliseconds(int64_t(std::max(60.0, 2 * o.lease_s) * 1000)), op);
}

int Conclude(const CrawlOptions& o, int64_t run_id, const SessionOutcome& session,
             std::optional<int64_t> previous_run, double wall, const std::vector<Threshold>& thresholds,
             std::ostream& out, std::ostream& err) {
  const std::string& status = session.status;
  // Read before anything is printed, in one step that a PostgreSQL restart runs again.
  struct Read {
    storage::RunSummary summary;
    std::optional<int64_t> changed;
    storage::Breakdown breakdown;
  };
  Read read = AcrossRestarts(o, [&] {
    storage::Inspector inspector(o.db);
    Read r{inspector.Summary(run_id), std::nullopt, {}};
    if (previous_run && status == "completed") r.changed = inspector.ChangedUrls(*previous_run, run_id, 10.0);
    r.breakdown = inspector.Break(run_id);
    return r;
  });
  const storage::RunSummary& summary = read.summary;
  RunMetrics metrics{summary.results, summary.errors, summary.broken, 0, 0, summary.blocked, {}};
  std::optional<int64_t> changed = read.changed;
  if (changed) metrics.changed = *changed;
  SummaryExtras extras{session.unchanged, session.retried, previous_run, changed};
  PrintSummary(o, summary, read.breakdown, wall, session.recorded, extras, out, err);
  if (session.max_pages_reached) {
    // A safety stop, not the end of the site: say so even with --quiet, so a short crawl is not mistaken
    // for a complete one.
    err << "greencrawl: --max-pages " << o.max_pages << " reached: links beyond it were not followed\n";
  }
  bool report_written = o.report_html.empty() || WriteCrawlReport(o.db, run_id, o.report_html, o.quiet, err);
  if (status == "interrupted") {
    // Even with --quiet: this is how the run continues.
    CrawlOptions again = o;
    again.resume = true;
    err << "greencrawl: to continue run " << run_id << ": " << CommandLine(again) << "\n";
    return kExitInterrupted;
  }
  if (status != "completed" || !report_written) return kExitFatal;
  if (NeedsHistory(thresholds)) {
    // Only when asked: the history walks every broken URL back through the list's earlier runs.
    storage::BrokenHistory history = AcrossRestarts(o, [&] {
      sql::Database db(o.db, sql::Database::Mode::kReadOnly);
      return storage::ReadBrokenHistory(db, run_id, std::nullopt, 0, StreakNeeded(thresholds));
    });
    metrics.new_broken = history.new_broken;
    metrics.broken_streaks = history.by_streak;
  }
  auto crossed = Crossed(thresholds, metrics);
  for (const auto& line : crossed) err << "greencrawl: " << line << "\n";
  return crossed.empty() ? kExitOk : kExitThreshold;
}

}  // namespace

int RunJoin(const JoinArgs& a, std::ostream& out, std::ostream& err) {
  if (!sql::IsPostgresUri(a.db)) {
    err << "greencrawl: join adds a worker to a run in a shared PostgreSQL database (--db postgresql://...); "
        << storage::RedactPassword(a.db) << " is an SQLite file, which one crawl uses at a time\n";
    return kExitUsage;
  }
  CatchStopSignals();
  CrawlOptions o;
  int64_t run_id = 0;
  std::string list;
  {
    storage::Inspector inspector(a.db);
    std::optional<storage::RunSummary> run;
    if (a.run) {
      run = inspector.Summary(*a.run);
    } else {
      run = inspector.ResumableRun();
    }
    if (!run) {
      err << "greencrawl: no unfinished run in " << storage::RedactPassword(a.db) << " to join\n";
      return kExitUsage;
    }
    if (run->status == "completed") {
      err << "greencrawl: run " << run->id << " is completed; nothing to join\n";
      return kExitOk;
    }
    auto settings = JsonStringField(inspector.RunOptions(run->id), "settings");
    if (!settings) {
      err << "greencrawl: run " << run->id << " has no stored worker settings (started by an older greencrawl?)\n";
      return kExitUsage;
    }
    try {
      ApplyJobText(*settings, "run " + std::to_string(run->id) + " settings", o);
    } catch (const JobFileError& e) {
      err << "greencrawl: " << e.what() << "\n";
      return kExitUsage;
    }
    run_id = run->id;
    list = run->list_file;
  }
  o.db = a.db;
  o.list = list;
  o.join_run = run_id;
  o.quiet = a.quiet;
  if (a.concurrency) o.concurrency = *a.concurrency;
  if (a.lease) o.lease_s = *a.lease;
  Finalize(o);
  return RunCrawl(o, out, err);
}

int RunCrawl(const CrawlOptions& given, std::ostream& out, std::ostream& err) {
  CatchStopSignals();  // until the session's loop takes over: a signal must not leave a run "running"
  CrawlOptions o = given;
  if (o.list.empty() && !o.sitemap.empty()) {
    // `crawl --sitemap URL` alone: an empty list, known by its first sitemap so that its nightly runs
    // keep one history (previous run, diff, --resume) unless --list-name names it.
    o.list = "/dev/null";
    if (o.list_name.empty()) o.list_name = "sitemap:" + o.sitemap.front();
  }
  // PostgreSQL: this process is one of the run's workers (others may join it: greencrawl join).
  const bool shared = sql::IsPostgresUri(o.db);
  const bool joining = o.join_run > 0;
  Prepared prepared;
  if (!joining) {
    if (auto code = Prepare(o, prepared, err)) return *code;
  }
  // One crawl per SQLite file at a time; the lock dies with its process.
  std::optional<RunLock> lock;
  std::unique_ptr<storage::ResultStore> store;
  if (!shared && access(o.db.c_str(), F_OK) == 0 && access(o.db.c_str(), W_OK) != 0) {
    // A database this user may only read (or on a read-only file system): unusable for a crawl, which
    // is bad usage (exit 2, as README says), found before a lock file is made or a run started.
    err << "greencrawl: cannot write database " << o.db << ": " << std::strerror(errno)
        << " (runs, report, export and diff can read it)\n";
    return kExitUsage;
  }
  try {
    std::string holder;
    if (!shared) lock = RunLock::Acquire(o.db, o.wait_lock_s, &holder);
    if (!shared && !lock) {
      err << "greencrawl: " << storage::RedactPassword(o.db) << " is in use by another crawl (" << holder
          << "); not starting. Use --wait-lock SECONDS to wait for it.\n";
      return kExitLocked;
    }
    if (auto from = storage::PendingMigration(o.db)) {
      err << "greencrawl: upgrading " << storage::RedactPassword(o.db) << " from schema " << *from << " to "
          << storage::kSchemaVersion << " (each URL stored once; links, anchors and sitemaps by what changed: docs/schema.md); for "
             "millions of results or links this takes a minute or more\n";
    }
    store = std::make_unique<storage::ResultStore>(o.db);
    store->set_lanes(HostLanes(o, shared));  // a new run's; a resumed or joined one keeps its own
  } catch (const std::exception& e) {
    if (lock) lock->Discard();  // a refused open leaves no DB.lock behind
    err << "greencrawl: " << e.what() << "\n";
    return kExitUsage;
  }
  int64_t started = 0;  // the run this crawl marked running (ids start at 1): it must not stay so on a failure
  try {
    Started run = joining ? Started{o.join_run, std::nullopt} : StartRun(o, *store, prepared, started, err);
    if (run.refused) return *run.refused;
    const int64_t run_id = run.run_id;
    if (shared) {
      int64_t worker = store->JoinAsWorker(run_id, o.lease_s, o.max_pages);
      started = 0;  // a worker that fails leaves the run to the others (its lease runs out)
      if (!o.quiet) err << "greencrawl: worker " << worker << " on run " << run_id << "\n";
      // A worker that joins while the list is still being read waits for it, registered: the run's first
      // worker counts it in when it takes its fair share of the hosts.
      for (int waited = 0; joining && !store->ListRead(run_id); ++waited) {
        if (waited == 0 && !o.quiet) err << "greencrawl: waiting for run " << run_id << "'s list to be read\n";
        if (StopSignal()) {
          store->LeaveRun();
          return kExitInterrupted;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        store->RenewOwnLease();
      }
    }
    if (StopSignal()) {
      // Caught after the list was read, before the session's own handlers: nothing fetched yet.
      store->FinishRun(run_id, "interrupted");
      started = 0;
      err << "greencrawl: stopped before the first request; `greencrawl crawl --resume` continues run " << run_id << "\n";
      return kExitInterrupted;
    }
    std::optional<storage::RunClock> clock;  // SQLite: a session's clock; a worker's ends on a fresh connection
    // The summary's "fetched in" is this session's time, from here to EndSession: what it adds to the
    // run's active_s, which `runs` and `report` show.
    const auto session_start = Clock::now();
    if (shared) {
      AcrossRestarts(o, [&] { storage::RunClock(o.db).JoinSession(run_id); });
    } else {
      clock.emplace(o.db);
      clock->BeginSession(run_id);
    }
    std::optional<int64_t> previous_run = store->PreviousCompletedRun(run_id);
    bool conditional = o.conditional == "on" || (o.conditional == "auto" && previous_run.has_value());
    // What this run keeps of every page, so that a later run's 304 can carry the page's links (and
    // anchors) from it instead of losing everything below the page.
    store->SetPageLinks(run_id, (o.depth == 0           ? storage::kPageLinksNone
                                 : o.check_fragments   ? storage::kPageLinksAndAnchorsKept
                                                       : storage::kPageLinksKept) |
                                    (o.depth > 0 && o.check_resources ? storage::kPageResourcesKept : 0));
    // The progress line counts from what the run already holds: a resumed run's results, and the list's
    // malformed lines (recorded as errors before any fetch).
    storage::RunSummary before = AcrossRestarts(o, [&] { return storage::Inspector(o.db).Summary(run_id); });
    int64_t pending = store->PendingCount(run_id);
    Progress progress = Progress::ForStderr(err, o.quiet, {before.results + pending, before.results, before.errors});
    progress.set_verbose(o.verbose);
    ListFeed* feed = prepared.loader && !prepared.loader->ended() ? &*prepared.loader : nullptr;
    SessionOutcome session = RunSession(o, *store, run_id, conditional, progress, err, feed);
    const double wall = std::chrono::duration<double>(Clock::now() - session_start).count();
    progress.Finish();
    if (shared) {
      // The worker whose claim found the run finished has marked it completed (CompleteIfDone). One
      // that stops leaves its hosts and URLs to the others; the last one to go marks the run interrupted.
      store->LeaveRun();
      bool last = store->LiveWorkers(run_id) == 0;
      // A connection of its own, opened now: the session's may have been cut and reopened meanwhile.
      if (session.status == "completed" || last) AcrossRestarts(o, [&] { storage::RunClock(o.db).EndSession(run_id); });
      if (session.status != "completed" && last) store->FinishRun(run_id, "interrupted");
      if (session.status == "lease_lost") session.status = "interrupted";
      if (session.status == "interrupted" && !last) {
        err << "greencrawl: this worker stopped; the run's other workers go on (`greencrawl join --db "
            << storage::RedactPassword(o.db) << " --run " << run_id << "` adds one again)\n";
        return kExitInterrupted;
      }
    } else {
      clock->EndSession(run_id);
      store->FinishRun(run_id, session.status);
      if (session.status == "completed") store->ClearFrontier(run_id);
    }
    started = 0;
    return Conclude(o, run_id, session, previous_run, wall, prepared.thresholds, out, err);
  } catch (const std::runtime_error& e) {
    // An unreadable list, a database that went away, a full disk: one clear line.
    err << "greencrawl: " << e.what() << "\n";
    if (started > 0) {
      // Not left `running` for ever: a run that failed says so (and one that failed before its list was
      // read is not offered to --resume).
      // The store may be inside a transaction it will never commit (a list that failed mid-read):
      // close it, which rolls that back, and record the failure on a fresh connection.
      store.reset();
      try {
        storage::RunClock(o.db).EndSession(started);
        storage::ResultStore(o.db).FinishRun(started, "failed");
      } catch (const std::exception& again) {
        err << "greencrawl: could not mark run " << started << " failed: " << again.what() << "\n";
      }
    }
    // SQLITE_READONLY (8, also as an extended code): a database that cannot be written is unusable, not
    // an internal failure.
    const auto* sql_error = dynamic_cast<const sql::Error*>(&e);
    if (sql_error && !shared && (sql_error->code & 0xff) == 8) return kExitUsage;
    return sql_error ? kExitFatal : kExitUsage;
  }
}

}  // namespace gc
