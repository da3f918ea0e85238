// One run's fetch -> parse -> record loop, on a hub of its own: the dispatcher greenlet, the workers, the
// flusher, robots.txt, link discovery, retries. RunCrawl (crawl.h) prepares the run and calls this.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "crawler/list_feed.h"
#include "crawler/observer.h"
#include "crawler/options.h"
#include "storage/result_store.h"

namespace gc {

struct SessionOutcome {
  std::string status;      // completed | interrupted | failed | lease_lost (a worker of a shared run)
  int64_t recorded = 0;    // results recorded by this session
  int64_t unchanged = 0;   // 304s recorded as unchanged
  int64_t retried = 0;     // transfers retried
  int64_t discovered = 0;  // URLs this session added to the frontier (recursive crawls)
  bool max_pages_reached = false;  // --max-pages stopped discovery
  int64_t traps = 0;       // discovered URLs not followed by the trap guards (urls/traps.h, query variants)
  int64_t links_too_long = 0;  // links over the URL length cap, dropped
};

// Crawls the run's pending frontier until it is empty or a signal stops it; tells `observer` as it goes.
// `feed`, when given, is the rest of the list: read into the frontier while the crawl runs, and the
// session does not end before it has ended (only where TakesListFeed(options)).
SessionOutcome RunSession(const CrawlOptions& options, storage::ResultStore& store, int64_t run_id, bool conditional,
                          CrawlObserver& observer, std::ostream& err, ListFeed* feed = nullptr);

// Whether a session with these options can take a ListFeed: a list crawl (no --depth) with no sitemaps
// and no credential headers. Those need every listed URL, host or origin before the first request.
bool TakesListFeed(const CrawlOptions& options);

}  // namespace gc
