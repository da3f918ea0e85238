// PageJob: one URL's life in a crawl, as named steps with one owner, so that each rule about a page has
// one obvious place:
//
//   Admit     robots.txt (link following, sitemap URLs): a refused URL is a row, never fetched
//   Prepare   its fetch options: credential headers where they may go, the previous result's validators
//   Fetch     on the session's least busy Fetcher
//   Judge     set aside (a private address while the list is still read), dropped (stopping), retried
//             later, or final
//   Read      its body parsed (on the pool), or a 304's links carried from the run that recorded them
//   Row       the result row, built in one function (BuildRow)
//   Discover  whether its links go to the session (not a bot wall's)
//
// The job asks the session for what it does not own through PageJob::Session, and says what is to be done
// with the URL in a PageOutcome; the session records, retries or sets aside accordingly (it owns the
// Frontier and the batch). Loop thread only; one job per transfer slot.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "crawler/fetcher.h"
#include "crawler/frontier.h"
#include "crawler/options.h"
#include "crawler/page_links.h"
#include "crawler/robots_cache.h"
#include "greenlet/task.h"
#include "parser/page_parser.h"
#include "storage/result_store.h"

namespace gc {

// A URL to fetch and the host key it is charged to (its origin, or a lane of it: OriginOfHostKey), as the
// Frontier hands it out.
using Job = Frontier::Ready;

// How much of a check's body is read. A status needs none of it, but a body that ends within this many
// bytes is read to its end, so that its connection stays open for the next request (most images, scripts
// and stylesheets, and most error pages, are this small); a longer one is cut and its connection closed.
inline constexpr int64_t kCheckReadBytes = 64 << 10;

// A parsed page and, for a recursive crawl, its links sorted (see page_links.h): both made on a pool thread.
struct ParsedPage {
  PageInfo info;
  PageLinks links;
};

struct PageOutcome {
  enum Kind {
    kRecord,  // record `row`; with `discover`, the page's links go to the session first
    kDefer,   // set the URL aside until the list is read (Frontier::Defer)
    kDrop,    // nothing recorded: the URL stays pending for --resume (stopping, or a stop cut its parse)
    kRetry,   // fetch again after `wait` (`slow_host`: the whole host waits)
  } kind = kRecord;
  storage::ResultRow row;
  ParsedPage page;
  bool discover = false;
  bool unchanged = false;  // a 304 carried the previous result
  std::chrono::milliseconds wait{0};
  bool slow_host = false;
};

class PageJob {
 public:
  // What a job needs from its session. Loop thread only.
  class Session {
   public:
    virtual const CrawlOptions& options() const = 0;
    virtual bool conditional() const = 0;        // send the previous result's validators
    virtual bool robots_on() const = 0;          // robots.txt applies to link following
    virtual bool stopping() const = 0;           // the crawl is stopping: no retries, no new work
    virtual bool list_unread() const = 0;        // the list is still being read (crawler/list_feed.h)
    virtual bool parses_cancelled() const = 0;   // a hard stop cut parses short
    virtual const ParseOptions& parse_options() const = 0;
    virtual RobotsCache& robots() = 0;
    // The crawl's fetch options for `url` (its credential headers only where they may go).
    virtual FetchOptions FetchOptionsFor(const std::string& url) const = 0;
    // The URL's latest earlier result, looked up on the storage thread. Throws sql::Error.
    virtual Task<std::optional<storage::PreviousResult>> LookUpPrevious(std::string url) = 0;
    // The page's links (anchors, fragment links) as run `run_id` recorded them. Throws sql::Error.
    virtual Task<storage::RecordedPage> PageAsRecorded(std::string url, int64_t run_id) = 0;
    // Fetches on the least busy of the session's Fetchers.
    virtual Task<Response> Fetch(std::string url, FetchOptions options) = 0;
    // How this run sorts a page's links (scope, depth left, nofollow).
    virtual LinkPolicy PolicyFor(const storage::FrontierItem& item) const = 0;

   protected:
    ~Session() = default;
  };

  PageJob(Session& session, Job job) : s_(session), job_(std::move(job)) {}
  PageJob(const PageJob&) = delete;
  PageJob& operator=(const PageJob&) = delete;

  // The steps above, in order. Throws sql::Error when a database lookup fails (the URL then stays
  // pending); any other failure is a row of error class `other`: a URL is never lost.
  Task<PageOutcome> Run();

  const Job& job() const { return job_; }

  // A row for a URL that was not fetched, or whose fetch failed outside the transfer.
  static storage::ResultRow ErrorRow(const storage::FrontierItem& item, const char* error, std::string message);

 private:
  Task<std::optional<storage::ResultRow>> Admit();
  Task<FetchOptions> Prepare();
  std::optional<PageOutcome> Judge(const Response& r, const std::string& blocked) const;
  Task<ParsedPage> Read(Response& r, bool carry);
  storage::ResultRow BuildRow(const Response& r, const ParsedPage& page, const std::string& blocked,
                              bool not_modified) const;
  // A 304 in a recursive crawl carries the page's links from the previous result's run, so that run must
  // have kept them (runs.page_links): validators are sent only then.
  bool CanCarry(const storage::PreviousResult& p) const;
  Task<ParsedPage> CarryLinks(int64_t from_run, std::string final_url);
  Task<ParsedPage> ParseWithLinks(std::string body, std::string final_url, std::string content_type);

  Session& s_;
  Job job_;
  bool conditional_ = false;  // validators were sent
  bool parsed_ = false;       // a parse ran (which a hard stop may have cut short)
};

}  // namespace gc
