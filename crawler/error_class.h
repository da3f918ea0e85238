// The stable error classes a result can end with. Users query them (`WHERE error = 'timeout'`) and
// scripts match on them: add new ones, never rename. docs/errors.md documents each.
#pragma once

#include <curl/curl.h>

#include <string>

namespace gc::error_class {

inline constexpr const char* kDns = "dns";                    // host name did not resolve
inline constexpr const char* kConnect = "connect";            // TCP connection refused or unreachable
inline constexpr const char* kTls = "tls";                    // handshake or certificate failure
inline constexpr const char* kTimeout = "timeout";            // total, connect or low-speed limit hit
inline constexpr const char* kReset = "reset";                // connection reset / broken while receiving
inline constexpr const char* kEmptyResponse = "empty_response";  // closed without sending a response
inline constexpr const char* kPartial = "partial";            // body shorter than announced
inline constexpr const char* kTooManyRedirects = "too_many_redirects";
inline constexpr const char* kTooLarge = "too_large";         // decoded body over --max-size
inline constexpr const char* kBadResponse = "bad_response";   // not valid HTTP (status line, headers, framing)
inline constexpr const char* kBadEncoding = "bad_encoding";   // Content-Encoding could not be decoded
inline constexpr const char* kUnsupportedScheme = "unsupported_scheme";  // not http(s), also on redirect
inline constexpr const char* kInvalidUrl = "invalid_url";     // not a URL at all
inline constexpr const char* kCredentialRedirect = "credential_redirect";  // redirect elsewhere with credentials: not followed
inline constexpr const char* kPrivateAddress = "private_address";  // refused: a non-public address (SSRF guard)
inline constexpr const char* kRobots = "robots";              // refused by robots.txt
inline constexpr const char* kRobotsUnavailable = "robots_unavailable";  // its robots.txt answered 5xx
inline constexpr const char* kAborted = "aborted";            // the crawl stopped before the transfer ended
inline constexpr const char* kBlocked = "blocked";            // a bot wall or challenge (crawler/blocked.h)
inline constexpr const char* kParseLimit = "parse_limit";     // the page went over the parser's budget
inline constexpr const char* kOther = "other";                // anything else; see error_message

// Maps a finished transfer's libcurl code to its class. `body_cap_hit` says the write callback stopped
// the transfer because the decoded body passed the cap.
std::string FromCurl(CURLcode code, bool body_cap_hit);

// True when libcurl ended a transfer with `code` and `message` (its error buffer) because the response
// was not valid HTTP, which libcurl 7.88 reports as CURLE_RECV_ERROR like a reset connection: malformed
// chunked encoding, or a header block (1xx interim responses included) over its 300 KB limit. These are
// bad_response, never retried, not reset.
bool IsMalformedResponse(CURLcode code, const char* message);

}  // namespace gc::error_class
