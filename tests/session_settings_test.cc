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
