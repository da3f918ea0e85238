// SessionSettings: what a crawl's options (CrawlOptions) mean for its parts — the fetch options every
// transfer starts from, the credential headers kept apart, the Frontier's configuration, what the parser
// extracts, whether robots.txt applies. A pure function of the options (and, for the private-address
// guard behind a proxy, of the proxy environment variables), so that it can be tested alone.
#pragma once

#include <string>
#include <vector>

#include "crawler/fetcher.h"
#include "crawler/frontier.h"
#include "crawler/options.h"
#include "parser/page_parser.h"

namespace gc {

struct SessionSettings {
  FetchOptions fetch;                    // every transfer's start (listed_origins: set by the session)
  std::vector<std::string> credentials;  // credential headers: only to the listed origins (AddCredentials)
  FrontierConfig frontier;
  ParseOptions parse;                    // cancel: set by the session
  bool robots_on = false;                // robots.txt applies to followed links
};

// `shared_run`: this process is one worker of a run shared through PostgreSQL; `lanes`: its run's lanes
// per host (storage::ResultStore::lanes()).
SessionSettings SettingsFor(const CrawlOptions& o, bool shared_run, int lanes = 1);

// How many lanes a new run splits each host's URLs into (storage::HostKey), so that several workers can
// share one large host: with --per-host N > 1 on a shared run and no --delay, N / c lanes of c transfers
// each, c = ceil(N / kMaxHostLanes) (N <= 32: N lanes of one; 60: 30 of two); else 1, and a host is one
// worker's at a time (--delay's gap between two requests would need a round trip between workers;
// --per-host 0 sets no cap to share).
inline constexpr int kMaxHostLanes = 32;
int HostLanes(const CrawlOptions& o, bool shared_run);

// Whether requests go through a proxy (--proxy, or the proxy variables libcurl reads).
bool BehindProxy(const CrawlOptions& o);

}  // namespace gc
