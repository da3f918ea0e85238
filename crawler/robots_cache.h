// RobotsCache: each origin's robots.txt, fetched once a run for all of the run's workers (and, with
// --sitemaps, its `Sitemap:` lines for the sitemap feed).
//
// What an answer means is RFC 9309 section 2.3.1 (ReadRobotsAnswer below): a 2xx is parsed (its first
// 500 KiB, however long the file is; up to 5 redirects are followed), a 4xx allows everything, and so do
// more than 5 redirects (the RFC allows taking that as "unavailable"; Google does); a 5xx or no answer at
// all disallows everything. An address the private-address guard refuses allows everything: its pages
// are refused too, each with that error class, which says more than "robots".
//
// The group read is that of the agent each robots.txt fetch sends (RobotsProductToken of its options), so
// `-A 'MyBot/1.0 (+https://example.org/bot)'` obeys the `User-agent: MyBot` group, else `*`.
//
// Loop thread only. Askers for an origin whose robots.txt is being fetched wait for that one fetch. A
// fetch that ends without an answer (its greenlet killed at shutdown, or an exception) lets its waiters
// go, and the next asker fetches again.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crawler/fetcher.h"
#include "greenlet/sync.h"
#include "greenlet/task.h"
#include "urls/robots.h"

namespace gc {

// Why a robots.txt could not be had (a 5xx or no answer: everything is disallowed). The URLs refused for
// it are recorded with this, not as `robots`: the host is down, which its owner needs to know.
struct RobotsUnreachable {
  std::string error;    // the fetch's error class (dns, connect, timeout, tls, ...), or robots_unavailable
  std::string message;  // for error_message
};

// The product token whose robots.txt group applies to a fetch made with `o` (urls::Robots::ProductToken):
// that of the User-Agent the fetch sends, which is a User-Agent header among o.headers (-H; libcurl sends
// it in place of its own), else o.user_agent (-A), else greencrawl/VERSION: "greencrawl". "" (only the '*'
// group applies) when that agent's first product token is not one robots.txt can name.
std::string RobotsProductToken(const FetchOptions& o);

// What one robots.txt response means (see above), for the crawler named `product_token`.
struct RobotsAnswer {
  urls::Robots rules;
  std::optional<RobotsUnreachable> unreachable;  // set when everything is disallowed for want of an answer
  std::vector<std::string> sitemaps;     // its Sitemap: lines, with keep_sitemaps (at most 100)
  std::optional<double> crawl_delay_s;   // its Crawl-delay for our group, uncapped
};
RobotsAnswer ReadRobotsAnswer(const Response& r, bool keep_sitemaps, std::string_view product_token);

class RobotsCache {
 public:
  struct Options {
    double max_crawl_delay_s = 0;  // a Crawl-delay above this is capped (--max-crawl-delay)
    bool keep_sitemaps = false;    // keep the Sitemap: lines (--sitemaps)
  };
  // The crawl's fetch options for `url` (its credential headers only where they may go). The cache then
  // caps the body and the redirects.
  using OptionsFor = std::function<FetchOptions(const std::string& url)>;
  // Called once for an origin whose robots.txt names a Crawl-delay, with the capped delay.
  using SetDelay = std::function<void(const std::string& origin, std::chrono::milliseconds delay)>;

  // `fetcher` must outlive every call of For() (the session's Fetchers end with its hub).
  RobotsCache(Fetcher& fetcher, Options options, OptionsFor options_for, SetDelay set_delay)
      : fetcher_(fetcher), o_(options), options_for_(std::move(options_for)), set_delay_(std::move(set_delay)) {}
  RobotsCache(const RobotsCache&) = delete;
  static constexpr int64_t kMaxBytes = 500 * 1024;  // RFC 9309 section 2.5: at least 500 KiB are parsed
  static constexpr long kMaxRedirects = 5;          // section 2.3.1.2: at least 5 are followed
  RobotsCache& operator=(const RobotsCache&) = delete;

  // The rules of `origin` ("scheme://host[:port]", as urls::Origin gives it), fetched on the first ask.
  // The pointer stays valid for the cache's life.
  Task<const urls::Robots*> For(std::string origin);
  // Whether `path` (path and query, as sent) of `origin` may be fetched: For(origin), then the match. A
  // check of a small file runs inline; one of a large file (over kInlinePatternBytes of patterns: a
  // crafted 500 KiB file cost 4.5 ms of loop CPU per refused URL) runs on the thread pool. The last
  // kMaxVerdicts answers of each origin are kept, by path.
  Task<bool> Allowed(std::string origin, std::string path);
  static constexpr size_t kInlinePatternBytes = 16 * 1024;
  static constexpr size_t kMaxVerdicts = 1024;
  // Its robots.txt's Sitemap: lines once For(origin) has returned (empty without keep_sitemaps).
  const std::vector<std::string>& Sitemaps(const std::string& origin) const;
  // Why its robots.txt disallows everything, when that is for want of an answer (once For has returned).
  const std::optional<RobotsUnreachable>& Unreachable(const std::string& origin) const;

 private:
  struct Entry {
    enum State { kNone, kFetching, kReady } state = kNone;
    RobotsAnswer answer;
    Event ready;
    // Allowed(): a copy of large rules for the pool (it may outlive the cache), and recent answers.
    std::shared_ptr<const urls::Robots> pooled;
    std::unordered_map<std::string, bool> verdicts;
    std::deque<std::string> verdict_order;  // oldest first, for eviction
  };

  Fetcher& fetcher_;
  Options o_;
  OptionsFor options_for_;
  SetDelay set_delay_;
  std::unordered_map<std::string, Entry> entries_;  // node-based: references survive rehashing
};

}  // namespace gc
