// CrawlOptions: everything that shapes one crawl, as the command line or a job file set it. The engine
// reads it; app/ fills it in (app/settings.cc validates every field).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gc {

struct CrawlOptions {
  std::string db = "greencrawl.db";
  std::string list;             // a file, or "-" for standard input
  // What the list is known by across runs (its previous run, diff, --resume): "" for its resolved path.
  // A list generated at a new path each time, or piped in, keeps one history under one name.
  std::string list_name;
  int concurrency = 16;         // transfers in flight
  int per_host = 0;             // in flight per host; 0: only --concurrency limits
  int delay_ms = 0;             // minimum gap between request starts to one host
  double timeout_s = 30;        // per transfer
  int64_t max_size = 64 << 20;  // decoded body cap, bytes
  std::string max_size_text = "64M";  // as given (job files and --print-config)
  std::string user_agent;       // empty: greencrawl/VERSION
  std::vector<std::string> headers;
  bool resume = false;
  bool quiet = false;
  bool json = false;
  bool insecure = false;        // do not verify TLS certificates
  std::string cacert;           // PEM file of CA certificates to trust instead of the system's
  // Non-public addresses (loopback, private, link-local, metadata, ...; crawler/private_address.h):
  // "listed" (default): only for hosts a listed URL names; "deny": never; "allow": anywhere. Behind a
  // proxy (--proxy or *_proxy in the environment) "listed" allows the proxy: the targets are not seen.
  std::string private_addresses = "listed";
  // Following links (--depth > 0): see README "Following links".
  int depth = 0;                // hops from the listed URLs; 0: only the list
  std::string scope = "host";   // host | domain | prefix | any
  std::vector<std::string> include, exclude;  // POSIX extended regexes on discovered URLs
  int64_t max_pages = 0;        // stop discovering after this many URLs in all; 0: no limit
  bool ignore_nofollow = false;
  bool ignore_robots = false;   // robots.txt is honoured when following links
  // --check-fragments: record each fetched page's anchors and the links naming a fragment, so `report`
  // lists "page.html#section" links whose page lacks the anchor. Needs --depth >= 1 (the links of pages).
  bool check_fragments = false;
  // --check-resources: check each page's images, scripts, stylesheets, frames and media once (fetched, never
  // parsed), recorded with source_kind "resource" and their kind. Needs --depth >= 1 (the links of pages).
  bool check_resources = false;
  double max_crawl_delay_s = 30;  // robots.txt Crawl-delay is obeyed up to this many seconds
  // Sitemaps (README "Sitemaps"): --sitemaps reads, for each listed URL's origin, the robots.txt
  // Sitemap: lines (or /sitemap.xml); --sitemap names sitemap files directly. Their URLs are crawled at
  // depth 0, within the scope of the listed URL (or of the --sitemap URL) and robots.txt.
  bool sitemaps = false;
  std::vector<std::string> sitemap;
  // Scheduled runs (README "Scheduled runs").
  // Links to other sites (out of --scope) from crawled pages: checked once each (fetched, never parsed
  // nor followed), "on" by default when following links; "off": recorded in links only.
  std::string external = "on";
  std::string conditional = "auto";  // auto: on when the database has an earlier completed run
  int retries = 2;              // extra attempts for transient failures (timeout, reset, 429, 503)
  int retry_delay_ms = 1000;    // first backoff; doubles each attempt; Retry-After wins when longer
  std::vector<std::string> fail_on;  // thresholds: "errors>5%", "broken>10", "changed>0"
  std::string accept = "100-399,robots";  // statuses that are not broken (storage/accept_set.h), kept in runs.options
  double wait_lock_s = 0;       // wait this long for another crawl of the same database to end
  // As in wget and curl (README "wget and curl habits").
  bool recursive = false;       // -r: follow links, to depth 5 unless --depth says otherwise
  bool verbose = false;         // -v: one line per URL on stderr
  std::string proxy;            // --proxy URL; empty: libcurl honours http_proxy, https_proxy, no_proxy
  bool cookies = false;         // --cookies: libcurl's cookie engine, one cookie jar per run (in memory)
  int64_t limit_rate = 0;       // --limit-rate: bytes per second per transfer; 0: no limit
  std::string limit_rate_text = "0";  // as given (job files and --print-config)
  std::string config;           // the job file, if any
  std::string report_html;      // at the end, write the run's HTML report here ("{run}": the run id)
  int flush_ms = 500;           // commit results at least this often
  int grace_ms = 5000;          // after SIGINT/SIGTERM, how long in-flight transfers may finish
  // Many workers on one PostgreSQL run (greencrawl join): how long a worker's hold on its hosts lasts
  // without renewal (renewed every third of it); a killed or cut-off worker's URLs go to the others then.
  double lease_s = 30;
  int64_t join_run = 0;         // join: the run to join (0: the newest running one)
};

}  // namespace gc
