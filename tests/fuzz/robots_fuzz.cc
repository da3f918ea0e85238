// libFuzzer target for the robots.txt parser and matcher: any bytes, as a robots.txt (and, after a NUL
// byte, a path to check), must parse and match without crashing, hanging or leaking, within the caps and
// the work budget robots.h promises. Built by scripts/fuzz with clang-14.
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

#include "urls/robots.h"

using gc::urls::Robots;

namespace {
void Require(bool ok) {
  if (!ok) std::abort();
}

void CheckPath(const Robots& robots, std::string_view path) {
  Robots::Verdict v = robots.Check(path);
  // Normalising the path may triple it (%XX); one rule past the budget costs O(path + pattern).
  uint64_t slack = 8 * (3 * path.size() + Robots::kMaxLineBytes) + 64;
  Require(v.steps <= Robots::kMaxMatchSteps + slack);
  Require(!v.over_budget || !v.allowed);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view text = in, path;
  if (size_t nul = in.find('\0'); nul != std::string_view::npos) {
    text = in.substr(0, nul);
    path = in.substr(nul + 1);
  }
  // Few checks per input: one that runs out of budget costs kMaxMatchSteps, and the fuzzer finds those.
  for (std::string_view agent : {"greencrawl", "foobot"}) {
    Robots robots = Robots::Parse(text, agent);
    Require(robots.rules() <= Robots::kMaxRules);
    Require(robots.sitemaps().size() <= Robots::kMaxSitemaps);
    for (const std::string& s : robots.sitemaps()) Require(!s.empty() && s.size() <= Robots::kMaxLineBytes);
    Require(robots.Allowed("/robots.txt"));
    // A huge delay is kept (capped where it is used, --max-crawl-delay): only finite and not negative.
    if (auto d = robots.crawl_delay()) Require(*d >= 0 && std::isfinite(*d));
    if (agent == "greencrawl") {
      CheckPath(robots, path);
      CheckPath(robots, "/" + std::string(path) + "?y=1");
    } else {
      CheckPath(robots, "/");
    }
  }
  return 0;
}
