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

// `shared_run`: this process is one worker of a run shared through PostgreSQL.
SessionSettings SettingsFor(const CrawlOptions& o, bool shared_run);

// Whether requests go through a proxy (--proxy, or the proxy variables libcurl reads).
bool BehindProxy(const CrawlOptions& o);

}  // namespace gc
