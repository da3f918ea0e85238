// Page encodings: gumbo reads UTF-8 only, so a page in another encoding is converted first (iconv, in
// glibc). The encoding is decided as the HTML standard's sniffing does, simplified: a byte order mark,
// then the Content-Type charset, then a <meta charset> or http-equiv Content-Type in the first 1,024
// bytes, else UTF-8 when the bytes are valid UTF-8 and windows-1252 when not. Labels map as WHATWG's
// Encoding standard says for the common cases (iso-8859-1 and us-ascii are windows-1252). Any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gc {

// The encoding `body` is in, as an iconv name ("UTF-8", "WINDOWS-1252", "SHIFT_JIS", "UTF-16LE", ...).
std::string SniffCharset(std::string_view body, std::string_view content_type);

// `body` converted to UTF-8 when it is in another encoding (invalid input becomes U+FFFD), nullopt when it
// is UTF-8 already or the encoding is unknown to iconv (then it is parsed as UTF-8, as before).
std::optional<std::string> ToUtf8(std::string_view body, std::string_view content_type);

}  // namespace gc
