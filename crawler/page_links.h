// PageLinks: what a recursive crawl does with one page's links, computed where the page was parsed (a
// thread-pool thread), so that the loop only looks hashes up: length cap, robots meta nofollow, scope,
// --include/--exclude, and each followable URL's hash. Pure function; any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parser/page_parser.h"
#include "storage/result_store.h"
#include "urls/scope.h"

namespace gc {

// Longer discovered URLs are counted, never stored or fetched (the parser drops them already, see
// ParseOptions::max_url_bytes; this is the engine's own guard). A page of 10,000 links each carrying a
// 60 KB <base href> must not become 600 MB of rows.
inline constexpr size_t kMaxDiscoveredUrlBytes = ParseOptions{}.max_url_bytes;

struct LinkPolicy {
  std::shared_ptr<const urls::Scope> scope;
  std::string root_key;        // scope->Key(root) of the page's listed ancestor
  bool follow = false;         // the page's links may be followed (depth left, no meta nofollow)
  bool ignore_nofollow = false;
  bool external = false;       // check links out of scope once (PageLinks::external)...
  bool resources = false;      // check the page's resources once (PageLinks::resources)...
  std::shared_ptr<const urls::Scope> filters;  // ...that pass --include/--exclude (a kAny scope); with either
};

struct FollowLink {
  std::string url;
  uint64_t hash = 0;  // XXH3-64 of url
  ResourceKind resource = ResourceKind::kNone;  // PageLinks::resources: what it is to the page
};

struct PageLinks {
  std::vector<storage::LinkRow> links;  // every link of the page worth recording (from = the page)
  std::vector<storage::FragmentLinkRow> fragment_links;  // --check-fragments: the page's links naming one
  std::vector<FollowLink> follow;       // in scope and followable, in document order
  // With LinkPolicy::external: http(s) links out of scope, to be checked once (never parsed or followed).
  // rel=nofollow does not exempt them: nofollow is about crawling, and a dead link is dead either way.
  std::vector<FollowLink> external;
  // With LinkPolicy::resources: the page's images, scripts, stylesheets, frames and media, in scope or not,
  // to be checked once (never parsed), whatever the page's depth or nofollow: they are part of the page.
  std::vector<FollowLink> resources;
  int64_t too_long = 0;                 // links over kMaxDiscoveredUrlBytes, dropped (the parser's count too)
};

PageLinks SortLinks(const std::string& page_url, const PageInfo& page, const LinkPolicy& policy);

}  // namespace gc
