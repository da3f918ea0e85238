// The Fetcher's polls across keep-alive reuse (fetcher.cc, Fetcher::Socket): a connection's socket keeps
// its poll between transfers instead of costing ~5 epoll_ctl calls per transfer, and sockets that close
// and whose fd numbers come back at once (server closes, libcurl's cache limit, kills) still end every
// transfer right. Counts come from the Fetcher's poll counters and the test server's own log.
#include <doctest/doctest.h>

#include <string>
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

struct Tally {
  int ok = 0;
  int errors = 0;
  std::string first_error;
};

// Fetches urls[next..] one after another, so the worker reuses its connection.
Task<void> FetchInTurn(Fetcher* f, const std::vector<std::string>* urls, size_t* next, Tally* tally) {
  while (*next < urls->size()) {
    std::string url = (*urls)[(*next)++];
    FetchOptions o;
    Response r = co_await f->Get(url, o);
    if (r.ok() && r.status == 200 && r.body == "ok") {
      ++tally->ok;
    } else {
      ++tally->errors;
      if (tally->first_error.empty()) tally->first_error = url + ": " + r.error + " " + r.error_message;
    }
  }
}

void Ok(const HttpRequest&, Conn& c) { c.Respond(200, "ok", "text/plain"); }

}  // namespace

TEST_CASE("200 transfers in turn on one keep-alive connection open one poll, and the idle one keeps no loop alive") {
  TestServer server;
  server.Handle("/ok", Ok);
  std::vector<std::string> urls;
  for (int i = 0; i < 200; ++i) urls.push_back(server.Url("/ok?i=" + std::to_string(i)));
  Hub hub;
  {
    Fetcher fetcher(hub);
    Tally tally;
    size_t next = 0;
    auto g = Spawn(FetchInTurn, &fetcher, &urls, &next, &tally);
    // Turn the loop by hand (bounded) until the worker is done, so a poll that wrongly keeps the loop
    // alive shows up as an assertion below instead of a hang.
    for (int turn = 0; turn < 1'000'000 && !g.ready(); ++turn) uv_run(hub.loop(), UV_RUN_ONCE);
    REQUIRE(g.ready());
    CHECK_MESSAGE(tally.errors == 0, tally.first_error);
    CHECK(tally.ok == 200);
    CHECK(server.Connections() == 1);
    const Fetcher::PollCounts& polls = fetcher.poll_counts();
    MESSAGE("polls opened " << polls.opened << ", started " << polls.started << ", stopped " << polls.stopped);
    // One socket, one poll: watched for writing while connecting, then for reading, transfer after
    // transfer. Closing it whenever libcurl put the connection back in its cache opened 200.
    CHECK(polls.opened == 1);
    CHECK(polls.started <= 4);
    CHECK(polls.stopped <= 2);
    // The connection sits in libcurl's cache with its poll still started: that must not keep the loop
    // running (Hub::Run would never return).
    CHECK(uv_loop_alive(hub.loop()) == 0);
  }
  CHECK(hub.Close() == 0);  // the Fetcher closed the kept poll when libcurl closed the socket
}

TEST_CASE("sockets closed by the server, by libcurl's cache limit and by kills reuse fd numbers at once; all end right") {
  // Connections end in every way while others open, so a closed socket's fd number comes straight back
  // for the next connection: "Connection: close" answers (libcurl closes at once), silent closes (the idle
  // connection's kept poll fires, and the next transfer on it finds it dead and retries on a new one), a
  // cache of 2 connections for 20 workers (libcurl closes the oldest itself), and killed transfers.
  TestServer server;
  server.Handle("/ok", Ok);
  server.Handle("/close", [](const HttpRequest&, Conn& c) {
    c.CloseAfter();
    c.Respond(200, "ok", "text/plain");
  });
  server.Handle("/silent", [](const HttpRequest&, Conn& c) {
    c.CloseSilentlyAfter();
    c.Respond(200, "ok", "text/plain");
  });
  server.Handle("/hang", [](const HttpRequest&, Conn& c) { c.Sleep(120'000); });
  constexpr int kRounds = 3, kWorkers = 20, kUrls = 600, kKills = 10;
  Hub hub;
  {
    FetcherConfig config;
    config.max_connects_cache = 2;
    Fetcher fetcher(hub, config);
    for (int round = 0; round < kRounds; ++round) {
      CAPTURE(round);
      auto answered = [&server] { return server.Received("/ok") + server.Received("/close") + server.Received("/silent"); };
      size_t received_before = answered();
      std::vector<std::string> urls;
      const char* paths[] = {"/ok", "/close", "/ok", "/silent", "/ok"};
      for (int i = 0; i < kUrls; ++i) urls.push_back(server.Url(std::string(paths[i % 5]) + "?r=" +
                                                                std::to_string(round) + "&i=" + std::to_string(i)));
      Tally tally;
      size_t next = 0;
      std::vector<Greenlet<void>> workers;
      for (int w = 0; w < kWorkers; ++w) workers.push_back(Spawn(FetchInTurn, &fetcher, &urls, &next, &tally));
      std::vector<Greenlet<Response>> doomed;
      for (int k = 0; k < kKills; ++k) {
        doomed.push_back(Spawn([](Fetcher* f, std::string url) -> Task<Response> { co_return co_await f->Get(url); },
                               &fetcher, server.Url("/hang?k=" + std::to_string(k))));
      }
      auto killer = Spawn([](std::vector<Greenlet<Response>> gs, size_t* next) -> Task<void> {
        while (*next < kUrls / 2) co_await Sleep(1);  // mid-round, while connections churn
        for (auto& g : gs) g.Kill();
      }, doomed, &next);
      hub.Run();
      CHECK_MESSAGE(tally.errors == 0, tally.first_error);
      CHECK(tally.ok == kUrls);
      for (auto& g : doomed) CHECK(g.killed());
      // Every URL reached the server; a silently closed connection costs at most one retried request.
      size_t received = answered() - received_before;
      CHECK(received >= size_t(kUrls));
      CHECK(received <= size_t(kUrls + kUrls / 5));
      CHECK(fetcher.in_flight() == 0);
      // An idle gap: the server's silent closes reach the kept polls of idle connections now.
      Spawn([]() -> Task<void> { co_await Sleep(50); });
      hub.Run();
    }
  }
  CHECK(hub.Close() == 0);
}
