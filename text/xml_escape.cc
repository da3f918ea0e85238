// XML 1.0 escaping for attribute values and element content (the JUnit report).
#include <algorithm>

#include "text/escape.h"
#include "text/utf8.h"

namespace gc {
namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string XmlEscape(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 16);
  for (size_t i = 0; i < s.size();) {
    if (out.size() >= max_bytes) {
      out += "…";
      break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        // As references, so that attribute-value normalisation (XML 1.0 3.3.3) keeps them.
        case '\t':
          out += "&#9;";
          break;
        case '\n':
          out += "&#10;";
          break;
        case '\r':
          out += "&#13;";
          break;
        default:
          out += c < 0x20 ? kReplacement : std::string(1, char(c));  // XML 1.0 2.2: no other C0
      }
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    // U+FFFE and U+FFFF are not XML characters (XML 1.0 2.2 Char).
    if (n == 0 || (n == 3 && s.substr(i, 2) == "\xEF\xBF" && (s[i + 2] == '\xBE' || s[i + 2] == '\xBF'))) {
      out += kReplacement;
      i += n ? n : 1;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace gc
