#include "urls/traps.h"

#include <unordered_map>
#include <vector>

namespace gc::urls {

bool LooksLikeTrap(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  size_t start = url.find('/', scheme + 3);
  if (start == std::string_view::npos) return false;
  std::string_view path = url.substr(start);
  path = path.substr(0, path.find_first_of("?#"));
  std::vector<std::string_view> segs;
  for (size_t i = 1; i <= path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    segs.push_back(path.substr(i, j - i));
    if (int(segs.size()) > kMaxPathSegments) return true;
    i = j + 1;
  }
  std::unordered_map<std::string_view, int> count;
  for (auto s : segs) {
    if (!s.empty() && ++count[s] > kMaxSegmentRepeats) return true;
  }
  // A block of `period` segments repeated three times in a row.
  for (size_t period = 1; period <= 3; ++period) {
    for (size_t i = 0; i + 3 * period <= segs.size(); ++i) {
      bool repeats = true;
      for (size_t k = 0; k < 2 * period && repeats; ++k) {
        repeats = !segs[i + k].empty() && segs[i + k] == segs[i + k + period];
      }
      if (repeats) return true;
    }
  }
  return false;
}

}  // namespace gc::urls
