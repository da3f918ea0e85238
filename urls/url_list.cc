#include "urls/url_list.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gc::urls {
namespace {
constexpr size_t kMaxLineBytes = 64 * 1024;  // longer lines are reported, not crawled

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= 0x20) --e;
  return s.substr(b, e - b);
}
}  // namespace

UrlListReader::UrlListReader(const std::string& path) : path_(path) {
  if (path == "-") {
    file_ = {stdin, FileCloser{false}};
    return;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  file_ = {f, FileCloser{true}};
}

bool UrlListReader::Next(ListLine& line) {
  std::string buf;
  for (;;) {
    buf.clear();
    bool too_long = false;
    int c;
    while ((c = std::getc(file_.get())) != EOF && c != '\n') {
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
    std::string text = Trim(buf);
    if (text.empty() || text[0] == '#') continue;
    line.number = number_;
    if (too_long) {
      line.text = text.substr(0, 200) + "...";
      line.canonical = Canonical{"", "invalid_url", "line longer than 64 KiB"};
    } else {
      line.text = std::move(text);
      line.canonical = Canonicalize(line.text);
    }
    return true;
  }
}

}  // namespace gc::urls
