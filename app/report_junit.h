// `greencrawl report --format junit`: a run as a JUnit XML report for CI (as lychee's and muffet's
// `--format junit`): one <testcase> per result, classname = the URL's host, a <failure> for each broken
// one (storage::AcceptSet), <skipped> for each blocked one (a bot wall is not the site's fault). Streamed
// row by row: constant memory for any run. Everything from the database is escaped for XML 1.0.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "storage/inspect.h"

namespace gc {

// Writes the report of run `run_id` to `out`, judging broken with `in`'s accept set for that run.
void WriteJunit(storage::Inspector& in, int64_t run_id, std::ostream& out);

// `s` as XML 1.0 character data or attribute text: & < > " ' escaped, tab/CR/LF as character references,
// other control characters, invalid UTF-8 and U+FFFE/U+FFFF (not XML characters) as U+FFFD; cut at
// about `max_bytes` on a character boundary ("…" marks the cut).
std::string XmlEscape(std::string_view s, size_t max_bytes = 4096);

}  // namespace gc
