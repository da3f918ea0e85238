#include "storage/fragments.h"

#include <limits>

#include "storage/schema.h"

namespace gc::storage {

FragmentReport ReadFragmentReport(sql::Database& db, int64_t run_id, int64_t limit, int64_t referrers) {
  // No LIMIT -1: that is SQLite's "no limit", an error in PostgreSQL.
  if (limit < 0) limit = std::numeric_limits<int64_t>::max();
  if (referrers < 0) referrers = std::numeric_limits<int64_t>::max();
  FragmentReport r;
  {
    if (SchemaVersion(db) < kFragmentsSchemaVersion) return r;
  }
  {
    auto st = db.Prepare("SELECT count(*) FROM anchor_pages WHERE run_id = ?");
    st.Bind(1, run_id);
    st.Step();
    r.checked = st.Int(0) > 0;
  }
  if (!r.checked) return r;
  // A fragment is missing when its page had its anchors recorded, all of them (not capped), and none is
  // the fragment. A page not fetched, not HTML or not 2xx is not verified: a 404 is a broken link already.
  // Each row: the target's URL and id (0 before schema 12), the fragment, its referrers, known, present.
  // From schema 12 by the sets' tables and URL ids (fragment_sets.h); through the views of the old
  // tables' names, every lookup would find a URL's id by its text first (a 3,000-page run's report took
  // ~45 % longer so). Before, by the old tables' primary keys.
  const bool sets = SchemaVersion(db) >= kFragmentSetsSchemaVersion;
  const char* kTargets =
      sets ? "SELECT t.url AS to_url, t.id AS to_id, m.fragment, count(*) AS refs, "
             "CASE WHEN EXISTS (SELECT 1 FROM page_anchor_sets p WHERE p.run_id = ?1 AND p.page_id = t.id "
             "AND p.capped = 0) THEN 1 ELSE 0 END AS known, "
             "CASE WHEN EXISTS (SELECT 1 FROM page_anchor_sets p JOIN anchor_set_members a ON a.set_id = p.set_id "
             "WHERE p.run_id = ?1 AND p.page_id = t.id AND a.anchor = m.fragment) THEN 1 ELSE 0 END AS present "
             "FROM page_fragment_sets f JOIN fragment_set_members m ON m.set_id = f.set_id JOIN urls t ON t.id = m.to_id "
             "WHERE f.run_id = ?1 GROUP BY t.id, t.url, m.fragment"
           : "SELECT f.to_url, 0 AS to_id, f.fragment, count(*) AS refs, "
             "CASE WHEN EXISTS (SELECT 1 FROM anchor_pages p WHERE p.run_id = f.run_id AND p.url = f.to_url "
             "AND p.capped = 0) THEN 1 ELSE 0 END AS known, "
             "CASE WHEN EXISTS (SELECT 1 FROM anchors a WHERE a.run_id = f.run_id AND a.url = f.to_url "
             "AND a.anchor = f.fragment) THEN 1 ELSE 0 END AS present "
             "FROM fragment_links f WHERE f.run_id = ?1 GROUP BY f.run_id, f.to_url, f.fragment";
  {
    auto st = db.Prepare(std::string("SELECT count(*), coalesce(sum(known), 0), "
                                     "coalesce(sum(CASE WHEN known = 1 AND present = 0 THEN 1 ELSE 0 END), 0) FROM (") +
                         kTargets + ") t");
    st.Bind(1, run_id);
    st.Step();
    r.links = st.Int(0);
    r.verified = st.Int(1);
    r.broken_count = st.Int(2);
  }
  auto st = db.Prepare(std::string("SELECT to_url, fragment, refs, to_id FROM (") + kTargets +
                       ") t WHERE known = 1 AND present = 0 ORDER BY to_url, fragment LIMIT ?2");
  // The pages linking to url#fragment, by URL.
  auto from = db.Prepare(
      sets ? "SELECT u.url FROM fragment_set_members m JOIN page_fragment_sets p ON p.set_id = m.set_id AND p.run_id = ?1 "
             "JOIN urls u ON u.id = p.from_id WHERE m.to_id = ?2 AND m.fragment = ?3 ORDER BY u.url LIMIT ?4"
           : "SELECT from_url FROM fragment_links WHERE run_id = ?1 AND to_url = ?2 AND fragment = ?3 "
             "ORDER BY from_url LIMIT ?4");
  st.Bind(1, run_id).Bind(2, limit);
  while (st.Step()) {
    BrokenFragment b{st.Text(0), st.Text(1), st.Int(2), {}};
    from.Bind(1, run_id).Bind(3, b.fragment).Bind(4, referrers);
    if (sets) {
      from.Bind(2, st.Int(3));
    } else {
      from.Bind(2, b.url);
    }
    while (from.Step()) b.referrers.push_back(from.Text(0));
    from.Reset();
    r.broken.push_back(std::move(b));
  }
  return r;
}

}  // namespace gc::storage
