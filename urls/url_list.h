// UrlListReader: streams a URL list (a file, or "-" for standard input) one line at a time, so a
// million-line list is never held in memory. Blank lines and '#' comments are skipped; every other line
// comes back with its line number and its canonical form, or the reason it is not a crawlable URL.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "urls/url.h"

namespace gc::urls {

struct ListLine {
  int64_t number = 0;    // 1-based
  std::string text;      // trimmed
  Canonical canonical;   // .ok(), or .error + .message
};

class UrlListReader {
 public:
  // Throws std::runtime_error("cannot read LIST: reason") when the list cannot be opened.
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
  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  int64_t number_ = 0;
};

}  // namespace gc::urls
