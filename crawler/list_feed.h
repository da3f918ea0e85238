// ListFeed: the rest of a URL list, read into the run's frontier table while the crawl already runs, so
// that the first transfers start after the list's first lines instead of after all of them (reading and
// storing a line costs ~5 us: 20,000 lines held the first request back by 0.1 s, a million by seconds).
//
// The session calls Next() on its storage thread, one chunk at a time and only after its first refill,
// between its other storage work (refills read what each chunk committed). Each chunk is one
// transaction. The feed is for list crawls of a regular file (TakesListFeed in crawl_session.h): a
// recursive crawl, sitemaps and credential headers need the whole list before the first request, and a
// pipe could block the storage thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gc {

class ListFeed {
 public:
  virtual ~ListFeed() = default;

  struct Chunk {
    int64_t queued = 0;   // URLs new to the run, now pending in the frontier table
    int64_t invalid = 0;  // malformed lines, recorded as result rows (each names its line number)
    std::vector<std::string> origins;  // urls::CanonicalOrigin of queued URLs, each origin once per feed
    std::string notes;    // for the person watching (malformed lines; at the end, the list's count)
    bool more = false;    // false: the list has ended, and its counts are recorded on the run
  };

  // Storage thread. Reads the next lines and commits what they add; throws on a storage error.
  virtual Chunk Next() = 0;
};

}  // namespace gc
