// UrlListReader: streams a URL list (a file, or "-" for standard input) one line at a time, so a
// million-line list is never held in memory. Blank lines and comments are skipped; every other line comes
// back with its line number and its canonical form, or the reason it is not a crawlable URL.
// One thread at a time (it owns a FILE*).
//
// What counts as a comment: a line whose first non-blank character is '#', and the end of a line from a
// '#' that follows whitespace ("http://h/x  # note" is http://h/x). A '#' right inside a URL is a
// fragment and stays part of the line ("http://h/x#top"). A UTF-8 byte order mark at the start of the
// file is skipped.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "urls/url.h"

namespace gc::urls {

struct ListLine {
  int64_t number = 0;    // 1-based
  std::string text;      // trimmed, comment removed; raw bytes: print it with EscapeForMessage (text/escape.h)
  Canonical canonical;   // .ok(), or .error + .message
};

// Thrown by UrlListReader's constructor when the start of the list is not text (see WhyNotText). what()
// reads "LIST does not look like a URL list: REASON". It is a std::runtime_error, so code that reports
// unreadable lists reports this one the same way; catch it first to say more.
class NotAUrlList : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UrlListReader {
 public:
  // How much of the list's start WhyNotText judges.
  static constexpr size_t kSniffBytes = 64 * 1024;
  // Longer lines come back as invalid ("line longer than 64 KiB"), their text cut.
  static constexpr size_t kMaxLineBytes = 64 * 1024;

  // Opens the list and reads its first kSniffBytes (all of it, if shorter). Throws NotAUrlList when
  // WhyNotText finds them binary, std::runtime_error("cannot read LIST: reason") when the list cannot
  // be opened or read.
  explicit UrlListReader(const std::string& path);
  // Next non-blank, non-comment line; false at the end. Throws std::runtime_error on a read error.
  bool Next(ListLine& line);

 private:
  struct FileCloser {
    bool close;
    void operator()(std::FILE* f) const {
      if (close) std::fclose(f);
    }
  };
  int Get();  // next byte, from head_ first, then the file; EOF at the end

  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string head_;  // the first kSniffBytes, read by the constructor
  size_t head_pos_ = 0;
  int64_t number_ = 0;
};

// Why `sample` (the start of a file) is not a text list, or nullopt when it looks like text. Binary
// means: a UTF-16 byte order mark, any NUL byte, or more than 10% of the bytes being invalid UTF-8 or
// control characters other than whitespace. A multi-byte character cut at the end of the sample counts
// as valid. Latin-1 text with a few accented letters passes.
std::optional<std::string> WhyNotText(std::string_view sample);

}  // namespace gc::urls
