#include "storage/sitemap_report.h"

#include "storage/run_queries.h"

namespace gc::storage {

SitemapFindings Inspector::Sitemaps(int64_t run_id, int64_t limit) {
  SitemapFindings f;
  if (version_ < 5) return f;  // the run predates sitemaps
  const int64_t cap = limit;
  auto count = [&](const std::string& sql) {
    auto st = db_.Prepare(sql);
    st.Bind(1, run_id);
    st.Step();
    return st.Int(0);
  };
  f.files = count("SELECT count(*) FROM sitemaps WHERE run_id = ?");
  if (f.files == 0) return f;
  f.read = true;
  {
    auto st = db_.Prepare(
        "SELECT url, kind, status, error, urls, skipped, truncated FROM sitemaps WHERE run_id = ? ORDER BY url LIMIT ?");
    st.Bind(1, run_id).Bind(2, cap);
    while (st.Step()) {
      f.file_list.push_back(
          {st.Text(0), st.OptText(1), st.OptText(3), st.OptInt(2), st.Int(4), st.Int(5), st.Int(6) != 0});
    }
  }
  f.urls = count("SELECT count(*) FROM sitemap_urls WHERE run_id = ?");
  // Broken as everywhere in `report`: by the run's accept set or report --accept (AcceptFor), so a blocked
  // result or an accepted status is not broken here either. BrokenSql names `status` and `error`
  // unqualified: sitemap_urls has neither column, so they are the result's.
  const AcceptSet accept = AcceptFor(run_id);
  const std::string broken_from =
      " FROM sitemap_urls s JOIN results r ON r.run_id = s.run_id AND r.url = s.url "
      "WHERE s.run_id = ? AND " + accept.BrokenSql();
  {
    auto st = db_.Prepare("SELECT count(*)" + broken_from);
    st.Bind(1, run_id);
    accept.BindBroken(st, 2);
    st.Step();
    f.broken_count = st.Int(0);
  }
  {
    auto st = db_.Prepare("SELECT s.url, s.sitemap, r.status, r.error" + broken_from + " ORDER BY " + SeveritySql("r") + ", s.url LIMIT ?");
    st.Bind(1, run_id);
    st.Bind(accept.BindBroken(st, 2), cap);
    while (st.Step()) {
      SitemapUrl u{st.Text(0), st.Text(1), {st.OptInt(2), st.OptText(3)}, ""};
      u.outcome = OutcomeText(u.typed);
      f.broken.push_back(std::move(u));
    }
  }
  f.links_known = count("SELECT count(*) FROM (SELECT 1 FROM links WHERE run_id = ? LIMIT 1) AS one") > 0;
  if (!f.links_known) return f;
  const std::string not_linked_from =
      " FROM sitemap_urls s WHERE s.run_id = ? AND NOT EXISTS "
      "(SELECT 1 FROM links l WHERE l.run_id = s.run_id AND l.to_url = s.url)";
  f.not_linked_count = count("SELECT count(*)" + not_linked_from);
  {
    auto st = db_.Prepare("SELECT s.url, s.sitemap" + not_linked_from + " ORDER BY s.url LIMIT ?");
    st.Bind(1, run_id).Bind(2, cap);
    while (st.Step()) f.not_linked.push_back({st.Text(0), st.Text(1), {}, ""});
  }
  // Pages the crawl reached by links and fetched fine that no sitemap lists: what a sitemap misses.
  const std::string not_in_sitemap_from =
      " FROM results r WHERE r.run_id = ? AND r.source_kind = 'link' AND r.error IS NULL "
      "AND r.status BETWEEN 200 AND 299 AND NOT EXISTS "
      "(SELECT 1 FROM sitemap_urls s WHERE s.run_id = r.run_id AND s.url = r.url)";
  f.not_in_sitemap_count = count("SELECT count(*)" + not_in_sitemap_from);
  {
    auto st = db_.Prepare("SELECT r.url, r.source" + not_in_sitemap_from + " ORDER BY r.url LIMIT ?");
    st.Bind(1, run_id).Bind(2, cap);
    while (st.Step()) f.not_in_sitemap.push_back({st.Text(0), st.OptText(1).value_or(""), {}, ""});
  }
  return f;
}

}  // namespace gc::storage
