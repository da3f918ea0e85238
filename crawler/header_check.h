// HeaderCheck: bounds and sanity rules for the response headers of one transfer, fed line by line as
// libcurl's CURLOPT_HEADERFUNCTION delivers them (status line first, CRLF included, for every response of
// the transfer: 1xx, each redirect hop, the final one). Plain data, no I/O; any thread, one transfer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gc {

class HeaderCheck {
 public:
  // Our own bound on one response's header block, below libcurl's (300 KiB since the CVE-2023-38039 fix,
  // reported as a receive error): a refusal here is a clean bad_response whatever the libcurl version.
  static constexpr size_t kMaxBytes = 256 * 1024;

  enum class Verdict {
    kOk,
    kTooLarge,            // the response's header lines passed kMaxBytes
    kConflictingLength,   // Content-Length values that disagree (RFC 9112 6.3: unrecoverable)
  };

  // Takes one header line. A line starting "HTTP/" begins a new response and resets the per-response
  // state. Once a verdict is not kOk the caller aborts the transfer. May throw std::bad_alloc.
  Verdict Add(std::string_view line);

  // The Location header of the latest response, as sent (trimmed); empty when it had none.
  const std::string& location() const { return location_; }

 private:
  size_t bytes_ = 0;
  std::string length_;  // the Content-Length value seen in this response, empty if none yet
  std::string location_;
};

// The scheme of a URL reference per RFC 3986 (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"), lower-cased;
// empty for a relative reference such as "/path" or "//host/path".
std::string SchemeOf(std::string_view reference);

}  // namespace gc
