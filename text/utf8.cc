#include "text/utf8.h"

#include <algorithm>

namespace gc {

size_t Utf8SequenceLength(std::string_view s, size_t i, bool* truncated) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) {
      if (truncated) *truncated = true;
      return 0;
    }
    if (k == 1 ? (b(1) < lo || b(1) > hi) : (b(k) < 0x80 || b(k) > 0xBF)) return 0;
  }
  return n;
}

uint32_t Utf8CodePoint(std::string_view s, size_t i, size_t n) {
  auto b = [&](size_t k) { return uint32_t(static_cast<unsigned char>(s[i + k])); };
  if (n == 1) return b(0);
  if (n == 2) return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
  if (n == 3) return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
  return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string CleanText(std::string_view in, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(in.size(), max_bytes));
  bool pending_space = false;
  for (size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    std::string_view piece;
    size_t n = Utf8SequenceLength(in, i);
    if (n == 0) {
      piece = kReplacement;
      n = 1;
    } else if (c < 0x20 || c == 0x7F) {
      i += n;  // NUL and other controls are dropped
      continue;
    } else {
      piece = in.substr(i, n);
    }
    if (out.size() + (pending_space ? 1 : 0) + piece.size() > max_bytes) break;
    if (pending_space) out += ' ';
    pending_space = false;
    out += piece;
    i += n;
  }
  return out;
}

}  // namespace gc
