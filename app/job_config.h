// Job files: a crawl's settings in TOML, so a timer can run `greencrawl crawl --config nightly.toml`.
// Keys are the long option names of `greencrawl crawl` (list = the LIST argument), read through the same
// table as the command line (app/settings.h): same types, ranges and messages.
//
//   list = "/srv/lists/nightly.txt"
//   db = "/var/lib/greencrawl/nightly.db"
//   concurrency = 32
//   per-host = 4
//   header = ["Accept-Language: en"]
//   fail-on = ["errors>5%", "changed>0"]
//
// Options given on the command line win over the file (cli.cc applies them after the file).
#pragma once

#include <stdexcept>
#include <string>

#include "crawler/options.h"

namespace gc {

// "FILE:LINE: what is wrong" — a syntax error, an unknown key (with the nearest known one), or a value of
// the wrong type or out of range (in the words the command line uses).
struct JobFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sets every setting `path` holds. Relative paths in it (list, db, cacert, report-html) are read from the
// file's folder, not the current directory. Throws JobFileError.
void ApplyJobFile(const std::string& path, CrawlOptions& options);

// As ApplyJobFile, for a job file's text; `name` stands for the file in messages.
void ApplyJobText(const std::string& text, const std::string& name, CrawlOptions& options);

// The settings every worker of a shared run uses, as a job file (stored in runs.options, "settings"):
// not the list, the database, output or credentials (see job_config.cc).
std::string WorkerConfig(const CrawlOptions& options);

// The effective settings as a job file (for --print-config).
std::string EffectiveConfig(const CrawlOptions& options);

}  // namespace gc
