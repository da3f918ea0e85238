// SlowSite: a local server whose pages answer after `ms`, and a list of `pages` of them, for tests that
// need a crawl still running while they look (a progress line, a signal, a second command).
#pragma once

#include <string>

#include "tests/test_server.h"

namespace gc::testing {

struct SlowSite {
  TestServer server;
  std::string list;
  explicit SlowSite(int pages, int ms = 100) {
    server.Handle("/p*", [ms](const HttpRequest&, Conn& c) {
      c.Sleep(ms);
      c.Respond(200, "<title>slow</title>");
    });
    for (int i = 0; i < pages; ++i) list += server.Url("/p" + std::to_string(i)) + "\n";
  }
};

}  // namespace gc::testing
