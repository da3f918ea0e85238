#include "crawler/page_links.h"

#include <xxhash.h>

namespace gc {

PageLinks SortLinks(const std::string& page_url, const PageInfo& page, const LinkPolicy& policy) {
  PageLinks out;
  out.too_long = page.links_too_long;
  out.links.reserve(page.links.size());
  bool follow_page = policy.follow && (policy.ignore_nofollow || !page.nofollow);
  for (const Link& link : page.links) {
    if (link.url.size() > kMaxDiscoveredUrlBytes) {
      ++out.too_long;
      continue;
    }
    // Stored as followed or not by the page's author (the link's rel or the page's robots meta), so that
    // a 304 re-crawl that carries these rows (crawler/crawl_session.cc) follows the same ones.
    if (link.resource != ResourceKind::kNone) {
      // The page -> resource edge keeps its kind: a 304 re-crawl carries it as a resource again.
      out.links.push_back({page_url, link.url, false, ResourceKindName(link.resource)});
      if (policy.resources && policy.filters->AllowsUnder("", link.url)) {
        out.resources.push_back({link.url, XXH3_64bits(link.url.data(), link.url.size()), link.resource});
      }
      continue;
    }
    out.links.push_back({page_url, link.url, link.nofollow || page.nofollow});
    if (!policy.follow) continue;
    if (!policy.scope->AllowsUnder(policy.root_key, link.url)) {
      // --exclude (and --include) still say which URLs are not to be touched at all.
      if (policy.external && policy.filters->AllowsUnder("", link.url)) {
        out.external.push_back({link.url, XXH3_64bits(link.url.data(), link.url.size())});
      }
      continue;
    }
    if (!follow_page || (link.nofollow && !policy.ignore_nofollow)) continue;
    out.follow.push_back({link.url, XXH3_64bits(link.url.data(), link.url.size())});
  }
  for (const FragmentLink& f : page.fragment_links) {
    if (f.url.size() <= kMaxDiscoveredUrlBytes) out.fragment_links.push_back({page_url, f.url, f.fragment});
  }
  return out;
}

}  // namespace gc
