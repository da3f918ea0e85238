// HostScheduler: which queued URL may start next, under a per-host in-flight cap and a per-host gap
// between request starts, without letting a host that waits its turn hold up the others. Plain data
// structure, no I/O; the crawl's dispatcher greenlet drives it. Hub thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/result_store.h"

namespace gc {

// A check (a link to another site, a page's resource: crawl -r, --check-resources) rather than a page:
// fetched once, never parsed.
inline bool IsCheck(const storage::FrontierItem& item) {
  return item.source_kind == "external" || item.source_kind == "resource";
}

class HostScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  // per_host <= 0: no per-host cap. delay_ms: minimum gap between two request starts to one host.
  // lanes > 1: host names are lanes "origin#k" (FrontierConfig::lanes) sharing the origin's per_host: lane k
  // may have per_host / lanes in flight, one more for k < per_host % lanes (at least 1).
  HostScheduler(int per_host, int delay_ms, int lanes = 1)
      : per_host_(per_host <= 0 ? 1 << 30 : per_host), delay_(delay_ms), lanes_(per_host <= 0 ? 1 : lanes) {}

  void Add(storage::FrontierItem item, const std::string& host);
  // The next URL allowed to start at `now` (its host is charged for it), or nullopt. With `checks` false,
  // no check (IsCheck) is started: a host whose next URL is one is set aside, keeping its turn, until a
  // call allows checks again (then such hosts go first). Each host is set aside at most once per turn, so
  // a crawl whose pages wait behind thousands of check-only hosts does not rescan them on every call.
  std::optional<std::pair<storage::FrontierItem, std::string>> Next(Clock::time_point now, bool checks = true);
  // A request to `host` ended.
  void Done(const std::string& host);
  // Puts `item` at the front of its host's queue (a retry whose backoff has passed).
  void AddFront(storage::FrontierItem item, const std::string& host);
  // Keeps `host` from starting anything before `until` (the server asked: 429, 503, Retry-After).
  void SlowDown(const std::string& host, Clock::time_point until);
  // A longer gap for one host (robots.txt Crawl-delay); never shortens the configured one.
  void SetHostDelay(const std::string& host, std::chrono::milliseconds gap);
  // A shared run's worker giving hosts back: up to `n` hosts with URLs queued (those with nothing in flight
  // first) forget their queued URLs and start nothing more; URLs added to them later are dropped too. A
  // host with nothing in flight has left at once, one with transfers running leaves when the last ends.
  // Each host that has left is named by a URL of it (its first queued one): those that left now are
  // returned, the later ones by TakeLeft().
  std::vector<std::string> Leave(size_t n);
  std::vector<std::string> TakeLeft() { return std::exchange(left_, {}); }
  size_t leaving() const { return leaving_; }  // hosts still finishing their transfers before they leave
  // When a host that waits for its gap becomes ready, if any does.
  std::optional<Clock::time_point> NextWake() const;

  size_t queued() const { return queued_; }
  size_t queued_pages() const { return queued_ - queued_checks_; }  // queued URLs that are not checks
  size_t hosts() const { return hosts_.size(); }

 private:
  struct Host {
    std::deque<storage::FrontierItem> queue;
    int in_flight = 0;
    Clock::time_point next_start{};
    bool scheduled = false;  // in ready_ or delayed_
    std::string leaving;     // Leave(): a URL of the host, which leaves when nothing is in flight
    int cap = 0;             // in flight at most
  };
  Host& Get(const std::string& name);  // the host, made with its cap if new
  bool Dropped(const std::string& host);  // a leaving host's URLs are not queued
  using Delayed = std::pair<Clock::time_point, std::string>;

  void Schedule(const std::string& name, Host& h);
  std::chrono::milliseconds DelayFor(const std::string& host) const;

  int per_host_;
  std::chrono::milliseconds delay_;
  int lanes_;
  size_t queued_ = 0;
  size_t queued_checks_ = 0;
  std::unordered_map<std::string, Host> hosts_;
  std::unordered_map<std::string, std::chrono::milliseconds> host_delay_;
  std::deque<std::string> ready_;
  std::vector<std::string> left_;  // Leave(): URLs of hosts that have left since TakeLeft()
  size_t leaving_ = 0;
  std::deque<std::string> parked_;  // ready hosts whose next URL is a check, set aside by Next(now, false)
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<Delayed>> delayed_;
};

}  // namespace gc
