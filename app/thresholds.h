// --fail-on thresholds: "errors>5%", "broken>10", "changed>0", "new-broken>0", "broken-for>3". A crossed threshold turns a completed run's
// exit code into kExitThreshold, so cron mail and systemd OnFailure= fire only when they should.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gc {

struct Threshold {
  // errors (results with an error class), broken (storage::AcceptSet::Broken), changed, blocked,
  // new-broken (broken now, not in the list's previous completed run), broken-for (URLs broken more than
  // N runs in a row; never a percentage). The last two read the list's history (storage/history.h).
  std::string metric;
  double limit = 0;
  bool percent = false;  // of all results
  std::string text;      // as given
};

// Parses "METRIC>N" or "METRIC>N%"; nullopt with `why` set when malformed.
std::optional<Threshold> ParseThreshold(const std::string& text, std::string* why);

struct RunMetrics {
  int64_t results = 0, errors = 0, broken = 0, changed = 0, new_broken = 0, blocked = 0;
  std::map<int64_t, int64_t> broken_streaks;  // runs in a row broken -> URLs (BrokenHistory::by_streak)
};

// True when a threshold reads the list's history (new-broken, broken-for): only then is it computed.
bool NeedsHistory(const std::vector<Threshold>& thresholds);
// How many runs back a streak must be followed to decide every broken-for threshold (at least 1).
int64_t StreakNeeded(const std::vector<Threshold>& thresholds);

// The thresholds crossed, each described in one line.
std::vector<std::string> Crossed(const std::vector<Threshold>& thresholds, const RunMetrics& m);

}  // namespace gc
