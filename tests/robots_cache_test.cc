// RobotsCache against real servers on 127.0.0.1: one fetch per origin however many ask, RFC 9309's
// reading of each kind of answer, the Crawl-delay cap, and a fetch killed midway.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crawler/error_class.h"
#include "crawler/robots_cache.h"
#include "greenlet/spawn.h"
#include "tests/test_server.h"

using namespace gc;
using gc::testing::Conn;
using gc::testing::Static;
using gc::testing::HttpRequest;
using gc::testing::TestServer;

namespace {

std::string Origin(const TestServer& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

// One hub, one Fetcher and one cache; records what the cache asked of the session.
struct Rig {
  Hub hub;
  Fetcher fetcher{hub};
  std::vector<std::string> asked;                                      // the URL of each options_for call
  FetchOptions sent;  // what options_for answers (with an X-Crawl header added): -A, -H as the session's
  std::vector<std::pair<std::string, std::chrono::milliseconds>> delays;
  RobotsCache cache;

  explicit Rig(RobotsCache::Options o = {10, true})
      : cache(
            fetcher, o,
            [this](const std::string& url) {
              asked.push_back(url);
              FetchOptions fo = sent;
              fo.headers.push_back("X-Crawl: rig");
              return fo;
            },
            [this](const std::string& origin, std::chrono::milliseconds d) { delays.emplace_back(origin, d); }) {}

  // The rules for `origin`, asked once on the hub.
  const urls::Robots* Ask(const std::string& origin) {
    const urls::Robots* out = nullptr;
    auto g = Spawn([](RobotsCache* c, std::string o, const urls::Robots** out) -> Task<void> {
      *out = co_await c->For(o);
    }, &cache, origin, &out);
    hub.Run();
    REQUIRE(g.successful());
    return out;
  }
};

Response Answer(long status, std::string body, std::string error = "") {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.error = std::move(error);
  return r;
}

}  // namespace

TEST_CASE("what an answer means: 2xx parsed, 4xx and too many redirects allow all, 5xx and no answer disallow all") {
  const std::string txt = "User-agent: *\nDisallow: /private/\nCrawl-delay: 3\nSitemap: http://x/s.xml\n";
  RobotsAnswer ok = ReadRobotsAnswer(Answer(200, txt), true, "greencrawl");
  CHECK(ok.rules.Allowed("/page"));
  CHECK_FALSE(ok.rules.Allowed("/private/a"));
  CHECK(ok.crawl_delay_s == 3.0);
  CHECK(ok.sitemaps == std::vector<std::string>{"http://x/s.xml"});
  CHECK(ReadRobotsAnswer(Answer(200, txt), false, "greencrawl").sitemaps.empty());  // kept only for --sitemaps
  // Over the body cap: what arrived is parsed (RFC 9309 2.5).
  CHECK_FALSE(ReadRobotsAnswer(Answer(200, txt, error_class::kTooLarge), false, "greencrawl").rules.Allowed("/private/a"));

  for (long status : {401L, 403L, 404L, 410L}) {
    CAPTURE(status);
    RobotsAnswer a = ReadRobotsAnswer(Answer(status, "User-agent: *\nDisallow: /\n"), true, "greencrawl");
    CHECK(a.rules.Allowed("/private/a"));  // the body of an error page is not rules
    CHECK(a.sitemaps.empty());
    CHECK_FALSE(a.crawl_delay_s);
  }
  for (long status : {500L, 503L}) {
    CAPTURE(status);
    CHECK_FALSE(ReadRobotsAnswer(Answer(status, ""), true, "greencrawl").rules.Allowed("/page"));
  }
  for (std::string error : {error_class::kConnect, error_class::kTimeout, error_class::kDns, error_class::kReset,
                            error_class::kTls, error_class::kBadResponse}) {
    CAPTURE(error);
    CHECK_FALSE(ReadRobotsAnswer(Answer(0, "", error), true, "greencrawl").rules.Allowed("/page"));
  }
  // The pages of a refused address are refused with that class, which says more than "robots".
  CHECK(ReadRobotsAnswer(Answer(0, "", error_class::kPrivateAddress), true, "greencrawl").rules.Allowed("/page"));
  // More than 5 redirects: unavailable, like a 4xx (RFC 9309 2.3.1.2).
  CHECK(ReadRobotsAnswer(Answer(301, "", error_class::kTooManyRedirects), true, "greencrawl").rules.Allowed("/page"));
  // A long 404 page is still a 404.
  CHECK(ReadRobotsAnswer(Answer(404, "Disallow: /", error_class::kTooLarge), true, "greencrawl").rules.Allowed("/page"));
}

TEST_CASE("the group read is that of the agent sent: -A's first product token, a -H User-Agent, else '*'") {
  // Issue 27.3: with -A 'MyBot/1.0 (...)' the greencrawl group still applied.
  const std::string txt =
      "User-agent: greencrawl\nDisallow: /g\n\nUser-agent: MyBot\nDisallow: /m\n\nUser-agent: *\nDisallow: /s\n";
  struct Case {
    std::string user_agent;    // -A
    std::string header;        // -H, when not empty
    std::string sent;          // the User-Agent the server saw (its start, for the default's version)
    std::string refused;       // the one of /g, /m, /s refused
  };
  const Case cases[] = {
      {"", "", "greencrawl/", "/g"},  // the default agent: greencrawl's group
      {"MyBot/1.0 (+https://example.org/bot)", "", "MyBot/1.0 (+https://example.org/bot)", "/m"},
      {"mybot", "", "mybot", "/m"},  // case-insensitive
      {"OtherBot/2", "", "OtherBot/2", "/s"},  // no group of its own: '*'
      {"Bot2/1.0", "", "Bot2/1.0", "/s"},  // a name robots.txt cannot write (a digit): '*' only
      {"greencrawl/9", "User-Agent: MyBot/3.0", "MyBot/3.0", "/m"},  // the header is what libcurl sends
  };
  for (const Case& c : cases) {
    CAPTURE(c.user_agent);
    CAPTURE(c.header);
    TestServer server;
    std::string seen;  // written on the server's thread, read after the hub has run
    std::mutex mu;
    server.Handle("/robots.txt", [&](const HttpRequest& req, Conn& conn) {
      {
        std::lock_guard<std::mutex> lock(mu);
        seen = std::string(req.Header("user-agent"));
      }
      conn.Respond(200, txt, "text/plain");
    });
    Rig rig;
    rig.sent.user_agent = c.user_agent;
    if (!c.header.empty()) rig.sent.headers.push_back(c.header);
    const urls::Robots* rules = rig.Ask(Origin(server));
    {
      std::lock_guard<std::mutex> lock(mu);
      CHECK(seen.starts_with(c.sent));
      if (!c.user_agent.empty()) CHECK(seen == c.sent);
    }
    for (std::string path : {"/g", "/m", "/s"}) {
      CAPTURE(path);
      CHECK(rules->Allowed(path) == (path != c.refused));
    }
  }
}

TEST_CASE("twenty askers at once: one fetch, one answer for all, with the session's options") {
  TestServer server;
  std::atomic<bool> header_seen{false};  // written on the server's thread
  server.Handle("/robots.txt", [&](const HttpRequest& req, Conn& c) {
    if (req.Header("x-crawl") == "rig") header_seen = true;
    c.Respond(200, "User-agent: *\nDisallow: /private/\nSitemap: " + Origin(server) + "/s.xml\n", "text/plain");
  });
  Rig rig;
  // All twenty are queued before the hub runs: the first suspends in its fetch before the others ask.
  std::vector<const urls::Robots*> got(20, nullptr);
  std::vector<Greenlet<void>> askers;
  for (auto& slot : got) {
    askers.push_back(Spawn([](RobotsCache* c, std::string o, const urls::Robots** out) -> Task<void> {
      *out = co_await c->For(o);
    }, &rig.cache, Origin(server), &slot));
  }
  rig.hub.Run();
  for (auto& g : askers) REQUIRE(g.successful());
  CHECK(server.Received("/robots.txt") == 1);
  for (const urls::Robots* r : got) CHECK(r == got[0]);
  REQUIRE(got[0] != nullptr);
  CHECK_FALSE(got[0]->Allowed("/private/x"));
  CHECK(got[0]->Allowed("/public"));
  CHECK(rig.asked == std::vector<std::string>{Origin(server) + "/robots.txt"});
  CHECK(header_seen);
  CHECK(rig.cache.Sitemaps(Origin(server)) == std::vector<std::string>{Origin(server) + "/s.xml"});
  CHECK(rig.cache.Sitemaps("http://never.asked").empty());

  // Asked again later: the answer is kept for the run.
  CHECK(rig.Ask(Origin(server)) == got[0]);
  CHECK(server.Received("/robots.txt") == 1);
}

TEST_CASE("each origin its own answer: 503 disallows, 404 allows, a closed port disallows") {
  TestServer down, missing, closed;
  down.Handle("/robots.txt", [](const HttpRequest&, Conn& c) { c.Respond(503, "busy", "text/plain"); });
  std::string closed_origin = Origin(closed);
  closed.Stop();
  Rig rig;
  CHECK_FALSE(rig.Ask(Origin(down))->Allowed("/page"));
  CHECK(rig.Ask(Origin(missing))->Allowed("/page"));  // TestServer answers 404 for unknown paths
  CHECK_FALSE(rig.Ask(closed_origin)->Allowed("/page"));
  CHECK(down.Received("/robots.txt") == 1);
  CHECK(missing.Received("/robots.txt") == 1);
  CHECK(rig.delays.empty());
}

// Serves /robots.txt through `hops` redirects (/r1, /r2, ...) to `body`.
void RedirectChain(TestServer& server, int hops, const std::string& body) {
  for (int i = 0; i < hops; ++i) {
    std::string from = i == 0 ? "/robots.txt" : "/r" + std::to_string(i);
    std::string to = i + 1 == hops ? "/final.txt" : "/r" + std::to_string(i + 1);
    server.Handle(from, [to](const HttpRequest&, Conn& c) { c.Respond(301, "", "text/plain", {{"Location", to}}); });
  }
  server.Handle("/final.txt", Static(body, "text/plain"));
}

TEST_CASE("a Crawl-delay reaches the session once, capped; 5 redirects are followed, 6 allow everything") {
  TestServer server;
  RedirectChain(server, 5, "User-agent: *\nCrawl-delay: 3600\nDisallow: /x\nSitemap: http://s/s.xml\n");
  Rig rig(RobotsCache::Options{2.5, false});
  const urls::Robots* rules = rig.Ask(Origin(server));
  CHECK_FALSE(rules->Allowed("/x"));
  CHECK(rules->Allowed("/a"));  // the file's rules, not the disallow-all of an answer that never came
  CHECK(server.Received("/final.txt") == 1);
  rig.Ask(Origin(server));
  REQUIRE(rig.delays.size() == 1);
  CHECK(rig.delays[0].first == Origin(server));
  CHECK(rig.delays[0].second == std::chrono::milliseconds(2500));
  CHECK(rig.cache.Sitemaps(Origin(server)).empty());  // the file names one; kept only with keep_sitemaps

  TestServer far;
  RedirectChain(far, 6, "User-agent: *\nDisallow: /\n");
  CHECK(rig.Ask(Origin(far))->Allowed("/a"));  // more than 5: taken as unavailable (RFC 9309 2.3.1.2)
  CHECK(far.Received("/final.txt") == 0);
}

TEST_CASE("a robots.txt over 500 KiB is read up to 500 KiB; a long 404 page still allows everything") {
  // Content-Length announces the whole length: the cap must not refuse the file before reading it.
  std::string big = "User-agent: *\nDisallow: /private/\n" + std::string(600 * 1024, '#') + "\nDisallow: /late/\n";
  TestServer server, missing;
  server.Handle("/robots.txt", Static(big, "text/plain"));
  missing.Handle("/robots.txt", [](const HttpRequest&, Conn& c) {
    c.Respond(404, "User-agent: *\nDisallow: /\n" + std::string(600 * 1024, 'x'), "text/html");
  });
  Rig rig;
  const urls::Robots* rules = rig.Ask(Origin(server));
  CHECK_FALSE(rules->Allowed("/private/a"));
  CHECK(rules->Allowed("/late/a"));  // past the first 500 KiB
  CHECK(rig.Ask(Origin(missing))->Allowed("/a"));
}

TEST_CASE("a fetch killed midway lets its waiters go, and the next asker fetches again") {
  // robots.txt waits for the test's gate: each fetch is still in flight when the test acts on it, on any
  // machine (a 300 ms answer was outrun when the killer's loop turn came late). Before the server, so it
  // outlives the server's handler threads.
  std::atomic<bool> open{false};
  TestServer server;
  server.Handle("/robots.txt", [&open](const HttpRequest&, Conn& c) {
    if (c.WaitUntil(open)) c.Respond(200, "User-agent: *\nDisallow: /no\n", "text/plain");
  });
  Rig rig;
  const urls::Robots* second = nullptr;
  auto first = Spawn([](RobotsCache* c, std::string o) -> Task<void> { co_await c->For(o); }, &rig.cache,
                     Origin(server));
  auto waiter = Spawn([](RobotsCache* c, std::string o, const urls::Robots** out) -> Task<void> {
    *out = co_await c->For(o);
  }, &rig.cache, Origin(server), &second);
  const urls::Robots* third = nullptr;
  std::optional<Greenlet<void>> late;
  auto killer = Spawn([&]() -> Task<void> {
    // Once the first fetch has reached the server (bounded: a minute, against a hang).
    for (int i = 0; i < 12'000 && server.Received("/robots.txt") == 0; ++i) co_await Sleep(5);
    first.Kill();
    // Once the waiter's own fetch has reached it, a third asker must wait for that one.
    for (int i = 0; i < 12'000 && server.Received("/robots.txt") < 2; ++i) co_await Sleep(5);
    late = Spawn([](RobotsCache* c, std::string o, const urls::Robots** out) -> Task<void> {
      *out = co_await c->For(o);
    }, &rig.cache, Origin(server), &third);
    co_await Yield();  // the late asker runs first (spawn order) and waits on the fetch in flight
    open = true;
  });
  rig.hub.Run();
  CHECK(first.killed());
  REQUIRE(waiter.successful());
  REQUIRE(killer.successful());
  REQUIRE(late);
  REQUIRE(late->successful());
  REQUIRE(second != nullptr);
  CHECK_FALSE(second->Allowed("/no"));
  CHECK(third == second);
  CHECK(server.Received("/robots.txt") == 2);  // the waiter fetched it itself, the third asker did not
}
