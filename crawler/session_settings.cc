#include "crawler/session_settings.h"

#include <algorithm>
#include <cstdlib>

#include "crawler/credentials.h"

namespace gc {

bool BehindProxy(const CrawlOptions& o) {
  if (!o.proxy.empty()) return true;
  for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* v = std::getenv(name);
    if (v && *v) return true;
  }
  return false;
}

int HostLanes(const CrawlOptions& o, bool shared_run) {
  if (!shared_run || o.delay_ms > 0 || o.per_host <= 1) return 1;
  // Lanes of equal caps (c each, c as small as kMaxHostLanes allows): with unequal ones the workers holding
  // the smaller caps fall behind, and the run ends on their lanes alone (60 over 32 lanes, caps 2 and 1: a
  // three-worker run spent its last half at a tenth of its rate).
  int per_lane = (o.per_host + kMaxHostLanes - 1) / kMaxHostLanes;
  return o.per_host / per_lane;
}

SessionSettings SettingsFor(const CrawlOptions& o, bool shared_run, int lanes) {
  SessionSettings s;
  FetchOptions& f = s.fetch;
  f.timeout_ms = long(o.timeout_s * 1000);
  f.connect_timeout_ms = std::min<long>(f.timeout_ms, 10'000);
  f.max_body_bytes = o.max_size;
  f.user_agent = o.user_agent;
  for (const std::string& h : o.headers) (IsCredentialHeader(h) ? s.credentials : f.headers).push_back(h);
  f.verify_tls = !o.insecure;
  f.ca_file = o.cacert;
  f.proxy = o.proxy;
  f.cookies = o.cookies;
  f.max_recv_bytes_per_s = o.limit_rate;
  // The guard checks the address actually connected to, for every connection (crawler/fetcher.h).
  f.private_addresses = o.private_addresses == "allow"  ? PrivateAddresses::kAllow
                        : o.private_addresses == "deny" ? PrivateAddresses::kDeny
                                                         : PrivateAddresses::kListedOrigins;
  // Behind a proxy the address connected to is the proxy's, which the user chose, and the target's is
  // not seen: "listed" cannot tell targets apart there and would refuse a proxy on localhost for every
  // unlisted origin. --deny-private still refuses a proxy on a non-public address.
  if (BehindProxy(o) && f.private_addresses == PrivateAddresses::kListedOrigins) {
    f.private_addresses = PrivateAddresses::kAllow;
  }

  FrontierConfig& c = s.frontier;
  c.shared = shared_run;
  c.per_host = o.per_host;
  c.delay_ms = o.delay_ms;
  // Each lane gets its part of --per-host (HostScheduler); they add up to it (at least 1 each: a run
  // resumed with a smaller --per-host than its lanes keeps one per lane).
  c.lanes = shared_run ? std::max(1, lanes) : 1;
  c.max_pages = o.max_pages;
  c.max_depth = o.depth;
  c.memory_items = size_t(std::max(20'000, 8 * o.concurrency));
  c.first_refill = size_t(std::max(64, 2 * o.concurrency));

  // A list crawl needs only the title (the <head>: ~100x cheaper); following links needs the body.
  s.parse.links = o.depth > 0;
  s.parse.fragments = o.check_fragments;
  s.parse.resources = o.check_resources;
  s.robots_on = o.depth > 0 && !o.ignore_robots;
  return s;
}

}  // namespace gc
