// What a run's sitemaps say against its crawl (README "Sitemaps"): the sitemap files read, the URLs
// they list that are broken, and orphans both ways — listed in a sitemap but linked from no crawled
// page, and linked (found by following links, fetched fine) but in no sitemap. Bounded lists plus full
// counts, as `report` prints them (text and JSON). Read-only; Inspector's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/inspect.h"

namespace gc::storage {

struct SitemapFile {
  std::string url;
  std::optional<std::string> kind, error;
  std::optional<int64_t> status;
  int64_t urls = 0, skipped = 0;
  bool truncated = false;
};

struct SitemapUrl {
  std::string url;
  std::string from;  // the sitemap that listed it, or (not in a sitemap) the page that linked to it
  Outcome typed;     // broken ones: how the fetch ended
  std::string outcome;  // OutcomeText(typed) for broken ones
};

struct SitemapFindings {
  bool read = false;          // the run read sitemaps (schema 5 and at least one file)
  int64_t files = 0;          // sitemap files read (indexes and their children included)
  std::vector<SitemapFile> file_list;  // at most `limit`, by URL
  int64_t urls = 0;           // distinct URLs the sitemaps listed
  int64_t broken_count = 0;   // listed, fetched, and broken (AcceptSet::Broken, as `report` judges the run)
  std::vector<SitemapUrl> broken;
  // Orphans need the links table: only a run that followed links (--depth > 0) has one.
  bool links_known = false;
  int64_t not_linked_count = 0;      // in a sitemap, linked from no crawled page
  std::vector<SitemapUrl> not_linked;
  int64_t not_in_sitemap_count = 0;  // found by a link, fetched with 2xx, in no sitemap
  std::vector<SitemapUrl> not_in_sitemap;
};

}  // namespace gc::storage
