// A page as an earlier run recorded it: its links (links), and with --check-fragments its anchors
// (anchors, anchor_pages) and the links that name a fragment (fragment_links). A 304 answer has no body,
// so a recursive re-crawl takes the page's links from the run whose validators it sent (issue 25).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/fragments.h"
#include "storage/sql.h"

namespace gc::storage {

struct RecordedLink {
  std::string to;         // canonical, as links.to_url
  bool nofollow = false;  // links.nofollow: rel=nofollow on the link or a robots nofollow on the page
  std::optional<std::string> resource_kind{};  // links.resource_kind: a --check-resources edge (schema 8)
};

struct RecordedPage {
  std::vector<RecordedLink> links;                 // in to_url order (the table keeps no document order)
  std::vector<std::string> anchors;                // sorted
  bool anchors_capped = false;
  std::vector<FragmentLinkRow> fragment_links;     // from = the page
};

// Reads `url`'s rows of run `run_id`. Any thread that owns `db`.
RecordedPage ReadRecordedPage(sql::Database& db, const std::string& url, int64_t run_id, bool fragments);

}  // namespace gc::storage
