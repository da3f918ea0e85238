#include "app/reports/sitemap.h"

#include "app/reports/format.h"
#include "text/escape.h"
#include "text/json.h"

namespace gc::report {
namespace {

void More(int64_t shown, int64_t total, std::ostream& out) {
  if (shown < total) out << "  ... " << total - shown << " more (--all lists them all)\n";
}

void UrlsJson(JsonWriter& w, const std::vector<storage::SitemapUrl>& urls, const char* from_key, bool outcome) {
  w.BeginArray();
  for (const auto& u : urls) {
    w.BeginObject().Key("url").String(u.url).Key(from_key);
    if (u.from.empty()) {
      w.Null();
    } else {
      w.String(u.from);
    }
    if (outcome) w.Key("status").OptInt(u.typed.status).Key("error").OptString(u.typed.error);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

void PrintSitemapText(const storage::SitemapFindings& f, std::ostream& out) {
  if (!f.read) return;
  out << "\nSitemaps (" << f.files << " file(s), " << f.urls << " URLs listed):\n";
  for (const auto& file : f.file_list) {
    out << "  " << file.url << "  " << file.kind.value_or("unread") << ", " << file.urls
        << (file.kind == "index" ? " sitemaps" : " URLs");
    if (file.status && (*file.status < 200 || *file.status > 299)) out << ", HTTP " << *file.status;
    if (file.skipped) out << ", " << file.skipped << " skipped";
    if (file.truncated) out << ", TRUNCATED (over 50,000 entries or 50 MB)";
    if (file.error) out << ", " << *file.error;
    out << "\n";
  }
  More(int64_t(f.file_list.size()), f.files, out);
  out << "\nIn the sitemap but broken (" << f.broken_count << "):\n";
  for (const auto& u : f.broken) out << "  " << u.outcome << "  " << u.url << "  (in " << u.from << ")\n";
  if (f.broken_count == 0) out << "  (none)\n";
  More(int64_t(f.broken.size()), f.broken_count, out);
  if (!f.links_known) {
    out << "\nOrphans: not known (the run recorded no links; crawl with --depth 1 or more)\n";
    return;
  }
  out << "\nIn the sitemap but not linked (" << f.not_linked_count << "):\n";
  for (const auto& u : f.not_linked) out << "  " << u.url << "  (in " << u.from << ")\n";
  if (f.not_linked_count == 0) out << "  (none)\n";
  More(int64_t(f.not_linked.size()), f.not_linked_count, out);
  out << "\nLinked but not in the sitemap (" << f.not_in_sitemap_count << "):\n";
  for (const auto& u : f.not_in_sitemap) out << "  " << u.url << "  (linked from " << u.from << ")\n";
  if (f.not_in_sitemap_count == 0) out << "  (none)\n";
  More(int64_t(f.not_in_sitemap.size()), f.not_in_sitemap_count, out);
}

std::string SitemapJson(const storage::SitemapFindings& f) {
  if (!f.read) return "null";
  JsonWriter w;
  w.BeginObject().Key("files_count").Int(f.files).Key("files").BeginArray();
  for (const auto& file : f.file_list) {
    w.BeginObject().Key("url").String(file.url).Key("kind").OptString(file.kind).Key("status").OptInt(file.status);
    w.Key("error").OptString(file.error).Key("urls").Int(file.urls).Key("skipped").Int(file.skipped);
    w.Key("truncated").Bool(file.truncated).EndObject();
  }
  w.EndArray().Key("urls").Int(f.urls).Key("broken_count").Int(f.broken_count);
  UrlsJson(w.Key("broken"), f.broken, "sitemap", true);
  w.Key("links_known").Bool(f.links_known);
  if (f.links_known) {
    w.Key("not_linked_count").Int(f.not_linked_count);
    UrlsJson(w.Key("not_linked"), f.not_linked, "sitemap", false);
    w.Key("not_in_sitemap_count").Int(f.not_in_sitemap_count);
    UrlsJson(w.Key("not_in_sitemap"), f.not_in_sitemap, "linked_from", false);
  } else {
    w.Key("not_linked_count").Null().Key("not_linked").Null().Key("not_in_sitemap_count").Null();
    w.Key("not_in_sitemap").Null();
  }
  w.EndObject();
  return w.Take();
}

std::string SitemapHtml(const storage::SitemapFindings& f) {
  auto link = [](const std::string& url) {
    std::string text = HtmlText(url, 200);
    if (!IsWebUrl(url)) return text;
    return "<a href=\"" + HtmlAttr(url, 4096) + "\" rel=\"noopener noreferrer\">" + text + "</a>";
  };
  auto table = [&](const char* id, const std::string& heading, const std::vector<storage::SitemapUrl>& rows,
                   int64_t total, const char* from_label, bool outcome) {
    std::string s = "<h3 id=\"" + std::string(id) + "\">" + heading + " <span class=\"muted\">" + Count(total) +
                    "</span></h3>";
    if (rows.empty()) return s + "<p class=\"empty\">None.</p>";
    s += "<table class=\"sortable\"><thead><tr><th>URL</th>" + std::string(outcome ? "<th>outcome</th>" : "") +
         "<th>" + from_label + "</th></tr></thead><tbody>";
    for (const auto& u : rows) {
      s += "<tr><td class=\"url\">" + link(u.url) + "</td>";
      if (outcome) s += "<td>" + HtmlText(u.outcome, 60) + "</td>";
      s += "<td class=\"url\">" + link(u.from) + "</td></tr>";
    }
    s += "</tbody></table>";
    if (int64_t(rows.size()) < total) s += "<p class=\"muted\">" + Count(int64_t(rows.size())) + " of " + Count(total) + " shown.</p>";
    return s;
  };
  std::string s = "<p>" + Count(f.files) + " sitemap file(s), " + Count(f.urls) + " URLs listed.</p>";
  s += table("sitemap-broken", "In the sitemap but broken", f.broken, f.broken_count, "sitemap", true);
  if (!f.links_known) {
    return s + "<p class=\"muted\">Orphans are not known: the run recorded no links (crawl with --depth 1 or more).</p>";
  }
  s += table("sitemap-not-linked", "In the sitemap but not linked", f.not_linked, f.not_linked_count, "sitemap", false);
  s += table("sitemap-not-in", "Linked but not in the sitemap", f.not_in_sitemap, f.not_in_sitemap_count,
             "linked from", false);
  return s;
}

}  // namespace gc::report
