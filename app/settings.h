// The crawl's settings: ONE table that drives both `greencrawl crawl`'s command-line options and the
// keys of a job file — same names, types, ranges and messages. cli.cc registers an option per row;
// job_config.cc reads a key per row; both convert the raw value to a SettingValue, Check() it, then
// Assign() it. Adding a setting is adding a row here (and a field in crawler/options.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "crawler/options.h"

namespace gc {

using SettingField = std::variant<int CrawlOptions::*, int64_t CrawlOptions::*, double CrawlOptions::*,
                                  bool CrawlOptions::*, std::string CrawlOptions::*,
                                  std::vector<std::string> CrawlOptions::*>;
using SettingValue = std::variant<int64_t, double, bool, std::string, std::vector<std::string>>;

struct Setting {
  enum class Type { kInt, kNumber, kFlag, kText, kList };
  std::string name;        // the long option and the job-file key: "per-host"
  std::string short_name;  // "" or one letter: "q" for -q
  Type type;
  std::string value_name;  // in --help: "N", "MS", "SIZE"; "" for flags
  std::string help;
  SettingField field;
  double min = 0, max = 0;            // kInt and kNumber: inclusive range
  std::vector<std::string> choices;   // kText: the allowed values, when a closed set
  // kText and kList (each item): "" when `text` is acceptable, else why not ("not a size (try 64M)").
  std::function<std::string(const std::string& text)> check;
  bool positional = false;            // the LIST argument (no --list option)
};

// Every setting, in --help order.
const std::vector<Setting>& Settings();
// The row named `name` (long name), or nullptr.
const Setting* FindSetting(const std::string& name);

// "an integer from 1 to 100000", "a size such as 64M", "host, domain, prefix or any": what a value must be.
std::string Expected(const Setting& s);
// Converts a command-line value (flags: not called). "" and `out` set, or the message.
std::string ParseText(const Setting& s, const std::string& text, SettingValue& out);
// "" when `v` is acceptable for `s`, else the message: "must be an integer from 1 to 100000 (not 0)".
// The same words whether the value came from the command line or a job file.
std::string Check(const Setting& s, const SettingValue& v);
// Stores a checked value in its field.
void Assign(const Setting& s, const SettingValue& v, CrawlOptions& o);
// The field's current value (for --print-config and --help defaults).
SettingValue Current(const Setting& s, const CrawlOptions& o);
// Derived fields, after every setting is in: max_size and limit_rate from their text; -r without a
// depth means depth 5 (wget's).
void Finalize(CrawlOptions& o);

// The command that runs these settings again, e.g. to continue an interrupted run with resume set:
// "greencrawl crawl --db nightly.db --depth 2 --resume list.txt". Only settings that differ from the
// defaults, each quoted for a POSIX shell when it needs to be.
std::string CommandLine(const CrawlOptions& o);

// The candidate nearest to `word` (edit distance at most a third of its length, at least 1), or "".
std::string Nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace gc
