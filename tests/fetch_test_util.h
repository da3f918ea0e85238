// What the fetcher's tests share: one fetch on a fresh hub, a clock, and a plain HTML page to serve.
// Header-only, for fetcher_test.cc, fetch_guard_test.cc, fetch_concurrency_test.cc and tls_test.cc.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "crawler/fetcher.h"
#include "greenlet/spawn.h"
#include "tests/test_server.h"

namespace gc::testing {

using Clock = std::chrono::steady_clock;

// Runs one fetch to completion on a fresh hub and returns its Response.
inline Response FetchOne(const std::string& url, FetchOptions options = {}) {
  Hub hub;
  Response out;
  {
    Fetcher fetcher(hub);
    auto g = Spawn([](Fetcher* f, std::string url, FetchOptions o, Response* out) -> Task<void> {
      *out = co_await f->Get(url, o);
    }, &fetcher, url, options, &out);
    hub.Run();
    REQUIRE(g.successful());
  }
  REQUIRE(hub.Close() == 0);
  return out;
}

inline double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A 200 HTML page with validators.
inline void Page(const HttpRequest&, Conn& c) {
  c.Respond(200, "<html><head><title>Hello</title></head><body>hi</body></html>", "text/html; charset=utf-8",
            {{"ETag", "\"v1\""}, {"Last-Modified", "Tue, 01 Sep 2026 10:00:00 GMT"}});
}

}  // namespace gc::testing
