#include "app/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "text/escape.h"

namespace gc {

int TerminalWidth(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    int n = std::atoi(columns);
    if (n > 0) return n;
  }
  return 80;
}

Progress::Progress(std::ostream& out, Mode mode, int width, Start start)
    : out_(out),
      mode_(mode),
      // Cut one short of the width: writing the last column makes some terminals wrap at once.
      width_(size_t(std::max(width, 10)) - 1),
      total_(start.total),
      done_before_(start.done_before),
      errors_(start.errors_before) {}

Progress Progress::ForStderr(std::ostream& out, bool quiet, Start start) {
  if (quiet) return Progress(out, Mode::kQuiet, 80, start);
  bool tty = isatty(STDERR_FILENO) == 1;
  return Progress(out, tty ? Mode::kTerminal : Mode::kLog, tty ? TerminalWidth(STDERR_FILENO) : 80, start);
}

std::string Progress::Line(int in_flight) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? double(recorded_) / elapsed : 0;
  int64_t done = done_before_ + recorded_;
  int64_t total = std::max(total_, done);  // discoveries are announced after their page's result
  char buf[200];
  int n = std::snprintf(buf, sizeof buf, "%lld/%lld done, %.0f/s, %lld errors, %d in flight",
                        static_cast<long long>(done), static_cast<long long>(total), rate,
                        static_cast<long long>(errors_), in_flight);
  std::string line(buf, size_t(n));
  if (rate > 0 && total > done) {
    long long eta = static_cast<long long>(double(total - done) / rate);
    std::snprintf(buf, sizeof buf, ", ETA %lld:%02lld", eta / 60, eta % 60);
    line += buf;
  }
  return line;
}

void Progress::Tick(int in_flight) {
  if (mode_ == Mode::kQuiet) return;
  if (mode_ == Mode::kTerminal) {
    std::string line = Line(in_flight);
    if (line.size() > width_) line.resize(width_);
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

void Progress::RecordedUrl(const std::string& url, long status, const std::string& error) {
  if (!verbose_ || mode_ == Mode::kQuiet) return;
  Finish();  // the live line comes back at the next tick, below
  out_ << (error.empty() ? (status > 0 ? std::to_string(status) : "none") : "error:" + error) << " " << TerminalText(url)
       << "\n";
}

void Progress::Note(const std::string& text) {
  Finish();  // the live line comes back at the next tick, below
  out_ << text << std::flush;
}

void Progress::Stopping(const char* signal, double grace_s) {
  if (mode_ == Mode::kQuiet) return;
  Finish();
  out_ << "greencrawl: " << signal << ": stopping; in-flight transfers get " << grace_s
       << " s (again to stop now)\n" << std::flush;
}

void Progress::Finish() {
  if (mode_ != Mode::kTerminal || last_width_ == 0) return;
  out_ << "\r" << std::string(last_width_, ' ') << "\r" << std::flush;
  last_width_ = 0;
}

std::string WrapForTerminal(const std::string& line, int width) {
  if (width <= 20 || line.size() <= size_t(width)) return line;
  const size_t limit = size_t(width) - 1;
  std::string out, current;
  size_t start = 0;
  const std::string body = line.substr(0, line.size() - 1);
  while (start < body.size()) {
    size_t space = body.find(' ', start);
    std::string word = body.substr(start, space == std::string::npos ? std::string::npos : space - start);
    start = space == std::string::npos ? body.size() : space + 1;
    if (!current.empty() && current.size() + 1 + word.size() > limit) {
      out += current + "\n";
      current = "    " + word;  // deeper than the "  responses" lines that follow
    } else {
      current += (current.empty() ? "" : " ") + word;
    }
  }
  return out + current + "\n";
}

}  // namespace gc
