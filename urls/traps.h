// Crawler-trap heuristics on one URL's shape, for recursive crawls: pages that link to ever longer
// versions of themselves (a relative link on a page that answers every path, /a/b/a/b/a/b/...).
// Pure functions, any thread.
#pragma once

#include <string_view>

namespace gc::urls {

inline constexpr int kMaxPathSegments = 64;
inline constexpr int kMaxSegmentRepeats = 3;

// True when the path of absolute URL `url` has more than kMaxPathSegments segments, one non-empty
// segment more than kMaxSegmentRepeats times, or a run of 1-3 segments repeated 3 times in a row
// (/x/y/x/y/x/y). Documented in README "Following links".
bool LooksLikeTrap(std::string_view url);

}  // namespace gc::urls
