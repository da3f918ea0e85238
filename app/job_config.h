// Job files: a crawl's settings in TOML, so a timer can run `greencrawl crawl --config nightly.toml`.
// Keys are the long option names of `greencrawl crawl` (list = the LIST argument):
//
//   list = "/srv/lists/nightly.txt"
//   db = "/var/lib/greencrawl/nightly.db"
//   concurrency = 32
//   per-host = 4
//   header = ["Accept-Language: en"]
//   fail-on = ["errors>5%", "changed>0"]
//
// Options given on the command line win over the file.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "app/crawl.h"

namespace gc {

// "FILE:LINE: what is wrong" — for a syntax error, an unknown key, or a value of the wrong type.
struct JobFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sets every option of `path` for which `given_on_command_line(key)` is false.
void ApplyJobFile(const std::string& path, CrawlOptions& options,
                  const std::function<bool(const std::string& key)>& given_on_command_line);

// The effective settings as a job file (for --print-config).
std::string EffectiveConfig(const CrawlOptions& options);

}  // namespace gc
