// --check-fragments in the database: what a crawl records (each fetched 2xx HTML page's anchors, and the
// links naming a fragment) and what `report` reads back (links whose page exists but lacks the anchor).
// Tables anchor_pages, anchors, fragment_links (schema kFragmentsSchemaVersion, docs/schema.md); views
// of the same names and columns from schema 12, written by FragmentSets (fragment_sets.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/sql.h"

namespace gc::storage {

struct AnchorPage {
  std::string url;                   // the result's url (results.url)
  std::vector<std::string> anchors;  // its ids and <a name>s
  bool capped = false;               // it had more than were kept: missing anchors are not reported
};

struct FragmentLinkRow {
  std::string from, to, fragment;  // to: canonical, without the fragment (as links.to_url)
};

struct BrokenFragment {
  std::string url, fragment;          // the page (fetched, 2xx HTML) and the anchor it lacks
  int64_t referrer_count = 0;         // pages linking to url#fragment
  std::vector<std::string> referrers; // the first `referrers` of them, by URL
};

struct FragmentReport {
  bool checked = false;        // the run was crawled with --check-fragments (it recorded anchors)
  int64_t links = 0;           // distinct url#fragment linked to
  int64_t verified = 0;        // of them, on a page whose anchors were recorded
  int64_t broken_count = 0;    // of those, the anchor is missing
  std::vector<BrokenFragment> broken;  // the first `limit` by URL then fragment (-1: all)
};

// Reads the run's fragment check; an empty report for a database older than the fragment tables.
FragmentReport ReadFragmentReport(sql::Database& db, int64_t run_id, int64_t limit, int64_t referrers);

}  // namespace gc::storage
