// Progress: what a crawl tells a person while it runs. On a terminal, one line redrawn a few times a
// second (done/total, rate, errors, in flight, ETA), cut to the terminal's width so a redraw never wraps
// onto a new line; elsewhere (cron, systemd) a plain line a minute, no carriage returns or colour.
// The total grows as links are discovered; counts start from what the run already holds (a resumed run,
// malformed list lines), so they never restart at 0. Hub thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "crawler/observer.h"

namespace gc {

class Progress : public CrawlObserver {
 public:
  struct Start {
    int64_t total = 0;          // URLs in the run so far: recorded + pending
    int64_t done_before = 0;    // results the run already holds
    int64_t errors_before = 0;  // of which with an error class (malformed list lines included)
  };
  enum class Mode { kQuiet, kTerminal, kLog };
  // `width`: the terminal's columns (kTerminal); lines are cut to width - 1.
  Progress(std::ostream& out, Mode mode, int width, Start start);
  // Quiet, or the terminal on stderr (its width from TIOCGWINSZ, else $COLUMNS, else 80), or a log.
  static Progress ForStderr(std::ostream& out, bool quiet, Start start);

  void Recorded(bool error) override {
    ++recorded_;
    if (error) ++errors_;
  }
  void Discovered(int64_t n) override { total_ += n; }
  // -v: one line per URL ("200 http://...", "error:dns http://..."), above the live line.
  void RecordedUrl(const std::string& url, long status, const std::string& error) override;
  void set_verbose(bool on) { verbose_ = on; }
  void Note(const std::string& text) override;
  // "greencrawl: SIGINT: stopping; ...", above the live line; nothing when quiet.
  void Stopping(const char* signal, double grace_s) override;
  // Called every 250 ms by the crawl.
  void Tick(int in_flight) override;
  // Clears the live line.
  void Finish();
  int64_t recorded() const { return recorded_; }
  int64_t total() const { return total_; }

 private:
  std::string Line(int in_flight) const;
  std::ostream& out_;
  Mode mode_;
  size_t width_;
  int64_t total_;
  int64_t done_before_;
  int64_t errors_;
  int64_t recorded_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_log_ = start_;
  size_t last_width_ = 0;
  bool verbose_ = false;
};

// The terminal width of `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int TerminalWidth(int fd);

// `line` (ending in '\n') broken between words to fit `width` columns, the rest indented by 4; unchanged
// when width is 0 (a log, where the summary's first line stands alone: one line per run) or when it fits.
// A terminal would otherwise wrap it mid-word.
std::string WrapForTerminal(const std::string& line, int width);

}  // namespace gc
