// How the HTML report writes numbers for people: "1,204", "3.4 MiB", "212 ms", "4 min 5 s", "12%".
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>

#include "storage/inspect.h"

namespace gc::report {

std::string Count(int64_t v);                     // 1,234,567
std::string Bytes(double v);                      // 512 B, 1 kB, 3.4 MB (SI units, as on a log axis)
std::string Ms(double ms);                        // 0.42 ms, 2.5 ms, 212 ms, 1.25 s
std::string Duration(double s);                   // 9.50 s, 4 min 5 s, 2 h 3 min
std::string Percent(int64_t part, int64_t whole);  // "12%", "0.4%"; "" when whole is 0
std::string Printf(const char* format, double v);  // one double through snprintf
std::string Fixed(double v, int digits);          // 3.1 for (3.14159, 1): `digits` after the point, any size

// The headline's numbers for machines, in `report --json` and the page's data-value attributes alike:
// whole numbers as integers ("1204"), others with three decimals ("12.345").
std::string HeadlineNumber(double v);

// The words every format uses for the report's sections of broken and blocked URLs (storage/
// run_queries.h kSourceGroups): "Pages", "Links to other sites", "Listed in sitemaps", "Page resources".
std::string GroupTitle(const std::string& group);
// Where a broken URL came from when no crawled page links to it: "list line 3", "in sitemap URL",
// "listed" (an older row that does not say). Empty when pages link to it (list them instead).
std::string Origin(const storage::BrokenLink& b);

}  // namespace gc::report
