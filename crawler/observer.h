// CrawlObserver: what the engine tells whoever watches a crawl (the app's progress line, tests). Called on
// the hub's thread; implementations must not block.
#pragma once

#include <cstdint>

namespace gc {

class CrawlObserver {
 public:
  virtual ~CrawlObserver() = default;
  // A result row was recorded for one URL (`error`: it carries an error class).
  virtual void Recorded(bool error) = 0;
  // New URLs entered the frontier (discovered links): the total grows.
  virtual void Discovered(int64_t n) { (void)n; }
  // A few times a second while the crawl runs.
  virtual void Tick(int in_flight) = 0;
};

}  // namespace gc
