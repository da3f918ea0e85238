// CrawlObserver: what the engine tells whoever watches a crawl (the app's progress line, tests). Called on
// the hub's thread; implementations must not block.
#pragma once

#include <cstdint>
#include <string>

namespace gc {

class CrawlObserver {
 public:
  virtual ~CrawlObserver() = default;
  // A result row was recorded for one URL (`error`: it carries an error class).
  virtual void Recorded(bool error) = 0;
  // The same, with what it was (for -v): its URL, HTTP status (0: no response) and error class ("": none).
  virtual void RecordedUrl(const std::string& url, long status, const std::string& error) {
    (void)url, (void)status, (void)error;
  }
  // New URLs entered the frontier (discovered links, the rest of a list): the total grows.
  virtual void Discovered(int64_t n) { (void)n; }
  // Lines for the person watching, found while the crawl runs (malformed list lines, named by number):
  // shown above the live line. Each ends in a newline.
  virtual void Note(const std::string& text) { (void)text; }
  // The first SIGINT or SIGTERM arrived (`signal`: "SIGINT" or "SIGTERM"): no new transfers, those in
  // flight get `grace_s` seconds. Quiet watchers say nothing; the crawl's end says how to continue.
  virtual void Stopping(const char* signal, double grace_s) { (void)signal, (void)grace_s; }
  // A few times a second while the crawl runs.
  virtual void Tick(int in_flight) = 0;
};

}  // namespace gc
