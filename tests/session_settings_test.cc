// SettingsFor: what a crawl's options mean for its transfers, its Frontier and its parser (crawler/
// session_settings.h), tested alone: no server, no loop.
#include <doctest/doctest.h>

#include <stdlib.h>

#include "crawler/session_settings.h"

using namespace gc;

TEST_CASE("credential headers are kept apart from the headers every transfer sends") {
  CrawlOptions o;
  o.headers = {"Accept-Language: fr", "Authorization: Bearer x", "X-Api-Key: k"};
  SessionSettings s = SettingsFor(o, false);
  CHECK(s.fetch.headers == std::vector<std::string>{"Accept-Language: fr"});
  CHECK(s.credentials == std::vector<std::string>{"Authorization: Bearer x", "X-Api-Key: k"});
}

TEST_CASE("the private-address policy: listed origins by default, allow behind a proxy, deny stays deny") {
  unsetenv("http_proxy");
  unsetenv("https_proxy");
  unsetenv("HTTPS_PROXY");
  unsetenv("all_proxy");
  unsetenv("ALL_PROXY");
  CrawlOptions o;
  CHECK(SettingsFor(o, false).fetch.private_addresses == PrivateAddresses::kListedOrigins);
  o.proxy = "http://127.0.0.1:3128";
  CHECK(SettingsFor(o, false).fetch.private_addresses == PrivateAddresses::kAllow);
  o.private_addresses = "deny";
  CHECK(SettingsFor(o, false).fetch.private_addresses == PrivateAddresses::kDeny);
}

TEST_CASE("timeouts, caps, the Frontier's memory and what the parser reads follow the options") {
  CrawlOptions o;
  o.timeout_s = 3;
  o.max_size = 1000;
  o.concurrency = 5000;
  o.depth = 2;
  o.check_fragments = true;
  SessionSettings s = SettingsFor(o, true);
  CHECK(s.fetch.timeout_ms == 3000);
  CHECK(s.fetch.connect_timeout_ms == 3000);  // never longer than the whole transfer
  CHECK(s.fetch.max_body_bytes == 1000);
  CHECK(s.frontier.shared);
  CHECK(s.frontier.memory_items == 40'000);  // 8 x concurrency, at least 20,000
  CHECK(s.frontier.max_depth == 2);
  CHECK(s.parse.links);
  CHECK(s.parse.fragments);
  CHECK(s.robots_on);
  o.depth = 0;
  o.ignore_robots = true;
  SessionSettings list = SettingsFor(o, false);
  CHECK(!list.parse.links);  // a list crawl reads the title only
  CHECK(!list.robots_on);
  CHECK(list.frontier.memory_items == 40'000);
}

TEST_CASE("lanes per host: --per-host N on a shared run, equal caps, none with --delay or no cap") {
  CrawlOptions o;
  auto lanes = [&](int per_host, int delay_ms, bool shared) {
    o.per_host = per_host;
    o.delay_ms = delay_ms;
    return HostLanes(o, shared);
  };
  CHECK(lanes(4, 0, true) == 4);    // 4 lanes of 1
  CHECK(lanes(32, 0, true) == 32);
  CHECK(lanes(60, 0, true) == 30);  // 30 lanes of 2, not 32 of 2 and 1
  CHECK(lanes(33, 0, true) == 16);  // 16 of 2 (one more for the first lane)
  CHECK(lanes(1, 0, true) == 1);
  CHECK(lanes(0, 0, true) == 1);    // no cap to share
  CHECK(lanes(4, 250, true) == 1);  // a gap between requests is one worker's
  CHECK(lanes(4, 0, false) == 1);   // SQLite: one worker
  o.per_host = 4;
  o.delay_ms = 0;
  SessionSettings s = SettingsFor(o, true, 4);
  CHECK(s.frontier.lanes == 4);
  CHECK(s.frontier.per_host == 4);  // the host's; the scheduler shares it over the lanes
  CHECK(SettingsFor(o, false, 4).frontier.lanes == 1);
}
