// The crawl engine's front door. One run's session: fetch -> parse -> record, on one hub, with the pending
// work in a Frontier and the database on a storage thread. Knows nothing of the command line (app/).
//
//   gc::CrawlOptions o;  o.depth = 2;                       // crawler/options.h
//   gc::storage::ResultStore store("crawl.db");             // a run whose frontier is loaded (app/crawl.cc)
//   MyObserver progress;                                    // crawler/observer.h
//   gc::SessionOutcome out = gc::RunSession(o, store, run_id, /*conditional=*/false, progress, std::cerr);
//
// Inside (docs/architecture.md): crawl_session.cc (the greenlets, recording and batching), page_job.h (one
// URL's life as named steps: admit, prepare, fetch, judge, read or carry a 304's links, build the row),
// session_settings.h (what the options mean for fetch, parse and the Frontier), frontier.h (pending work, per-host
// scheduling through host_scheduler.h, retries, --max-pages, trap guards), fetcher.h (libcurl multi-socket
// on the hub), page_links.h (a page's links sorted on the pool thread), sitemap_feed.h (sitemaps read into
// the crawl while it runs), retry.h (which failures are tried again), error_class.h (stable error classes),
// credentials.h (which headers are secrets).
#pragma once

#include "crawler/crawl_session.h"
#include "crawler/error_class.h"
#include "crawler/observer.h"
#include "crawler/options.h"
#include "crawler/session_settings.h"  // HostLanes: a new run's lanes per host
