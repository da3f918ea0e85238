// ASCII-only case folding and search for markup and labels (tag names, attribute values, charset
// labels): inline, because every page passes through them, and libc's tolower is a call and a locale
// lookup per character (3 % of a list crawl's CPU once). Not for text: non-ASCII bytes are left as they are.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

namespace gc {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c; }

inline std::string AsciiLowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return AsciiLower(x) == AsciiLower(y); });
}

// Where `needle` occurs in `hay` from `from`, ASCII case ignored; npos if nowhere. A needle starting with
// a non-letter ('<') jumps between candidates with memchr; one starting with a letter checks every position.
inline size_t IFind(std::string_view hay, std::string_view needle, size_t from) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  const char first = needle[0];
  if (std::isalpha(static_cast<unsigned char>(first))) {
    for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
      if (IEquals(hay.substr(i, needle.size()), needle)) return i;
    }
    return std::string_view::npos;
  }
  while (from + needle.size() <= hay.size()) {
    const void* hit = std::memchr(hay.data() + from, first, hay.size() - needle.size() + 1 - from);
    if (!hit) return std::string_view::npos;
    size_t i = size_t(static_cast<const char*>(hit) - hay.data());
    if (IEquals(hay.substr(i, needle.size()), needle)) return i;
    from = i + 1;
  }
  return std::string_view::npos;
}

}  // namespace gc
