// UTF-8, decoded once for the whole program (RFC 3629): the one place that knows which byte sequences are
// characters. Pure functions, safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gc {

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 if it is invalid (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF). i < s.size(). When `truncated` is given it is set
// to true if the bytes up to the end of `s` are a valid beginning of a character cut short (the result
// is 0 then too); it is left alone otherwise.
size_t Utf8SequenceLength(std::string_view s, size_t i, bool* truncated = nullptr);

// The code point of the valid n-byte sequence at s[i] (n as Utf8SequenceLength returned it, not 0).
uint32_t Utf8CodePoint(std::string_view s, size_t i, size_t n);

// True when all of `s` is valid UTF-8 (NUL bytes included: they are valid UTF-8).
bool IsValidUtf8(std::string_view s);

// Text clean-up for values we store: replaces every invalid UTF-8 sequence with U+FFFD (one per maximal
// invalid subpart, as WHATWG's decoder does), drops NUL and other C0 controls except tab/newline,
// collapses runs of ASCII whitespace to one space, trims, and cuts to at most max_bytes without
// splitting a character.
std::string CleanText(std::string_view in, size_t max_bytes);

}  // namespace gc
