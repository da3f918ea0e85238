// --fail-on thresholds: "errors>5%", "broken>10", "changed>0". A crossed threshold turns a completed run's
// exit code into kExitThreshold, so cron mail and systemd OnFailure= fire only when they should.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gc {

struct Threshold {
  // errors (results with an error class), broken (storage::AcceptSet::Broken), changed, blocked
  std::string metric;
  double limit = 0;
  bool percent = false;  // of all results
  std::string text;      // as given
};

// Parses "METRIC>N" or "METRIC>N%"; nullopt with `why` set when malformed.
std::optional<Threshold> ParseThreshold(const std::string& text, std::string* why);

struct RunMetrics {
  int64_t results = 0, errors = 0, broken = 0, changed = 0, blocked = 0;
};

// The thresholds crossed, each described in one line.
std::vector<std::string> Crossed(const std::vector<Threshold>& thresholds, const RunMetrics& m);

}  // namespace gc
