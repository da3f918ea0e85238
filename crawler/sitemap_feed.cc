#include "crawler/sitemap_feed.h"

#include <deque>
#include <exception>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "crawler/error_class.h"
#include "crawler/sitemap_links.h"
#include "crawler/sitemap_reader.h"
#include "greenlet/thread_pool.h"
#include "greenlet/wait.h"
#include "text/utf8.h"
#include "urls/url.h"

namespace gc {
namespace {

// Sitemap files a session reads in all; index nesting followed (the protocol allows none: an index
// lists urlsets; one level more is tolerated, as sites do it); listed origins whose sitemaps are read.
constexpr size_t kMaxSitemapFiles = 1000;
constexpr int kMaxSitemapNesting = 2;
constexpr size_t kMaxSitemapOrigins = 1000;
// The fetch cap for one sitemap, as received (compressed or not): the protocol's 50 MB per file.
// Not --max-size: that is for pages. SitemapReader caps what it inflates at 50 MB too.
constexpr int64_t kSitemapFetchBytes = 50'000'000;

}  // namespace

// Reads the --sitemap files, then each listed origin's (robots.txt Sitemap: lines, else
// /sitemap.xml), one file at a time, queueing their URLs as it goes. One file's body is in memory at
// once, and its URLs reach the frontier a batch at a time (the frontier spills to its table).
Task<void> SitemapFeed::Run() {
  std::unordered_set<std::string> seen;  // sitemap files queued (bounded by kMaxSitemapFiles)
  std::deque<Job> jobs;
  auto queue = [&](const std::string& url, const std::string& root, int nesting, const std::string& parent) {
    auto c = urls::Canonicalize(url);
    if (!c.ok() || seen.size() >= kMaxSitemapFiles || !seen.insert(c.url).second) return;
    jobs.push_back({c.url, root, nesting, parent});
  };
  for (const std::string& url : o_.sitemap) {
    if (auto c = urls::Canonicalize(url); c.ok()) queue(c.url, c.url, 0, "");
  }
  std::vector<Session::ListedOrigin> origins;
  if (o_.sitemaps) {
    origins = co_await session_.ListedOrigins(kMaxSitemapOrigins);
  }
  size_t next_origin = 0;
  // The rows of indexes read whose children are queued: when reading stops before those children are
  // read, the index is recorded again, truncated.
  std::unordered_map<std::string, storage::SitemapFileRow> indexes;
  while (!session_.stopping()) {
    if (Spent()) {
      for (const Job& unread : jobs) {
        auto it = indexes.find(unread.parent);
        if (it == indexes.end()) continue;
        it->second.truncated = true;
        session_.SitemapRead(std::move(it->second), 0);
        indexes.erase(it);
      }
      break;
    }
    if (jobs.empty()) {
      if (next_origin >= origins.size()) break;
      auto [origin, root] = origins[next_origin++];
      std::vector<std::string> named;
      if (!o_.ignore_robots) {
        named = co_await session_.SitemapsInRobots(origin);
      }
      std::string parent = named.empty() ? "" : origin + "/robots.txt";
      if (named.empty()) named.push_back(origin + "/sitemap.xml");
      for (const std::string& url : named) queue(url, root, 0, parent);
      continue;
    }
    Job job = std::move(jobs.front());
    jobs.pop_front();
    std::vector<std::string> children;
    storage::SitemapFileRow row = co_await ReadFile(job, &children);
    if (!children.empty()) indexes.emplace(job.url, std::move(row));
    for (const std::string& url : children) queue(url, job.root, job.nesting + 1, job.url);
  }
}

// Fetches one sitemap and parses it on the pool, a batch at a time: its URLs go to the session (the
// frontier, in scope, and sitemap_urls, all), an index's children to `children` (at most kMaxSitemapFiles).
// Returns the file's `sitemaps` row, as handed to the session.
Task<storage::SitemapFileRow> SitemapFeed::ReadFile(Job job, std::vector<std::string>* children) {
  storage::SitemapFileRow file;
  file.url = job.url;
  if (!job.parent.empty()) file.listed_by = job.parent;
  int64_t discovered = 0;
  try {
    FetchOptions fo = session_.FetchOptionsFor(job.url);
    fo.max_body_bytes = kSitemapFetchBytes;
    fo.keep_head_over_cap = true;  // a longer file is read up to the cap, whatever its Content-Length says
    fo.max_redirects = 5;
    Response r = co_await fetcher_.Get(job.url, fo);
    if (r.status > 0) file.status = r.status;
    bool cut = r.error == error_class::kTooLarge && r.status >= 200 && r.status < 300;
    if ((!r.ok() && !cut) || r.status < 200 || r.status >= 300) {
      if (!r.ok()) {
        file.error = r.error;
        file.error_message = CleanText(r.error_message, 1024);
      }
      session_.SitemapRead(file, 0);
      co_return file;
    }
    auto reader = std::make_shared<SitemapReader>(std::move(r.body));
    auto key = std::make_shared<std::string>(scope_->Key(job.root));
    int64_t added = 0;
    int64_t dropped = 0;  // entries read past kMaxSitemapUrls: not taken
    while (!session_.stopping()) {
      if (Spent()) {
        file.truncated = true;
        break;
      }
      // Parse, canonical form, scope and hash on the pool (sitemap_links.h), as for a page's links.
      auto work = RunInPool([reader, scope = scope_, key] {
        return NextSitemapLinks(*reader, 1000, *scope, *key);
      });
      SitemapLinks batch = co_await work;
      file.skipped += batch.invalid;
      std::vector<Candidate> in_scope;
      std::vector<storage::SitemapUrlRow> rows;
      for (SitemapLink& e : batch.links) {
        if (batch.index) {
          if (job.nesting + 1 > kMaxSitemapNesting || children->size() >= kMaxSitemapFiles) {
            ++file.skipped;
          } else {
            children->push_back(std::move(e.url));
          }
          continue;
        }
        if (rows_ >= kMaxSitemapUrls) {  // Spent() says so before the next batch
          ++dropped;
          continue;
        }
        ++rows_;
        if (e.in_scope) in_scope.push_back(Candidate{e.url, e.hash, 0, job.root, "sitemap", job.url});
        rows.push_back(
            {std::move(e.url), job.url, e.lastmod.empty() ? std::nullopt : std::optional(std::move(e.lastmod))});
      }
      added += session_.AddSitemapUrls(std::move(in_scope), std::move(rows));
      if (batch.done) break;
      // A storage thread that falls behind holds the reader back, sooner than it holds transfers back:
      // the reader makes rows far faster than transfers do, and each waiting row holds its strings
      // (with 8 batches of 20,000 waiting, 1,000,000 URLs peaked at 92 MB RSS; with 2 batches of
      // 5,000, see bench/RESULTS.md).
      while (StorageBehind() && !session_.stopping()) co_await Sleep(5);
    }
    static constexpr const char* kKinds[] = {nullptr, "urlset", "index", "text"};
    if (const char* kind = kKinds[int(reader->kind())]) file.kind = kind;
    file.urls = reader->entries() - dropped;
    file.skipped += reader->skipped();
    file.truncated = file.truncated || dropped > 0 || cut || reader->truncated();
    if (!reader->error().empty()) file.error = "bad_sitemap: " + reader->error();
    discovered = added;
  } catch (const std::exception& e) {
    file.error = "bad_sitemap: " + CleanText(e.what(), 300);
  }
  session_.SitemapRead(file, discovered);
  co_return file;
}

bool SitemapFeed::Spent() {
  if (spent_) return true;
  const char* why = session_.page_budget_spent() ? "the run's --max-pages budget is spent"
                    : rows_ >= kMaxSitemapUrls   ? "the run read 1,000,000 sitemap entries, its cap"
                                                 : nullptr;
  if (!why) return false;
  spent_ = true;
  session_.Note(std::string("greencrawl: sitemaps: stopped reading: ") + why + "\n");
  return true;
}

bool SitemapFeed::StorageBehind() const {
  Session::StorageLoad load = session_.storage_load();
  return load.jobs > 2 || load.rows > 2 * kBatchRows;
}

}  // namespace gc
