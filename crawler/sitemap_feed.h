// SitemapFeed: a run's sitemaps, read into the crawl while it runs (--sitemap files first, then, with
// --sitemaps, each listed origin's: its robots.txt `Sitemap:` lines, else /sitemap.xml). One file at a
// time is fetched with the session's Fetcher and parsed on the pool 1,000 entries per job (canonical form,
// scope and hash with it, sitemap_links.h); the loop only hands each batch to the session: in-scope URLs
// to its Frontier, every entry to `sitemap_urls`, and once the file is read, its `sitemaps` row.
//
// It touches nothing of the session's but the Session interface below. Bounded: one file's body in memory
// at a time (50 MB fetched), 1,000 files and 1,000 origins a run, one level of index nesting beyond the
// protocol's, kMaxSitemapUrls entries a run; and it holds itself back while the storage thread is behind
// (over 2 jobs or 10,000 rows waiting), sooner than the dispatcher holds transfers back: it makes rows far
// faster than they do. It stops reading once the run's page budget (--max-pages) is spent, or at
// kMaxSitemapUrls entries: the file being read is marked truncated, no further file is fetched, and the
// session is told why (a Note).
//
// Loop thread only. Run() is the body of one greenlet; it returns when every file is read, or at its next
// step once the session is stopping. Killing that greenlet at any suspension is safe: what was handed
// over stays handed over, and the file being read gets no `sitemaps` row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crawler/fetcher.h"
#include "crawler/frontier.h"
#include "crawler/options.h"
#include "greenlet/task.h"
#include "storage/result_store.h"
#include "urls/scope.h"

namespace gc {

class SitemapFeed {
 public:
  // What the feed needs from the crawl session. Called on the loop thread only.
  class Session {
   public:
    struct ListedOrigin {
      std::string origin;
      std::string root;  // the first listed URL there: the scope root of its sitemaps' URLs
    };
    struct StorageLoad {
      size_t jobs = 0;  // jobs waiting for the storage thread
      size_t rows = 0;  // rows handed over and not yet taken by it
    };

    // Whether the session is stopping: the feed then ends at its next step.
    virtual bool stopping() const = 0;
    // Whether the run's --max-pages budget is spent (its Frontier takes no more URLs): the feed then stops
    // reading, as sitemaps could add nothing to the crawl but rows.
    virtual bool page_budget_spent() const = 0;
    // A line for the person watching (stderr), ending in a newline.
    virtual void Note(const std::string& text) = 0;
    // Origins of the run's listed URLs in the table's order, at most `max` (read on the storage thread).
    virtual Task<std::vector<ListedOrigin>> ListedOrigins(size_t max) = 0;
    // The `Sitemap:` lines of `origin`'s robots.txt, which the session fetches once a run for its workers too.
    virtual Task<std::vector<std::string>> SitemapsInRobots(std::string origin) = 0;
    // The crawl's fetch options for `url` (with its credential headers where they may go).
    virtual FetchOptions FetchOptionsFor(const std::string& url) const = 0;
    // One parsed batch of a file, in its order: `in_scope` go to the Frontier (new ones also to the batch's
    // discoveries), `rows` to sitemap_urls. Returns how many URLs were new to the run.
    virtual int64_t AddSitemapUrls(std::vector<Candidate> in_scope, std::vector<storage::SitemapUrlRow> rows) = 0;
    // A file is done (read, refused or failed): its `sitemaps` row and, when it was read to its end, how
    // many URLs new to the run it added (for the session's count).
    virtual void SitemapRead(storage::SitemapFileRow file, int64_t discovered) = 0;
    // What waits for the storage thread now (the feed's backpressure).
    virtual StorageLoad storage_load() const = 0;

   protected:
    ~Session() = default;
  };

  SitemapFeed(const CrawlOptions& options, std::shared_ptr<const urls::Scope> scope, Fetcher& fetcher,
              Session& session)
      : o_(options), scope_(std::move(scope)), fetcher_(fetcher), session_(session) {}
  SitemapFeed(const SitemapFeed&) = delete;
  SitemapFeed& operator=(const SitemapFeed&) = delete;

  // The session hands its batch over at this many rows while a sitemap is read (smaller than a crawl's
  // batches: a sitemap makes rows far faster than transfers do), and the feed waits while more than two
  // such batches' rows wait for the storage thread.
  static constexpr size_t kBatchRows = 5'000;
  // Sitemap entries (sitemap_urls rows) a run reads in all: 20 full 50,000-URL files. Without it an index
  // of 1,000 such files is 50 M rows (a 6 GB database).
  static constexpr int64_t kMaxSitemapUrls = 1'000'000;

  // Whether these options read any sitemap.
  static bool Wanted(const CrawlOptions& o) { return o.sitemaps || !o.sitemap.empty(); }

  // The feed's greenlet body (see above). Throws only what the session's ListedOrigins or robots.txt
  // fetch throws; a file that fails is a `sitemaps` row with its error.
  Task<void> Run();

 private:
  struct Job {
    std::string url;   // canonical
    std::string root;  // the scope root of its URLs: the listed URL of the origin, or the --sitemap URL
    int nesting = 0;   // sitemap indexes above it
    std::string parent;  // the index or robots.txt that named it ("": --sitemap, or /sitemap.xml)
  };

  Task<storage::SitemapFileRow> ReadFile(Job job, std::vector<std::string>* children);
  bool StorageBehind() const;
  // Whether reading must stop (page budget spent, or kMaxSitemapUrls read); says why once.
  bool Spent();

  int64_t rows_ = 0;     // sitemap_urls rows handed to the session this run (at most kMaxSitemapUrls)
  bool spent_ = false;   // Spent() said so: no further file is read

  const CrawlOptions& o_;
  std::shared_ptr<const urls::Scope> scope_;
  Fetcher& fetcher_;
  Session& session_;
};

}  // namespace gc
