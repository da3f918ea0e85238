#include "crawler/frontier.h"

#include <xxhash.h>

#include <algorithm>

#include "urls/traps.h"
#include "urls/url.h"

namespace gc {

Frontier::Frontier(const FrontierConfig& config, int64_t next_seq, int64_t known)
    : config_(config),
      hosts_(config.per_host, config.delay_ms, config.lanes),
      seen_(config.max_known_urls),
      next_seq_(next_seq),
      known_(known) {
  if (config_.max_pages > 0 && known_ >= config_.max_pages) max_pages_reached_ = true;
}

bool Frontier::IsTrap(const std::string& url) {
  if (urls::LooksLikeTrap(url)) return true;
  size_t q = url.find('?');
  if (q == std::string::npos || config_.max_query_variants <= 0) return false;
  // Calendars, session ids and faceted search give one path endless query strings: follow a bounded
  // number per path. The map is bounded too (a trap spread over endless paths is --max-pages' job).
  uint64_t path = XXH3_64bits(url.data(), q);
  auto it = query_variants_.find(path);
  if (it == query_variants_.end()) {
    if (query_variants_.size() >= 100'000) return false;
    query_variants_.emplace(path, 1);
    return false;
  }
  return ++it->second > config_.max_query_variants;
}

std::optional<storage::FrontierItem> Frontier::Add(Candidate c) {
  // A URL is remembered only once it is in the table: one cut by --max-pages or a trap guard and found
  // again later must be judged again, not "lowered" in a table that never had it.
  std::optional<int32_t> known_depth = seen_.Depth(c.hash);
  if (known_depth && *known_depth <= c.depth) return std::nullopt;
  // A link to another site or a resource is checked once: found again nearer the root, it has nothing to
  // refetch for.
  const bool check = c.source_kind == "external" || c.source_kind == "resource";
  if (known_depth && check) return std::nullopt;
  if (!known_depth) {
    if (config_.max_pages > 0 && known_ >= config_.max_pages) {
      max_pages_reached_ = true;
      return std::nullopt;
    }
    if (c.source_kind != "sitemap" && IsTrap(c.url)) {
      ++traps_;
      return std::nullopt;
    }
  }
  UrlSet::Insert seen = seen_.Add(c.hash, int32_t(c.depth));
  if (seen == UrlSet::Insert::kShallower) {
    auto started = seen_.Started(c.hash);
    // Fetched already, at a greater depth. Its links (and theirs) were followed with less depth left
    // than they now have: once the crawl has cut anything at --depth, fetch it again so that no page
    // within --depth of the root is lost to the order in which concurrent transfers ended. Each URL can
    // come back at most --depth times (the depth only falls); a crawl that never reaches --depth never
    // refetches.
    if (started && *started > c.depth && depth_limit_hit_) {
      storage::FrontierItem again{std::move(c.url), next_seq_++, c.depth, std::nullopt, std::move(c.root)};
      again.refetch = true;
      seen_.MarkStarted(c.hash, -1);
      if (!config_.shared && !spilled_ && hosts_.queued() < config_.memory_items) {
        cursor_ = again.seq;
        Enqueue(again);
      } else {
        spilled_ = true;
        ++spills_;
      }
      return again;
    }
    // Already queued or fetched, now found nearer the root. The table keeps the smaller depth while
    // the URL is pending; an in-memory copy picks it up in Next(). No new seq, no new URL counted.
    return storage::FrontierItem{std::move(c.url), 0, c.depth, std::nullopt, std::move(c.root)};
  }
  // kNew, or kFull (unknown to the set: the table's key decides; known_ may then over-count).
  ++known_;
  // A check has no links to cut (a resource of a page at --depth is one hop past it).
  if (config_.max_depth > 0 && c.depth >= config_.max_depth && !check) depth_limit_hit_ = true;
  storage::FrontierItem item{std::move(c.url), next_seq_++, c.depth, std::nullopt, std::move(c.root)};
  item.source_kind = std::move(c.source_kind);
  item.source = std::move(c.source);
  item.resource_kind = std::move(c.resource_kind);
  if (!config_.shared && !spilled_ && seen != UrlSet::Insert::kFull && hosts_.queued() < config_.memory_items) {
    cursor_ = item.seq;  // everything pending up to here is in memory
    Enqueue(item);
  } else {
    if (!spilled_) spilled_ = true;
    ++spills_;
  }
  return item;
}

void Frontier::Enqueue(storage::FrontierItem item) {
  std::string host = urls::CanonicalOrigin(item.url);  // frontier URLs are canonical
  if (config_.lanes > 1) host += "#" + std::to_string(storage::HostLane(item.url, config_.lanes));
  hosts_.Add(std::move(item), host);
}

void Frontier::SetHostDelay(const std::string& origin, std::chrono::milliseconds gap) {
  if (config_.lanes <= 1) return hosts_.SetHostDelay(origin, gap);
  for (int k = 0; k < config_.lanes; ++k) hosts_.SetHostDelay(origin + "#" + std::to_string(k), gap * config_.lanes);
}

void Frontier::ReleaseDueRetries(Clock::time_point now) {
  while (!retries_.empty() && retries_.top().due <= now) {
    Waiting w = std::move(const_cast<Waiting&>(retries_.top()));
    retries_.pop();
    hosts_.AddFront(std::move(w.item), w.host);
  }
}

std::optional<Frontier::Ready> Frontier::Next(Clock::time_point now, bool checks) {
  ReleaseDueRetries(now);
  auto next = hosts_.Next(now, checks);
  if (!next) return std::nullopt;
  Ready r{std::move(next->first), std::move(next->second)};
  ++in_flight_;
  // A URL found again at a smaller depth while it waited here goes out at that depth. (A list crawl
  // discovers nothing: no hash to compute on its hot path.)
  if (config_.max_depth > 0) {
    uint64_t hash = XXH3_64bits(r.item.url.data(), r.item.url.size());
    if (auto d = seen_.Depth(hash); d && *d < r.item.depth) r.item.depth = *d;
  }
  return r;
}

std::optional<Frontier::Clock::time_point> Frontier::NextWake() const {
  auto wake = hosts_.NextWake();
  if (config_.shared && !refilling_ && hosts_.queued() < config_.memory_items / 2 && (!wake || next_claim_ < *wake)) {
    wake = next_claim_;
  }
  if (!retries_.empty() && (!wake || retries_.top().due < *wake)) wake = retries_.top().due;
  return wake;
}

void Frontier::Done(const std::string& host) {
  hosts_.Done(host);
  for (const std::string& url : hosts_.TakeLeft()) GiveBack(url);
  ++dones_;
  if (in_flight_ > 0) --in_flight_;
}

void Frontier::Recorded(uint64_t hash, int64_t depth) {
  seen_.MarkStarted(hash, int32_t(depth));
  if (config_.max_depth > 0 && depth >= config_.max_depth) depth_limit_hit_ = true;
}

void Frontier::Retry(storage::FrontierItem item, const std::string& host, Clock::time_point after, bool slow_host) {
  if (slow_host) hosts_.SlowDown(host, after);
  retries_.push(Waiting{after, retry_order_++, std::move(item), host});
}

std::optional<Frontier::RefillRequest> Frontier::TakeRefillRequest() {
  if (config_.shared) {
    // Hosts to give back go out at once, however full memory is: another worker waits for them.
    if (refilling_ || (hosts_.queued() >= config_.memory_items / 2 && release_.empty())) return std::nullopt;
    // Claim when the poll is due, or at once when this worker's own results may have finished the run
    // (nothing queued here) or it queued URLs the claim may hand back.
    bool news = (hosts_.queued() == 0 && retries_.empty() && (dones_ != dones_at_claim_ || spills_ != spills_at_claim_)) ||
                !release_.empty();  // hosts to give back: at once
    if (!news && Clock::now() < next_claim_) return std::nullopt;
    refilling_ = true;
    dones_at_claim_ = dones_;
    spills_at_claim_ = spills_;
    size_t room = hosts_.queued() < config_.memory_items ? config_.memory_items - hosts_.queued() : 0;
    RefillRequest request{0, room, spills_, {}};
    request.release = std::move(release_);
    release_.clear();
    return request;
  }
  if (!spilled_ || refilling_) return std::nullopt;
  // Refill at half the memory budget, to the full budget: a few large reads, not one per URL.
  size_t have = hosts_.queued();
  if (have >= config_.memory_items / 2) return std::nullopt;
  refilling_ = true;
  size_t limit = config_.memory_items - have;
  if (!refilled_ && config_.first_refill > 0) limit = std::min(limit, config_.first_refill);
  refilled_ = true;
  return RefillRequest{cursor_, limit, spills_, {}};
}

void Frontier::OnRefill(const RefillRequest& request, std::vector<storage::FrontierItem> items) {
  refilling_ = false;
  bool short_read = items.size() < request.limit;
  for (auto& item : items) {
    cursor_ = std::max(cursor_, item.seq);
    // The table has the URL's smallest depth; remember it so that finding it again adds nothing. A list
    // crawl finds nothing: it keeps no set (a million listed URLs would be 32 MB of it).
    if (config_.max_depth > 0) seen_.Add(XXH3_64bits(item.url.data(), item.url.size()), int32_t(item.depth));
    Enqueue(std::move(item));
  }
  // A short read means the table had nothing more after the cursor when it was read; only URLs spilled
  // since the request was made can be there now.
  if (short_read && spills_ == request.spill_mark) spilled_ = false;
}

}  // namespace gc

namespace gc {

void Frontier::OnClaim(const RefillRequest& request, std::vector<storage::FrontierItem> items, int64_t run_pending,
                       int64_t run_known, Clock::time_point now, int64_t give_back) {
  refilling_ = false;
  // This claim freed the hosts it gave back (before it took anything): their URLs are others' now.
  for (const std::string& key : request.release) given_back_.erase(key);
  run_pending_ = run_pending;
  known_ = std::max(known_, run_known);  // --max-pages counts every worker's URLs
  if (config_.max_pages > 0 && known_ >= config_.max_pages) max_pages_reached_ = true;
  // A full claim may have left more: claim again as soon as memory allows; else poll (sooner while newly
  // idle: FrontierConfig::first_poll). Hosts to give back (below) are named at once.
  if (items.size() >= request.limit) {
    next_claim_ = now;
  } else if (items.empty() && hosts_.queued() == 0 && retries_.empty() && in_flight_ == 0) {
    if (!idle_since_) idle_since_ = now;
    auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(now - *idle_since_);
    next_claim_ = now + std::clamp(idle / 4, config_.first_poll, std::max(config_.first_poll, config_.poll));
  } else {
    next_claim_ = now + config_.poll;
  }
  // Idle time counts from the first claim that found this worker with nothing at all: while transfers
  // were still running, the end of each one claimed anyway (TakeRefillRequest's `news`).
  if (!items.empty() || in_flight_ > 0) idle_since_.reset();
  for (auto& item : items) {
    if (config_.max_depth > 0) seen_.Add(XXH3_64bits(item.url.data(), item.url.size()), int32_t(item.depth));
    // Of a host given back since this claim was asked for: the next claim frees the URL's lease too.
    if (!given_back_.empty() && given_back_.count(storage::HostKey(item.url, config_.lanes))) continue;
    Enqueue(std::move(item));
  }
  // After the claim's URLs are queued, so that a host leaving now takes those along. Hosts already on
  // their way back count against what is asked: a claim while they finish their transfers asks for the
  // same surplus again.
  int64_t more = give_back - int64_t(hosts_.leaving() + release_.size());
  if (more > 0) {
    for (const std::string& url : hosts_.Leave(size_t(more))) GiveBack(url);
  }
  if (!release_.empty()) next_claim_ = now;
}

void Frontier::GiveBack(const std::string& url) {
  std::string key = storage::HostKey(url, config_.lanes);
  given_back_.insert(key);
  release_.push_back(std::move(key));
}

}  // namespace gc
