// SitemapLinks: what a sitemap crawl does with one batch of a sitemap's entries, computed on the pool
// thread that parsed them (as page_links.h does for a page's links): canonical form, scope and hash, so
// that the loop only adds hashes to the Frontier. Any thread; one SitemapReader at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crawler/sitemap_reader.h"
#include "urls/scope.h"

namespace gc {

struct SitemapLink {
  std::string url;      // canonical
  std::string lastmod;  // as written; empty when absent
  bool in_scope = false;
  uint64_t hash = 0;    // XXH3-64 of url, when in scope
};

struct SitemapLinks {
  std::vector<SitemapLink> links;
  int64_t invalid = 0;  // entries that are not http(s) URLs
  bool index = false;   // the links are child sitemaps (scope not checked: a sitemap may live elsewhere)
  bool done = false;    // the file is read to its end, or to a cap
};

// Reads up to `max` entries from `reader` and sorts them against `scope` under `root_key`
// (scope.Key(root) of the sitemap's root).
SitemapLinks NextSitemapLinks(SitemapReader& reader, size_t max, const urls::Scope& scope,
                              const std::string& root_key);

}  // namespace gc
