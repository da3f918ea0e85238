// Text clean-up for values we store: valid UTF-8, no NULs or control characters, whitespace collapsed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gc {

// Replaces every invalid UTF-8 sequence with U+FFFD (one per maximal invalid subpart, as WHATWG's
// decoder does), drops NUL and other C0 controls except tab/newline, collapses runs of ASCII whitespace
// to one space, trims, and cuts to at most max_bytes without splitting a character.
std::string CleanText(std::string_view in, size_t max_bytes);

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 if it is invalid (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF). i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

}  // namespace gc
