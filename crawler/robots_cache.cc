#include "crawler/robots_cache.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "crawler/error_class.h"
#include "crawler/sitemap_reader.h"
#include "greenlet/thread_pool.h"
#include "version.h"

namespace gc {

std::string RobotsProductToken(const FetchOptions& o) {
  std::string_view agent = o.user_agent.empty() ? std::string_view("greencrawl/" GREENCRAWL_VERSION) : o.user_agent;
  constexpr std::string_view kName = "user-agent:";
  for (const std::string& h : o.headers) {  // the last one is what libcurl sends
    if (h.size() < kName.size()) continue;
    bool same = true;
    for (size_t i = 0; i < kName.size() && same; ++i) same = std::tolower(static_cast<unsigned char>(h[i])) == kName[i];
    if (same) agent = std::string_view(h).substr(kName.size());  // "User-Agent:" alone sends none: ""
  }
  return urls::Robots::ProductToken(agent);
}

RobotsAnswer ReadRobotsAnswer(const Response& r, bool keep_sitemaps, std::string_view product_token) {
  RobotsAnswer a;
  // A body over the cap still counts: its first 500 KiB (RobotsCache fetches with keep_head_over_cap)
  // are parsed (RFC 9309 section 2.5), and a long 404 page is still a 404.
  bool answered = r.ok() || r.error == error_class::kTooLarge;
  if (answered && r.status >= 200 && r.status < 300) {
    a.rules = urls::Robots::Parse(r.body, product_token);
    if (keep_sitemaps) a.sitemaps = RobotsSitemaps(r.body);
    a.crawl_delay_s = a.rules.crawl_delay();
  } else if ((answered && r.status >= 400 && r.status < 500) || r.error == error_class::kTooManyRedirects ||
             r.error == error_class::kPrivateAddress) {
    // 4xx: unavailable. More than 5 redirects: may be taken as unavailable (section 2.3.1.2), as Google
    // does.
    a.rules = urls::Robots::AllowAll();
  } else {
    a.rules = urls::Robots::DisallowAll();  // 5xx or no answer: unreachable (section 2.3.1.4)
    if (r.error.empty() || r.status >= 500) {
      a.unreachable = RobotsUnreachable{error_class::kRobotsUnavailable,
                                        "robots.txt answered " + std::to_string(r.status) + ": not fetched"};
    } else {
      a.unreachable = RobotsUnreachable{r.error, "robots.txt unreachable (" + r.error_message + "): not fetched"};
    }
  }
  return a;
}

Task<const urls::Robots*> RobotsCache::For(std::string origin) {
  Entry& e = entries_[origin];
  while (e.state == Entry::kFetching) co_await e.ready.Wait();
  if (e.state == Entry::kReady) co_return &e.answer.rules;
  e.state = Entry::kFetching;
  e.ready.Clear();  // a fetch that failed before set it: the next askers must wait for this one
  // However this fetch ends (an exception, a kill at shutdown), the askers waiting for it are let go.
  struct Release {
    Entry* e;
    ~Release() {
      if (e->state == Entry::kFetching) e->state = Entry::kNone;
      e->ready.Set();
    }
  } release{&e};
  std::string url = origin + "/robots.txt";
  FetchOptions fo = options_for_(url);
  fo.max_body_bytes = kMaxBytes;
  fo.keep_head_over_cap = true;
  fo.max_redirects = kMaxRedirects;
  Response r = co_await fetcher_.Get(url, fo);
  e.answer = ReadRobotsAnswer(r, o_.keep_sitemaps, RobotsProductToken(fo));
  if (e.answer.crawl_delay_s) {
    // A Crawl-delay of a day would make a nightly run wait days: capped.
    double capped = std::min(*e.answer.crawl_delay_s, o_.max_crawl_delay_s);
    set_delay_(origin, std::chrono::milliseconds(int64_t(capped * 1000)));
  }
  e.state = Entry::kReady;
  co_return &e.answer.rules;
}

Task<bool> RobotsCache::Allowed(std::string origin, std::string path) {
  const urls::Robots* rules = co_await For(origin);
  Entry& e = entries_[origin];
  if (auto it = e.verdicts.find(path); it != e.verdicts.end()) co_return it->second;
  bool allowed = true;
  if (rules->pattern_bytes() <= kInlinePatternBytes) {
    allowed = rules->Allowed(path);  // at most ~16 K byte steps per path byte: microseconds
  } else {
    if (!e.pooled) e.pooled = std::make_shared<const urls::Robots>(*rules);
    // Not on the loop: a crafted file takes up to kMaxMatchSteps per check. The copy, not the entry, goes
    // to the pool: a killed asker leaves its work running past the cache's life.
    auto work = RunInPool([pooled = e.pooled, path] { return pooled->Allowed(path); });
    allowed = co_await work;
  }
  Entry& done = entries_[origin];  // the same node (entries_ is node-based); named again after the wait
  if (done.verdicts.size() >= kMaxVerdicts) {
    done.verdicts.erase(done.verdict_order.front());
    done.verdict_order.pop_front();
  }
  if (done.verdicts.emplace(path, allowed).second) done.verdict_order.push_back(path);
  co_return allowed;
}

const std::vector<std::string>& RobotsCache::Sitemaps(const std::string& origin) const {
  static const std::vector<std::string> kNone;
  auto it = entries_.find(origin);
  return it == entries_.end() ? kNone : it->second.answer.sitemaps;
}

const std::optional<RobotsUnreachable>& RobotsCache::Unreachable(const std::string& origin) const {
  static const std::optional<RobotsUnreachable> kNone;
  auto it = entries_.find(origin);
  return it == entries_.end() ? kNone : it->second.answer.unreachable;
}

}  // namespace gc
