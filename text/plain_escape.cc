// Escapers for plain-text destinations: a one-line message (EscapeForMessage) and a CSV field (CsvField).
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "text/escape.h"
#include "text/utf8.h"

namespace gc {
namespace {

// Characters a terminal or log viewer would act on rather than show: controls, line and paragraph
// separators, and the bidirectional marks and overrides ("Trojan Source", CVE-2021-42574).
bool Unprintable(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool IsPlainNumber(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

}  // namespace

std::string EscapeForMessage(std::string_view text, size_t max_bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    std::string piece;
    if (n == 0 || Unprintable(Utf8CodePoint(text, i, n))) {
      for (size_t k = 0; k < std::max<size_t>(n, 1); ++k) {
        unsigned char b = static_cast<unsigned char>(text[i + k]);
        piece += {'\\', 'x', kHex[b >> 4], kHex[b & 15]};
      }
      n = std::max<size_t>(n, 1);
    } else if (text[i] == '\\') {
      piece = "\\\\";
    } else {
      piece = text.substr(i, n);
    }
    if (out.size() + piece.size() > max_bytes) return out + "...";
    out += piece;
    i += n;
  }
  return out;
}

std::string CsvField(const std::string& raw) {
  std::string s = raw;
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos && !IsPlainNumber(s)) {
    s.insert(s.begin(), '\'');
  }
  bool quote = s.find_first_of(",\"\r\n") != std::string::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace gc
