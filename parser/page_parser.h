// PageParser: what the crawler keeps from a fetched page — title, links, robots directives, canonical —
// extracted with gumbo-parser. Pure function of its inputs, safe on any thread (the crawler runs it on
// libuv's thread pool, see crawler/parse_job.h); never throws for bad input.
//
//   gc::PageInfo info = gc::ParsePage(body, "https://example.org/", "text/html; charset=utf-8", {});
//
// Robustness limits, all documented in PageInfo: at most kMaxParseBytes are parsed; nesting deeper than
// kMaxDepth (browsers stop at 512) ends the parse at that point; at most max_links links are kept; gumbo
// gets a budget of memory and CPU time (parser/parse_budget.h), and a page over it is read only as far as
// a prefix that fits (PageInfo::parse_limit).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gc {

// What a page's resource is to it (ParseOptions::resources, crawl --check-resources): a page to crawl is
// kNone. <iframe> is a frame only with ParseOptions::resources; without, it is a link like <a>.
enum class ResourceKind : uint8_t { kNone, kImage, kScript, kStyle, kFrame, kMedia };

// "image", "script", "style", "frame", "media" (results.resource_kind); nullptr for kNone.
const char* ResourceKindName(ResourceKind kind);
// The inverse; kNone for anything else (an empty or unknown name).
ResourceKind ResourceKindFromName(std::string_view name);

struct Link {
  std::string url;        // absolute, canonical, no fragment; http(s) only
  bool nofollow = false;  // rel="nofollow" on the element
  ResourceKind resource = ResourceKind::kNone;  // not a page to crawl: an image, script, stylesheet...
};

// A link that names a fragment ("page.html#section"), for --check-fragments.
struct FragmentLink {
  std::string url;       // as Link::url: absolute, canonical, without the fragment
  std::string fragment;  // after '#', percent-decoded (kept as written when that is not UTF-8); never
                         // empty nor "top" (HTML scrolls to the top for those: nothing to check)
};

struct PageInfo {
  bool html = false;          // false: not an HTML content type, nothing below was extracted
  std::string title;          // first <title>, whitespace collapsed, valid UTF-8, no NULs, capped
  std::vector<Link> links;    // deduplicated, in document order
  bool noindex = false;       // <meta name=robots content=noindex|none>
  bool nofollow = false;      // <meta name=robots content=nofollow|none>
  std::string canonical;      // <link rel=canonical href>, resolved
  std::string refresh_url;    // <meta http-equiv=refresh content="N; url=...">, resolved
  std::string charset;        // <meta charset> or http-equiv content-type, lower case
  std::string lang;           // <html lang>
  std::string base_url;       // the URL links were resolved against
  bool truncated = false;     // input cut at kMaxParseBytes or kMaxDepth, or parse_limit set
  // Not empty when the page went over gumbo's budget (BudgetFor in parser/parse_budget.h): which cap it
  // hit, and how much of the page the fields here come from (halving prefixes were parsed, with halving
  // CPU caps, until one fit: the whole costs at most twice one budget).
  std::string parse_limit;
  bool links_capped = false;  // more than max_links links were found
  int64_t links_too_long = 0; // links whose resolved URL was over max_url_bytes (dropped)
  // With ParseOptions::fragments only:
  std::vector<std::string> anchors;           // every id="" and <a name="">, sorted, unique, each at most
                                              // kMaxAnchorBytes; at most kMaxAnchors of them
  bool anchors_capped = false;                // the page had more (a missing one then proves nothing)
  std::vector<FragmentLink> fragment_links;   // unique (url, fragment), document order, at most max_links
};

inline constexpr size_t kMaxAnchors = 20'000;
inline constexpr size_t kMaxAnchorBytes = 1024;

struct ParseOptions {
  bool links = true;           // extract links (false: title and meta only, from the <head>)
  // Also keep the page's resources, with their kind: <img src srcset>, <picture><source srcset>,
  // <script src>, <link href> with rel stylesheet (style), icon (image) or preload (by its `as`: image,
  // script, style and font as style, audio/video/track as media, document as frame; others are not kept),
  // <iframe src> (frame), <video src>, <audio src>, and <source src> in them (media).
  bool resources = false;
  size_t max_links = 10'000;   // per page
  // Longer resolved links are counted, not kept: the limit browsers and crawlers have long used
  // (Scrapy's URLLENGTH_LIMIT; sitemaps allow 2,048 characters).
  size_t max_url_bytes = 2083;
  size_t max_title_bytes = 1024;
  bool fragments = false;      // also record the page's anchors and its links' fragments (with links)
  // When set and turned true (a crawl's hard stop), parses in flight stop at once: what they return
  // then is incomplete and meant to be dropped. The flag must outlive every parse given these options.
  const std::atomic<bool>* cancel = nullptr;
};

inline constexpr size_t kMaxParseBytes = 16u << 20;
inline constexpr size_t kMaxDepth = 512;

// True for text/html and application/xhtml+xml (parameters and case ignored). An empty content type is
// sniffed as HTML only when the body starts like HTML.
bool IsHtml(std::string_view content_type, std::string_view body);

PageInfo ParsePage(std::string_view body, std::string_view page_url, std::string_view content_type,
                   const ParseOptions& options);

// True when ParsePage(body, ..., options) reads at most kInlineParseBytes (a title-only parse of a small
// <head>: ~10 us), so the caller may run it on the loop instead of paying a thread-pool round trip.
inline constexpr size_t kInlineParseBytes = 32 * 1024;
bool CheapToParse(std::string_view body, const ParseOptions& options);

// ParsePage for the loop thread: nullopt unless CheapToParse, and nullopt (nothing kept) as soon as the
// parse passes kInlineParseCpuS of CPU time or kInlineParseMemory: such a page goes to the pool, where
// ParsePage gives it its full budget. A hostile page thus stalls the loop for at most ~5 ms.
inline constexpr double kInlineParseCpuS = 0.005;
inline constexpr size_t kInlineParseMemory = size_t(8) << 20;
std::optional<PageInfo> ParseInline(std::string_view body, std::string_view page_url, std::string_view content_type,
                                    const ParseOptions& options);

}  // namespace gc
