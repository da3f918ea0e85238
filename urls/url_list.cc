#include "urls/url_list.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gc::urls {
namespace {

bool Blank(unsigned char c) { return c <= 0x20; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && Blank(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && Blank(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The line without its comment: from a '#' that starts the line or follows whitespace. A '#' glued to
// the URL is its fragment (RFC 3986 3.5), which Canonicalize drops.
std::string_view StripComment(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#' && (i == 0 || Blank(static_cast<unsigned char>(s[i - 1])))) return Trim(s.substr(0, i));
  }
  return s;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 section 4: no overlong forms, no
// surrogates, nothing above U+10FFFF), 0 when it is not one; `truncated` is set when the bytes so far
// are a valid beginning cut by the end of `s`.
size_t Utf8Length(std::string_view s, size_t i, bool* truncated = nullptr) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = at(i);
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
    unsigned char b = at(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return n;
}

uint32_t CodePoint(std::string_view s, size_t i, size_t n) {
  auto at = [&](size_t k) { return uint32_t(static_cast<unsigned char>(s[i + k])); };
  if (n == 1) return at(0);
  if (n == 2) return (at(0) & 0x1F) << 6 | (at(1) & 0x3F);
  if (n == 3) return (at(0) & 0x0F) << 12 | (at(1) & 0x3F) << 6 | (at(2) & 0x3F);
  return (at(0) & 0x07) << 18 | (at(1) & 0x3F) << 12 | (at(2) & 0x3F) << 6 | (at(3) & 0x3F);
}

// Characters a terminal or log viewer would act on rather than show: controls, line and paragraph
// separators, and the bidirectional marks and overrides ("Trojan Source", CVE-2021-42574).
bool Unprintable(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::optional<std::string> WhyNotText(std::string_view s) {
  if (s.size() >= 2 && ((s[0] == '\xFF' && s[1] == '\xFE') || (s[0] == '\xFE' && s[1] == '\xFF'))) {
    return "UTF-16 text (save it as UTF-8)";
  }
  if (s.find('\0') != std::string_view::npos) return "binary data (NUL bytes)";
  size_t bad = 0;
  for (size_t i = 0; i < s.size();) {
    bool truncated = false;
    size_t n = Utf8Length(s, i, &truncated);
    if (truncated) break;  // a character cut by the end of the sample
    if (n == 0) {
      ++bad;
      n = 1;
    } else if (n == 1) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7F) ++bad;
    }
    i += n;
  }
  if (bad * 10 > s.size()) {
    return "binary data (" + std::to_string(bad) + " of its first " + std::to_string(s.size()) +
           " bytes are not UTF-8 text)";
  }
  return std::nullopt;
}

std::string EscapeForMessage(std::string_view text, size_t max_bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8Length(text, i);
    std::string piece;
    if (n == 0 || Unprintable(CodePoint(text, i, n))) {
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

UrlListReader::UrlListReader(const std::string& path) : path_(path) {
  if (path == "-") {
    file_ = {stdin, FileCloser{false}};
  } else {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    file_ = {f, FileCloser{true}};
  }
  // The whole sample, even from a pipe: fread returns short only at the end or on an error.
  head_.resize(kSniffBytes);
  head_.resize(std::fread(head_.data(), 1, kSniffBytes, file_.get()));
  if (std::ferror(file_.get())) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  if (auto why = WhyNotText(head_)) throw NotAUrlList(path + " does not look like a URL list: " + *why);
  // A byte order mark is no part of line 1 (Notepad writes one).
  if (head_.compare(0, 3, "\xEF\xBB\xBF") == 0) head_pos_ = 3;
}

int UrlListReader::Get() {
  if (head_pos_ < head_.size()) return static_cast<unsigned char>(head_[head_pos_++]);
  return std::getc(file_.get());
}

bool UrlListReader::Next(ListLine& line) {
  std::string buf;
  for (;;) {
    buf.clear();
    bool too_long = false;
    int c;
    while ((c = Get()) != EOF && c != '\n') {
      if (buf.size() < kMaxLineBytes) {
        buf += char(c);
      } else {
        too_long = true;
      }
    }
    if (c == EOF && std::ferror(file_.get())) {
      throw std::runtime_error("error reading " + path_ + " at line " + std::to_string(number_ + 1));
    }
    if (c == EOF && buf.empty()) return false;
    ++number_;
    std::string_view text = StripComment(Trim(buf));
    if (text.empty()) continue;
    line.number = number_;
    if (too_long) {
      line.text = std::string(text.substr(0, 200)) + "...";
      line.canonical = Canonical{"", "invalid_url", "line longer than 64 KiB"};
    } else {
      line.text = std::string(text);
      line.canonical = Canonicalize(line.text);
    }
    return true;
  }
}

}  // namespace gc::urls
