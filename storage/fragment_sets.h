// How --check-fragments' rows are stored (schema 12, issue 29.1): each distinct list of a page's anchors
// once (anchor_sets, anchor_set_members), each distinct list of a page's links to fragments once
// (fragment_sets, fragment_set_members, targets by urls.id), and per run only which lists each page had
// (page_anchor_sets, page_fragment_sets). A page unchanged since last night adds a row or two to a run,
// not a row per anchor with its URL's text; the views anchor_pages, anchors and fragment_links show every
// run's rows as the tables of those names did (docs/schema.md). Link lists are stored the same way
// (link_sets.h), and the sets are found by a hash seeded with the same secret.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/fragments.h"
#include "storage/sql.h"
#include "storage/url_ids.h"

namespace gc::storage {

// SQLite's writer. Call Write inside the write transaction (BEGIN IMMEDIATE), as LinkSets::Write.
class FragmentSets {
 public:
  explicit FragmentSets(sql::Database& db);
  // Records the anchors and fragment links of run `run_id`. A page recorded again in the run (fetched
  // twice) gets its anchors of now; its fragment links stay those of its first recording (merged with
  // the later one's when both are in one call), as its links do.
  void Write(int64_t run_id, const std::vector<AnchorPage>& pages, const std::vector<FragmentLinkRow>& links);

 private:
  UrlIds ids_;
  uint64_t seed_;
  sql::Database& db_;
  sql::Statement find_anchors_, add_anchors_, add_anchor_, add_anchor_page_;
  sql::Statement find_fragments_, add_fragments_, add_fragment_, add_fragment_page_;
};

// PostgreSQL's writer: a few statements however many rows, inside the caller's transaction. Every URL
// the rows name must be in `urls` already (AddUrlsPostgres, by the batch's writer).
void WriteFragmentSetsPostgres(sql::Database& db, uint64_t seed, int64_t run_id, const std::vector<AnchorPage>& pages,
                               const std::vector<FragmentLinkRow>& links);

// The URLs these rows name (pages, link sources and targets), for AddUrlsPostgres. They point into the rows.
void AddUrlsOfFragments(const std::vector<AnchorPage>& pages, const std::vector<FragmentLinkRow>& links,
                        std::vector<std::string_view>& urls);

// After runs were deleted: deletes the anchor and fragment sets no run uses any more (DeleteUnusedSets,
// link_sets.h, calls it before it deletes the URLs nothing names).
void DeleteUnusedFragmentSets(sql::Database& db);

// The step to schema 12's moving part: the old tables' rows into the sets, the tables dropped and the
// views of the same names and columns made, inside the step's transaction (SQLite or PostgreSQL).
void MoveFragmentsToSchema12(sql::Database& db);

}  // namespace gc::storage
