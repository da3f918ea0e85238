#include "crawler/host_scheduler.h"

#include <algorithm>
#include <cstdlib>

namespace gc {

HostScheduler::Host& HostScheduler::Get(const std::string& name) {
  auto [it, added] = hosts_.try_emplace(name);
  if (added) {
    int cap = per_host_;
    if (lanes_ > 1) {
      size_t hash = name.rfind('#');
      int k = hash == std::string::npos ? 0 : std::atoi(name.c_str() + hash + 1);
      cap = std::max(1, per_host_ / lanes_ + (k < per_host_ % lanes_ ? 1 : 0));
    }
    it->second.cap = cap;
  }
  return it->second;
}

void HostScheduler::Add(storage::FrontierItem item, const std::string& host) {
  if (leaving_ > 0 && Dropped(host)) return;
  Host& h = Get(host);
  queued_checks_ += IsCheck(item);
  h.queue.push_back(std::move(item));
  ++queued_;
  if (!h.scheduled && h.in_flight < h.cap) Schedule(host, h);
}

void HostScheduler::SetHostDelay(const std::string& host, std::chrono::milliseconds gap) {
  if (gap > delay_) host_delay_[host] = gap;
}

std::chrono::milliseconds HostScheduler::DelayFor(const std::string& host) const {
  if (host_delay_.empty()) return delay_;
  auto it = host_delay_.find(host);
  return it == host_delay_.end() ? delay_ : it->second;
}

void HostScheduler::Schedule(const std::string& name, Host& h) {
  h.scheduled = true;
  if (h.next_start > Clock::now()) {
    delayed_.emplace(h.next_start, name);
  } else {
    ready_.push_back(name);
  }
}

std::optional<std::pair<storage::FrontierItem, std::string>> HostScheduler::Next(Clock::time_point now, bool checks) {
  while (!delayed_.empty() && delayed_.top().first <= now) {
    ready_.push_back(delayed_.top().second);
    delayed_.pop();
  }
  for (;;) {
    // Hosts set aside for their checks have waited longest: first once checks may start again.
    std::deque<std::string>& from = checks && !parked_.empty() ? parked_ : ready_;
    if (from.empty()) break;
    std::string name = std::move(from.front());
    from.pop_front();
    auto it = hosts_.find(name);
    if (it == hosts_.end()) continue;
    Host& h = it->second;
    h.scheduled = false;
    if (h.queue.empty() || h.in_flight >= h.cap) continue;
    if (h.next_start > now) {
      h.scheduled = true;
      delayed_.emplace(h.next_start, name);
      continue;
    }
    if (!checks && IsCheck(h.queue.front())) {
      h.scheduled = true;  // still in line: parked_ is part of the ready line
      parked_.push_back(std::move(name));
      continue;
    }
    storage::FrontierItem item = std::move(h.queue.front());
    h.queue.pop_front();
    --queued_;
    queued_checks_ -= IsCheck(item);
    ++h.in_flight;
    h.next_start = now + DelayFor(name);
    if (!h.queue.empty() && h.in_flight < h.cap) Schedule(name, h);  // round-robin: to the back
    return std::make_pair(std::move(item), std::move(name));
  }
  return std::nullopt;
}

void HostScheduler::Done(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;
  Host& h = it->second;
  --h.in_flight;
  if (!h.leaving.empty()) {
    if (h.in_flight == 0) {
      left_.push_back(std::move(h.leaving));
      --leaving_;
      hosts_.erase(it);
    }
    return;
  }
  if (!h.queue.empty()) {
    if (!h.scheduled) Schedule(host, h);
  } else if (h.in_flight == 0 && h.next_start <= Clock::now()) {
    hosts_.erase(it);  // bounded memory: only hosts with work (or a gap still running) are kept
  }
}

void HostScheduler::AddFront(storage::FrontierItem item, const std::string& host) {
  if (leaving_ > 0 && Dropped(host)) return;
  Host& h = Get(host);
  queued_checks_ += IsCheck(item);
  h.queue.push_front(std::move(item));
  ++queued_;
  if (!h.scheduled && h.in_flight < h.cap) Schedule(host, h);
}

void HostScheduler::SlowDown(const std::string& host, Clock::time_point until) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;  // nothing queued or in flight: nothing to hold back
  Host& h = it->second;
  h.next_start = std::max(h.next_start, until);
}

std::vector<std::string> HostScheduler::Leave(size_t n) {
  std::vector<std::string> now;
  size_t taken = 0;
  // Idle hosts first: they leave at once, and their URLs go to another worker sooner.
  for (bool busy : {false, true}) {
    for (auto it = hosts_.begin(); it != hosts_.end() && taken < n;) {
      Host& h = it->second;
      if (!h.leaving.empty() || h.queue.empty() || (h.in_flight > 0) != busy) {
        ++it;
        continue;
      }
      ++taken;
      std::string url = h.queue.front().url;
      for (const storage::FrontierItem& item : h.queue) queued_checks_ -= IsCheck(item);
      queued_ -= h.queue.size();
      h.queue.clear();
      if (h.in_flight == 0) {
        // Its name may still be in ready_, parked_ or delayed_: Next() skips a name it does not find, and
        // one added again later at worst comes up twice (each time checked against its cap and gap).
        now.push_back(std::move(url));
        it = hosts_.erase(it);
      } else {
        h.leaving = std::move(url);
        ++leaving_;
        ++it;
      }
    }
  }
  return now;
}

bool HostScheduler::Dropped(const std::string& host) {
  auto it = hosts_.find(host);
  return it != hosts_.end() && !it->second.leaving.empty();
}

std::optional<HostScheduler::Clock::time_point> HostScheduler::NextWake() const {
  if (delayed_.empty()) return std::nullopt;
  return delayed_.top().first;
}

}  // namespace gc
