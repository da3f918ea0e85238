#include "crawler/sitemap_links.h"

#include <xxhash.h>

#include "urls/url.h"

namespace gc {

SitemapLinks NextSitemapLinks(SitemapReader& reader, size_t max, const urls::Scope& scope,
                              const std::string& root_key) {
  SitemapLinks out;
  std::vector<SitemapEntry> entries = reader.Next(max);
  out.done = reader.done();
  out.index = reader.kind() == SitemapReader::Kind::kIndex;
  for (SitemapEntry& e : entries) {
    // Absolute URLs only, as the protocol requires: Canonicalize, not Resolve against the sitemap.
    auto c = urls::Canonicalize(e.loc);
    if (!c.ok()) {
      ++out.invalid;
      continue;
    }
    SitemapLink link{std::move(c.url), std::move(e.lastmod), false, 0};
    if (!out.index && scope.AllowsUnder(root_key, link.url)) {
      link.in_scope = true;
      link.hash = XXH3_64bits(link.url.data(), link.url.size());
    }
    out.links.push_back(std::move(link));
  }
  return out;
}

}  // namespace gc
