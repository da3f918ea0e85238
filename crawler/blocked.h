// Bot walls and challenge pages: answers that keep a crawler out rather than say anything about the page
// (lychee's most reported false "broken" links are these). Such a result is recorded with error class
// `blocked` and its HTTP status kept; reports count it apart from broken links (docs/errors.md).
// Pure functions, any thread.
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

#include "crawler/fetcher.h"

namespace gc {

// The longest Retry-After a crawl waits for before retrying a 429 or 503. A 429 asking for longer is a
// block, not a delay: it is recorded at once as `blocked`, not retried early against the server's word.
inline constexpr std::chrono::seconds kMaxRetryAfter{300};

// Only this much of a 403, 429 or 503 body is searched for a challenge title and markers: they sit in the
// <head> or the first script of the page, and a bounded look keeps the check cheap whatever the server
// sends. Not the parser's title: the check comes before the retry decision, which comes before the parse
// (and a wall is not retried).
inline constexpr size_t kBlockedBodyLook = 8 * 1024;

// Why `r` is a block, in a few words for error_message ("cf-mitigated: challenge", "challenge page: title
// 'Just a moment...'", "429 with Retry-After 3600 s, over the 300 s a crawl waits"), or "" when it is
// not. Looks at the Cloudflare `cf-mitigated` header, a 429's Retry-After (seconds or an HTTP date,
// against `now`), and for 403, 429 and 503 at the <title> and markers in the first kBlockedBodyLook
// bytes of the body. Only for responses without a transport error.
std::string BlockedReason(const Response& r, std::time_t now);

}  // namespace gc
