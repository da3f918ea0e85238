// libFuzzer target for the page parser: any bytes, as HTML, must parse without crashing, hanging or
// leaking (also when a parse is abandoned over its budget), and every extracted value must be clean UTF-8.
// Issue 30's hostile pages are not seeds: under ASan every input grown from them costs ~20 ms (gumbo's
// memcmp/strlen go through ASan's interceptors), which cut the fuzzer from ~3,000 to ~50 inputs a second;
// tests/page_parser_test.cc runs them. Built by scripts/fuzz with clang-14.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parser/page_parser.h"
#include "parser/parse_budget.h"

namespace {
bool ValidUtf8NoNul(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  // A small budget first: an input over it is abandoned mid-parse (the longjmp out of gumbo, every block
  // freed: ASan checks), and only inputs within it get ParsePage's full budget, which would spend seconds
  // on each hostile one and slow the fuzzer to a crawl.
  gc::ParseBudget small;
  small.max_bytes = 2 << 20;
  small.max_cpu_s = 0.01;
  if (gc::BudgetedParse probe(body, small); probe.stop() != gc::ParseStop::kNone) return 0;
  gc::ParseOptions options;
  options.resources = size % 2 == 0;
  options.links = size % 3 != 0;
  gc::PageInfo info = gc::ParsePage(body, "http://fuzz.example/dir/page.html", "text/html", options);
  if (!ValidUtf8NoNul(info.title) || info.title.size() > options.max_title_bytes) std::abort();
  if (info.links.size() > options.max_links) std::abort();
  if (!info.parse_limit.empty() && !info.truncated) std::abort();  // over the budget: says it was cut
  for (const auto& link : info.links) {
    if (link.url.rfind("http://", 0) != 0 && link.url.rfind("https://", 0) != 0) std::abort();
  }
  return 0;
}
