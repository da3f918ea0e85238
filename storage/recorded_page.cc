#include "storage/recorded_page.h"

namespace gc::storage {

RecordedPage ReadRecordedPage(sql::Database& db, const std::string& url, int64_t run_id, bool fragments) {
  RecordedPage page;
  // Each by its table's primary key or index on (run_id, page): links (run_id, from_url, to_url), anchors
  // (run_id, url, anchor), fragment_links_by_source (schema 7).
  // A writer's database is at kSchemaVersion: resource_kind is there (NULL in runs before schema 8).
  auto links = db.Prepare(
      "SELECT to_url, nofollow, resource_kind FROM links WHERE run_id = ? AND from_url = ? ORDER BY to_url");
  links.Bind(1, run_id).Bind(2, url);
  while (links.Step()) page.links.push_back({links.Text(0), links.Int(1) != 0, links.OptText(2)});
  if (!fragments) return page;
  auto capped = db.Prepare("SELECT capped FROM anchor_pages WHERE run_id = ? AND url = ?");
  capped.Bind(1, run_id).Bind(2, url);
  if (capped.Step()) page.anchors_capped = capped.Int(0) != 0;
  auto anchors = db.Prepare("SELECT anchor FROM anchors WHERE run_id = ? AND url = ? ORDER BY anchor");
  anchors.Bind(1, run_id).Bind(2, url);
  while (anchors.Step()) page.anchors.push_back(anchors.Text(0));
  auto frag = db.Prepare("SELECT to_url, fragment FROM fragment_links WHERE run_id = ? AND from_url = ?");
  frag.Bind(1, run_id).Bind(2, url);
  while (frag.Step()) page.fragment_links.push_back({url, frag.Text(0), frag.Text(1)});
  return page;
}

}  // namespace gc::storage
