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
  // Read through the tables' names, which are views from schema 12 (fragment_sets.h): each lookup goes
  // by the URL's id to the run's page row and its set's members, all by primary key.
  const char* kTargets =
      "SELECT f.to_url, f.fragment, count(*) AS refs, "
      "CASE WHEN EXISTS (SELECT 1 FROM anchor_pages p WHERE p.run_id = f.run_id AND p.url = f.to_url "
      "AND p.capped = 0) THEN 1 ELSE 0 END AS known, "
      "CASE WHEN EXISTS (SELECT 1 FROM anchors a WHERE a.run_id = f.run_id AND a.url = f.to_url "
      "AND a.anchor = f.fragment) THEN 1 ELSE 0 END AS present "
      "FROM fragment_links f WHERE f.run_id = ? GROUP BY f.run_id, f.to_url, f.fragment";
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
  auto st = db.Prepare(std::string("SELECT to_url, fragment, refs FROM (") + kTargets +
                       ") t WHERE known = 1 AND present = 0 ORDER BY to_url, fragment LIMIT ?");
  auto from = db.Prepare(
      "SELECT from_url FROM fragment_links WHERE run_id = ? AND to_url = ? AND fragment = ? ORDER BY from_url LIMIT ?");
  st.Bind(1, run_id).Bind(2, limit);
  while (st.Step()) {
    BrokenFragment b{st.Text(0), st.Text(1), st.Int(2), {}};
    from.Bind(1, run_id).Bind(2, b.url).Bind(3, b.fragment).Bind(4, referrers);
    while (from.Step()) b.referrers.push_back(from.Text(0));
    from.Reset();
    r.broken.push_back(std::move(b));
  }
  return r;
}

}  // namespace gc::storage
