#include "text/escape.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "text/utf8.h"

namespace gc {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// WHATWG HTML "control-character-in-input-stream" and "noncharacter-in-input-stream" are parse errors;
// a report must not contain them, so they are shown as U+FFFD.
bool Unwanted(uint32_t cp) {
  if (cp == '\t' || cp == '\n') return false;
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return true;
  return (cp & 0xFFFE) == 0xFFFE;
}

// Embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI): Unicode UAX #9.
bool BidiControl(uint32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }

void AppendEscaped(std::string& out, uint32_t cp) {
  char buf[16];  // a backslash, "u" and 4 to 8 hex digits: g++ checks the widest
  std::snprintf(buf, sizeof buf, "\\u%04X", unsigned(cp));
  out += buf;
}

std::string Escape(std::string_view s, size_t max_bytes, bool attribute) {
  std::string out;
  out.reserve(s.size() < 4096 ? s.size() + 16 : 4096);
  for (size_t i = 0; i < s.size();) {
    if (i >= max_bytes) {
      out += "\xE2\x80\xA6";  // …
      break;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    uint32_t cp = Utf8CodePoint(s, i, n);
    if (Unwanted(cp)) {
      out += kReplacement;
    } else if (BidiControl(cp)) {
      AppendEscaped(out, cp);
    } else if (cp == '&') {
      out += "&amp;";
    } else if (cp == '<') {
      out += "&lt;";
    } else if (cp == '>') {
      out += "&gt;";
    } else if (cp == '"') {
      out += "&quot;";
    } else if (cp == '\'') {
      out += "&#39;";
    } else if (attribute && cp == '\n') {
      out += "&#10;";
    } else if (attribute && cp == '\t') {
      out += "&#9;";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string HtmlText(std::string_view s, size_t max_bytes) { return Escape(s, max_bytes, false); }

std::string HtmlAttr(std::string_view s, size_t max_bytes) { return Escape(s, max_bytes, true); }

std::string TerminalText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    uint32_t cp = n ? Utf8CodePoint(s, i, n) : 0xFFFD;
    n = std::max<size_t>(n, 1);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || BidiControl(cp)) {
      AppendEscaped(out, cp);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

bool IsWebUrl(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

}  // namespace gc
