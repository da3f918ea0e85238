// The Fetcher's network habits (FetchOptions proxy, cookies, max_recv_bytes_per_s), against the local
// test server: a cookie set on a redirect comes back, a proxy gets absolute-form requests, a rate limit
// caps the bytes a transfer reads in its time.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crawler/error_class.h"
#include "crawler/fetcher.h"
#include "greenlet/spawn.h"
#include "tests/test_server.h"

using namespace gc;
using gc::testing::Conn;
using gc::testing::HttpRequest;
using gc::testing::TestServer;

namespace {

Task<void> FetchInOrder(Fetcher* f, std::vector<std::string> urls, FetchOptions o, std::vector<Response>* out) {
  for (const auto& url : urls) out->push_back(co_await f->Get(url, o));
}

// Fetches `urls` one after another with one Fetcher (one run), on a fresh hub.
std::vector<Response> FetchAll(const std::vector<std::string>& urls, const FetchOptions& options) {
  Hub hub;
  std::vector<Response> out;
  {
    Fetcher fetcher(hub);
    auto g = Spawn(&FetchInOrder, &fetcher, urls, options, &out);
    hub.Run();
    REQUIRE(g.successful());
  }
  REQUIRE(hub.Close() == 0);
  return out;
}

void CookieSite(TestServer& server) {
  server.Handle("/login", [](const HttpRequest&, Conn& c) {
    c.Respond(302, "", "", {{"Location", "/home"}, {"Set-Cookie", "session=s3cr3t; Path=/"}});
  });
  auto needs_cookie = [](const HttpRequest& req, Conn& c) {
    if (req.Header("cookie").find("session=s3cr3t") != std::string::npos) return (void)c.Respond(200, "<title>in</title>");
    c.Respond(403, "<title>who are you</title>");
  };
  server.Handle("/home", needs_cookie);
  server.Handle("/account", needs_cookie);
}

}  // namespace

TEST_CASE("with cookies, a cookie set on a redirect is sent on the next hop and on the run's later transfers") {
  TestServer server;
  CookieSite(server);
  FetchOptions with;
  with.cookies = true;
  auto on = FetchAll({server.Url("/login"), server.Url("/account")}, with);
  REQUIRE(on.size() == 2);
  CHECK(on[0].status == 200);
  CHECK(on[0].final_url == server.Url("/home"));
  CHECK(on[1].status == 200);  // another transfer of the same run shares the jar
  auto off = FetchAll({server.Url("/login"), server.Url("/account")}, FetchOptions());
  CHECK(off[0].status == 403);  // the default: no cookie engine
  CHECK(off[1].status == 403);
}

TEST_CASE("with a proxy, requests go to it in absolute form, for any host") {
  TestServer proxy;
  proxy.Handle("http://*", [](const HttpRequest& req, Conn& c) {
    c.Respond(200, "<title>via proxy: " + req.target + "</title>");
  });
  FetchOptions o;
  o.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  auto r = FetchAll({"http://docs.example.invalid/guide?x=1"}, o);
  REQUIRE(r.size() == 1);
  CHECK(r[0].ok());
  CHECK(r[0].status == 200);
  // The server logs a request after its answer is sent: on a loaded machine the client can be first.
  auto log = proxy.Log();
  for (int i = 0; i < 500 && log.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    log = proxy.Log();
  }
  REQUIRE(log.size() == 1);
  CHECK(log[0].path == "http://docs.example.invalid/guide");
  CHECK(log[0].host_header == "docs.example.invalid");
}

TEST_CASE("a rate limit caps the bytes a transfer reads: 20 KB/s for 1 s reads far less than 1 MB") {
  const std::string body(1 << 20, 'x');  // before the server: its threads may still be sending it
  TestServer server;
  server.Handle("/big", [&body](const HttpRequest&, Conn& c) { c.Respond(200, body, "application/octet-stream"); });
  FetchOptions limited;
  limited.timeout_ms = 1000;
  limited.low_speed_seconds = 0;
  limited.max_recv_bytes_per_s = 20'000;
  auto slow = FetchAll({server.Url("/big")}, limited);
  REQUIRE(slow.size() == 1);
  CHECK(slow[0].error == error_class::kTimeout);
  MESSAGE("bytes read in 1 s at 20 KB/s: " << slow[0].size);
  // A loaded machine reads fewer bytes, never more: the bound holds however slow the test runs. Slack
  // for libcurl's first burst before its rate check (100 reads of 1 KB buffers: ~100 KB).
  CHECK(slow[0].size < 150'000);
  FetchOptions unlimited;
  unlimited.timeout_ms = 30'000;
  auto fast = FetchAll({server.Url("/big")}, unlimited);
  CHECK(fast[0].size == int64_t(body.size()));
}

namespace {

Task<void> FetchEach(Fetcher* f, std::vector<std::pair<std::string, FetchOptions>> plan, std::vector<Response>* out) {
  for (auto& [url, o] : plan) out->push_back(co_await f->Get(url, o));
}

}  // namespace

TEST_CASE("an easy handle reused for the next transfer carries over none of the last one's headers or options") {
  // One transfer at a time on one Fetcher: each reuses the easy handle of the one before (reset in
  // between; libcurl 7.88 keeps the cookie engine on through a reset, so a handle that had cookies is not
  // reused for a transfer without). What the server saw for each request is the evidence.
  TestServer server;
  std::vector<std::string> seen;  // "user-agent|x-one|if-none-match|cookie" per request, in order
  std::mutex mu;
  server.Handle("/h", [&](const HttpRequest& req, Conn& c) {
    {
      std::lock_guard lock(mu);
      std::string agent = req.Header("user-agent");
      if (agent.rfind("greencrawl/", 0) == 0) agent = "default";  // greencrawl/VERSION
      seen.push_back(agent + "|" + req.Header("x-one") + "|" + req.Header("if-none-match") + "|" +
                     req.Header("cookie"));
    }
    c.Respond(200, "ok", "text/plain", {{"Set-Cookie", "c=1; Path=/"}});
  });
  FetchOptions plain;
  FetchOptions extra;
  extra.user_agent = "agent-one";
  extra.headers = {"X-One: 1"};
  extra.cookies = true;
  FetchOptions conditional;
  conditional.if_none_match = "\"v1\"";
  std::vector<std::pair<std::string, FetchOptions>> plan = {
      {server.Url("/h?1"), extra}, {server.Url("/h?2"), plain}, {server.Url("/h?3"), conditional},
      {server.Url("/h?4"), plain}, {server.Url("/h?5"), extra}, {server.Url("/h?6"), extra},
  };
  Hub hub;
  std::vector<Response> out;
  {
    Fetcher fetcher(hub);
    auto g = Spawn(&FetchEach, &fetcher, plan, &out);
    hub.Run();
    REQUIRE(g.successful());
  }
  REQUIRE(hub.Close() == 0);
  REQUIRE(out.size() == plan.size());
  for (const auto& r : out) CHECK(r.status == 200);
  std::string ua = "default";
  std::vector<std::string> want = {
      "agent-one|1||",           // the cookie engine is on, the jar still empty
      ua + "|||",                // nothing of the first: no header, default agent, no cookie engine
      ua + "||\"v1\"|",          // only the transfer's own header
      ua + "|||",                // and it is gone again
      "agent-one|1||c=1",        // the jar of the Fetcher's share
      "agent-one|1||c=1",
  };
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(seen[i] == want[i]);
  }
}
