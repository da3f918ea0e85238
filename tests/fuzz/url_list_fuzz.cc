// libFuzzer target for the URL list reader: any bytes, as a list file, must either be refused as not a
// URL list or read line by line without crashing, hanging or leaking; every line keeps the reader's
// promises (url_list.h), and its message form is printable UTF-8; a line Canonicalize's short path takes as
// already canonical comes out of the libraries' path unchanged. Built by scripts/fuzz with clang-14.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "text/escape.h"
#include "urls/url.h"
#include "urls/url_list.h"

using gc::urls::ListLine;
using gc::urls::UrlListReader;

namespace {
void Require(bool ok) {
  if (!ok) std::abort();
}

bool ValidUtf8Printable(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

// The list lives in an in-memory file, opened by the reader through its /proc path: no disk I/O per run.
int ListFd() {
  static int fd = memfd_create("url_list_fuzz", 0);
  Require(fd >= 0);
  return fd;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (size_t max : {size_t(0), size_t(5), size_t(200)}) {
    std::string m = gc::EscapeForMessage(in, max);
    Require(m.size() <= max + 3 && ValidUtf8Printable(m));
  }
  int fd = ListFd();
  Require(ftruncate(fd, 0) == 0);
  Require(pwrite(fd, data, size, 0) == ssize_t(size));
  bool binary = gc::urls::WhyNotText(in.substr(0, UrlListReader::kSniffBytes)).has_value();
  try {
    UrlListReader reader("/proc/self/fd/" + std::to_string(fd));
    Require(!binary);
    ListLine line;
    int64_t last = 0;
    while (reader.Next(line)) {
      Require(line.number > last && size_t(line.number) <= size);
      last = line.number;
      Require(!line.text.empty() && line.text[0] != '#');
      Require(static_cast<unsigned char>(line.text.front()) > 0x20 && static_cast<unsigned char>(line.text.back()) > 0x20);
      Require(line.text.size() <= UrlListReader::kMaxLineBytes + 3);
      if (line.canonical.ok()) {
        const std::string& u = line.canonical.url;
        Require(u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0);
        if (gc::urls::AlreadyCanonical(line.text)) Require(gc::urls::CanonicalizeByParsing(line.text).url == line.text);
      } else {
        Require(!line.canonical.error.empty());
      }
      Require(ValidUtf8Printable(gc::EscapeForMessage(line.text)));
    }
  } catch (const gc::urls::NotAUrlList&) {
    Require(binary);
  }
  return 0;
}
