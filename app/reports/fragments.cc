#include "app/reports/fragments.h"

#include "app/json.h"

namespace gc {

void PrintFragments(const storage::FragmentReport& f, std::ostream& out) {
  if (!f.checked) return;
  out << "\nBroken fragments (" << f.broken_count << " of " << f.verified << " checked; "
      << f.links - f.verified << " on pages not fetched as 2xx HTML, not checked):\n";
  for (const auto& b : f.broken) {
    out << "  " << b.url << "#" << b.fragment << "\n      no id or <a name> \"" << b.fragment << "\"; linked from "
        << b.referrer_count << " page(s):";
    for (const auto& ref : b.referrers) out << " " << ref;
    if (int64_t(b.referrers.size()) < b.referrer_count) {
      out << " ... " << b.referrer_count - int64_t(b.referrers.size()) << " more (--all)";
    }
    out << "\n";
  }
  if (f.broken_count == 0) out << "  (none)\n";
  if (int64_t(f.broken.size()) < f.broken_count) {
    out << "  ... " << f.broken_count - int64_t(f.broken.size()) << " more (--all lists them all)\n";
  }
}

std::string FragmentsJson(const storage::FragmentReport& f) {
  if (!f.checked) return "null";
  std::string s = "{\"links\":" + std::to_string(f.links) + ",\"verified\":" + std::to_string(f.verified) +
                  ",\"broken_count\":" + std::to_string(f.broken_count) + ",\"broken\":[";
  for (size_t i = 0; i < f.broken.size(); ++i) {
    const auto& b = f.broken[i];
    s += std::string(i ? "," : "") + "{\"url\":" + JsonString(b.url) + ",\"fragment\":" + JsonString(b.fragment) +
         ",\"referrer_count\":" + std::to_string(b.referrer_count) + ",\"referrers\":[";
    for (size_t k = 0; k < b.referrers.size(); ++k) {
      if (k) s += ',';
      s += JsonString(b.referrers[k]);  // not ("," + ...): g++ 12 -Wrestrict false positive
    }
    s += "]}";
  }
  return s + "]}";
}

}  // namespace gc
