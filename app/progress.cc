#include "app/progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace gc {

Progress::Progress(std::ostream& out, bool quiet, int64_t total, int64_t done_before)
    : out_(out), quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1), total_(total), done_before_(done_before) {}

std::string Progress::Line(int in_flight) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? double(recorded_) / elapsed : 0;
  int64_t done = done_before_ + recorded_;
  char buf[200];
  int n = std::snprintf(buf, sizeof buf, "%lld/%lld done, %.0f/s, %lld errors, %d in flight",
                        static_cast<long long>(done), static_cast<long long>(total_), rate,
                        static_cast<long long>(errors_), in_flight);
  std::string line(buf, size_t(n));
  if (rate > 0 && total_ > done) {
    long long eta = static_cast<long long>(double(total_ - done) / rate);
    std::snprintf(buf, sizeof buf, ", ETA %lld:%02lld", eta / 60, eta % 60);
    line += buf;
  }
  return line;
}

void Progress::Tick(int in_flight) {
  if (quiet_) return;
  if (tty_) {
    std::string line = Line(in_flight);
    std::string pad(last_width_ > line.size() ? last_width_ - line.size() : 0, ' ');
    out_ << "\r" << line << pad << std::flush;
    last_width_ = line.size();
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (now - last_log_ >= std::chrono::seconds(60)) {
    last_log_ = now;
    out_ << "greencrawl: progress: " << Line(in_flight) << "\n" << std::flush;
  }
}

void Progress::Finish() {
  if (quiet_ || !tty_ || last_width_ == 0) return;
  out_ << "\r" << std::string(last_width_, ' ') << "\r" << std::flush;
  last_width_ = 0;
}

}  // namespace gc
