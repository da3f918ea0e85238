#include "app/reports/fragments.h"

#include "text/json.h"

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
  JsonWriter w;
  w.BeginObject().Key("links").Int(f.links).Key("verified").Int(f.verified).Key("broken_count").Int(f.broken_count);
  w.Key("broken").BeginArray();
  for (const auto& b : f.broken) {
    w.BeginObject().Key("url").String(b.url).Key("fragment").String(b.fragment);
    w.Key("referrer_count").Int(b.referrer_count).Key("referrers").BeginArray();
    for (const auto& referrer : b.referrers) w.String(referrer);
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace gc
