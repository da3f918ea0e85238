// Progress: what a crawl tells a person while it runs. On a terminal, one line redrawn a few times a
// second (done/total, rate, errors, in flight, ETA); elsewhere (cron, systemd) a plain line a minute,
// no carriage returns or colour. Hub thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>

#include "crawler/observer.h"

namespace gc {

class Progress : public CrawlObserver {
 public:
  Progress(std::ostream& out, bool quiet, int64_t total, int64_t done_before);
  void Recorded(bool error) override {
    ++recorded_;
    if (error) ++errors_;
  }
  // Called every 250 ms by the crawl.
  void Tick(int in_flight) override;
  // Clears the live line.
  void Finish();
  int64_t recorded() const { return recorded_; }

 private:
  std::string Line(int in_flight) const;
  std::ostream& out_;
  bool quiet_;
  bool tty_;
  int64_t total_;
  int64_t done_before_;
  int64_t recorded_ = 0;
  int64_t errors_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_log_ = start_;
  size_t last_width_ = 0;
};

}  // namespace gc
