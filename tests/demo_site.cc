// greencrawl-testsite: serves a small generated site on 127.0.0.1 for the README's demo and for trying
// greencrawl without the internet. Pages link to each other; some paths misbehave on purpose.
//   greencrawl-testsite --port 8399 [--pages 200] [--seconds 600]
// Prints "ready http://127.0.0.1:PORT/" when listening; serves until killed or --seconds pass.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "tests/test_server.h"

using gc::testing::Conn;
using gc::testing::HttpRequest;

namespace {
volatile std::sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }

std::string Page(int i, int pages) {
  std::string html = "<!doctype html><html><head><title>Demo page " + std::to_string(i) +
                     "</title></head><body><h1>Page " + std::to_string(i) + "</h1>";
  for (int k = 1; k <= 5; ++k) html += "<a href=\"/p" + std::to_string((i * 7 + k) % pages) + ".html\">next</a> ";
  html += "<a href=\"/missing.html\">a broken link</a>";
  html += std::string(2000, ' ') + "</body></html>";
  return html;
}
}  // namespace

int main(int argc, char** argv) {
  int port = 8399, pages = 200, seconds = 600;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--pages")) pages = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  gc::testing::TestServer server("127.0.0.1", port);
  server.Handle("/p*", [pages](const HttpRequest& req, Conn& c) {
    int i = std::atoi(req.path.c_str() + 2);
    if (i < 0 || i >= pages) return (void)c.Respond(404, "<title>Not Found</title>");
    c.Respond(200, Page(i, pages), "text/html; charset=utf-8", {{"ETag", "\"p" + std::to_string(i) + "\""}});
  });
  server.Handle("/", [](const HttpRequest&, Conn& c) {
    c.Respond(200, "<title>Demo site</title><a href=/p0.html>start</a>");
  });
  server.Handle("/redirect", [](const HttpRequest&, Conn& c) { c.Respond(301, "", "", {{"Location", "/p1.html"}}); });
  server.Handle("/loop", [](const HttpRequest&, Conn& c) { c.Respond(302, "", "", {{"Location", "/loop"}}); });
  server.Handle("/error", [](const HttpRequest&, Conn& c) { c.Respond(500, "<title>Server error</title>"); });
  server.Handle("/slow", [](const HttpRequest&, Conn& c) {
    if (c.Sleep(1500)) c.Respond(200, "<title>Slow page</title>");
  });
  server.Handle("/hang", [](const HttpRequest&, Conn& c) { c.Sleep(120'000); });
  server.Handle("/reset", [](const HttpRequest&, Conn& c) { c.Reset(); });
  server.Handle("/data.json", [](const HttpRequest&, Conn& c) { c.Respond(200, "{\"ok\":true}", "application/json"); });
  std::printf("ready http://127.0.0.1:%d/\n", server.port());
  std::fflush(stdout);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!stop && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}
