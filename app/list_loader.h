// ListLoader: a URL list into a run's frontier. Each valid line becomes a frontier row (a repeat is
// counted as a duplicate); each malformed line becomes a result row at once, named on stderr by its line
// number ("list.txt:3: unsupported_scheme: ftp://x/y (...)"), the first 100 of them. When the list has
// ended, its counts go on the run (runs.urls_total, lines_invalid, lines_duplicate).
//
//   ListLoader loader(reader, store, run_id, "list.txt", quiet);
//   loader.Load(256, err);       // this thread: at least 256 URLs queued (or the whole list)
//   if (!loader.ended()) RunSession(..., &loader);   // the rest: ListFeed::Next on the storage thread
//
// Load() and Next() use the store and the reader from one thread at a time (the caller's, then the
// session's storage thread). A stop signal (app/stop_signal.h) ends Load() early; the session stops
// asking Next() when it is stopped. Either way the run's list count stays unknown, so --resume reads the
// list again (duplicates ignored, done URLs stay done).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_set>

#include "crawler/list_feed.h"
#include "storage/result_store.h"
#include "urls/url_list.h"

namespace gc {

struct ListCounts {
  int64_t queued = 0, invalid = 0, duplicate = 0;
};

class ListLoader : public ListFeed {
 public:
  ListLoader(urls::UrlListReader& reader, storage::ResultStore& store, int64_t run_id, std::string list_name,
             bool quiet);

  // Reads lines and commits them: with `min_queued` > 0, until that many URLs were queued by this call
  // or 5,000 lines were read (one transaction); with 0, to the end of the list (a transaction per 20,000
  // lines). A stop signal ends it early. Messages go to `err`. When the list ends here, its counts are
  // recorded.
  void Load(int64_t min_queued, std::ostream& err);
  // ListFeed: the next 5,000 lines, one transaction; messages come back in Chunk::notes.
  Chunk Next() override;

  bool ended() const { return ended_; }
  bool stopped() const { return stopped_; }  // by a signal, in Load()
  const ListCounts& counts() const { return counts_; }

 private:
  // Reads up to `max_lines` lines (0: no cap) or until `min_queued` more URLs are queued (0: no such
  // stop) in one bulk transaction. For a feed `chunk` (the session's storage thread): counts and new
  // origins go into it, and the session watches for signals. Without one (Load, on the caller's thread):
  // a stop signal ends the read.
  void ReadLines(int64_t max_lines, int64_t min_queued, std::ostream& msgs, ListFeed::Chunk* chunk);
  void Ended(std::ostream& msgs);

  urls::UrlListReader& reader_;
  storage::ResultStore& store_;
  int64_t run_id_;
  std::string list_name_;
  bool quiet_;
  ListCounts counts_;
  int64_t reported_ = 0;  // malformed lines named so far (at most 100 are)
  std::unordered_set<std::string> origins_;  // origins already handed out in a Chunk
  bool ended_ = false;
  bool stopped_ = false;
};

}  // namespace gc
