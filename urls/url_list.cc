#include "urls/url_list.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "text/utf8.h"

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

}  // namespace

std::optional<std::string> WhyNotText(std::string_view s) {
  if (s.size() >= 2 && ((s[0] == '\xFF' && s[1] == '\xFE') || (s[0] == '\xFE' && s[1] == '\xFF'))) {
    return "UTF-16 text (save it as UTF-8)";
  }
  if (s.find('\0') != std::string_view::npos) return "binary data (NUL bytes)";
  size_t bad = 0;
  for (size_t i = 0; i < s.size();) {
    bool truncated = false;
    size_t n = Utf8SequenceLength(s, i, &truncated);
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
  // Unlocked: only this reader touches its FILE, and a lock per byte was most of the read's cost.
  return getc_unlocked(file_.get());
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
