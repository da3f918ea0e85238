// SitemapReader on real bytes: XML urlsets and indexes, gzip, text sitemaps, the caps, and hostile XML
// (billion laughs, external entities).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "crawler/sitemap_reader.h"
#include "tests/e2e.h"
#include "tests/test_server.h"

using gc::SitemapEntry;
using gc::SitemapLimits;
using gc::SitemapReader;

namespace {

std::vector<SitemapEntry> ReadAll(SitemapReader& r, size_t batch = 1000) {
  std::vector<SitemapEntry> all;
  for (int guard = 0; guard < 1'000'000 && !r.done(); ++guard) {
    auto some = r.Next(batch);
    CHECK(some.size() <= batch);
    all.insert(all.end(), some.begin(), some.end());
  }
  CHECK(r.done());
  return all;
}

std::string UrlSet(int n, const std::string& prefix = "http://example.org/p/") {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (int i = 0; i < n; ++i) {
    xml += "  <url><loc>" + prefix + std::to_string(i) + ".html</loc><lastmod>2026-11-0" +
           std::to_string(1 + i % 9) + "</lastmod></url>\n";
  }
  return xml + "</urlset>\n";
}

}  // namespace

TEST_CASE("a urlset gives each <loc> with its <lastmod>, in batches") {
  SitemapReader r(UrlSet(25));
  auto all = ReadAll(r, 10);
  REQUIRE(all.size() == 25);
  CHECK(all[0].loc == "http://example.org/p/0.html");
  CHECK(all[0].lastmod == "2026-11-01");
  CHECK(all[24].loc == "http://example.org/p/24.html");
  CHECK(r.kind() == SitemapReader::Kind::kUrlSet);
  CHECK(r.error().empty());
  CHECK_FALSE(r.truncated());
}

TEST_CASE("a sitemap index gives its child sitemaps; white space, CDATA and entities in <loc> are read as XML") {
  SitemapReader r(
      "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
      "<sitemap><loc>\n  http://example.org/a.xml  \n</loc><lastmod>2026-01-02T03:04:05Z</lastmod></sitemap>"
      "<sitemap><loc><![CDATA[http://example.org/b.xml.gz]]></loc></sitemap>"
      "<sitemap><loc>http://example.org/c?x=1&amp;y=2</loc></sitemap>"
      "<sitemap/></sitemapindex>");
  auto all = ReadAll(r);
  REQUIRE(all.size() == 3);
  CHECK(r.kind() == SitemapReader::Kind::kIndex);
  CHECK(all[0].loc == "http://example.org/a.xml");
  CHECK(all[0].lastmod == "2026-01-02T03:04:05Z");
  CHECK(all[1].loc == "http://example.org/b.xml.gz");
  CHECK(all[2].loc == "http://example.org/c?x=1&y=2");
  CHECK(r.skipped() == 1);  // the empty <sitemap/>
}

TEST_CASE("a gzip-compressed sitemap is inflated as it is read") {
  SitemapReader r(gc::testing::Gzip(UrlSet(3000)));
  auto all = ReadAll(r);
  CHECK(all.size() == 3000);
  CHECK(all.back().loc == "http://example.org/p/2999.html");
  CHECK(r.error().empty());
}

TEST_CASE("a broken gzip stream ends the file with an error; what came before stands") {
  std::string gz = gc::testing::Gzip(UrlSet(3000));
  gz.resize(gz.size() / 2);
  SitemapReader r(gz);
  auto all = ReadAll(r);
  CHECK(all.size() > 0);
  CHECK(all.size() < 3000);
  CHECK_FALSE(r.error().empty());
}

TEST_CASE("a text sitemap: one URL a line, blank lines and a BOM skipped") {
  SitemapReader r("\xEF\xBB\xBFhttp://example.org/one\r\n\r\n  http://example.org/two  \nhttp://example.org/three");
  auto all = ReadAll(r);
  REQUIRE(all.size() == 3);
  CHECK(r.kind() == SitemapReader::Kind::kText);
  CHECK(all[0].loc == "http://example.org/one");
  CHECK(all[1].loc == "http://example.org/two");
  CHECK(all[2].loc == "http://example.org/three");
}

TEST_CASE("a file over the URL cap is cut at the cap, marked truncated") {
  SitemapLimits limits;
  limits.max_entries = 100;
  SitemapReader r(UrlSet(150), limits);
  auto all = ReadAll(r, 7);
  CHECK(all.size() == 100);
  CHECK(r.truncated());
  CHECK(r.error().empty());
}

TEST_CASE("a file over the byte cap is read up to the cap, marked truncated, in bounded batches") {
  SitemapLimits limits;
  limits.max_bytes = 100'000;
  std::string xml = UrlSet(20'000);  // ~1.5 MB
  SitemapReader r(gc::testing::Gzip(xml), limits);
  auto all = ReadAll(r, 500);
  CHECK(all.size() > 500);
  CHECK(all.size() < 2000);  // ~80 bytes an entry: about 1,250 fit in 100,000 bytes
  CHECK(r.truncated());
}

TEST_CASE("an overlong <loc> is skipped and counted") {
  std::string xml = "<urlset><url><loc>http://example.org/" + std::string(5000, 'a') +
                    "</loc></url><url><loc>http://example.org/ok</loc></url></urlset>";
  SitemapReader r(xml);
  auto all = ReadAll(r);
  REQUIRE(all.size() == 1);
  CHECK(all[0].loc == "http://example.org/ok");
  CHECK(r.skipped() == 1);
}

TEST_CASE("a document that is not a sitemap says so") {
  SitemapReader html("<html><body><a href='x'>x</a></body></html>");
  CHECK(ReadAll(html).empty());
  CHECK(html.error().find("not a sitemap") != std::string::npos);
  SitemapReader empty("  \n ");
  CHECK(ReadAll(empty).empty());
  CHECK(empty.error() == "empty file");
}

TEST_CASE("billion laughs: entities are not expanded") {
  // Ten levels of ten references: expanded, the <loc> would be 10^9 "lol"s (3 GB).
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [\n<!ENTITY lol0 \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) doc += "&lol" + std::to_string(i - 1) + ";";
    doc += "\">\n";
  }
  doc += "]>\n<urlset><url><loc>http://example.org/&lol9;</loc></url>"
         "<url><loc>http://example.org/after</loc></url></urlset>";
  SitemapReader r(doc);
  auto all = ReadAll(r);
  for (const auto& e : all) CHECK(e.loc.find("lollol") == std::string::npos);
  // libxml2 either keeps the reference unexpanded (the <loc> is the text around it) or refuses the
  // document; it never builds the expansion.
  CHECK(all.size() <= 2);
  for (const auto& e : all) CHECK(e.loc.size() < 100);
  // A small expansion passes libxml2's own amplification check (which refuses the big one above, and
  // even 100 "lol"s in so short a document): only leaving entities unexpanded keeps it out of the <loc>.
  SitemapReader small("<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [<!ENTITY a \"lol\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
                      "<urlset><url><loc>http://example.org/&b;</loc></url></urlset>");
  auto few = ReadAll(small);
  REQUIRE(few.size() == 1);
  CHECK(few[0].loc == "http://example.org/");
}

TEST_CASE("XXE: an external entity naming a local file is not read") {
  gc::testing::TempDir dir;
  std::string secret = dir / "secret.txt";
  gc::testing::WriteFile(secret, "TOPSECRET-4242");
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [\n<!ENTITY xxe SYSTEM \"file://" + secret +
                    "\">\n<!ENTITY % pe SYSTEM \"file://" + secret + "\">\n%pe;\n]>\n"
                    "<urlset><url><loc>http://example.org/&xxe;</loc></url>"
                    "<url><loc>http://example.org/plain</loc></url></urlset>";
  SitemapReader r(doc);
  auto all = ReadAll(r);
  for (const auto& e : all) CHECK(e.loc.find("TOPSECRET") == std::string::npos);
  CHECK(r.error().find("TOPSECRET") == std::string::npos);
  // An external DTD named by the document is not loaded either.
  std::string dtd = dir / "evil.dtd";
  gc::testing::WriteFile(dtd, "<!ENTITY leak \"TOPSECRET-DTD\">");
  SitemapReader r2("<?xml version=\"1.0\"?>\n<!DOCTYPE urlset SYSTEM \"file://" + dtd +
                   "\">\n<urlset><url><loc>http://example.org/&leak;</loc></url></urlset>");
  for (const auto& e : ReadAll(r2)) CHECK(e.loc.find("TOPSECRET") == std::string::npos);
}

TEST_CASE("robots.txt Sitemap: lines, any group, any case, comments dropped") {
  auto s = gc::RobotsSitemaps(
      "User-agent: *\nDisallow: /x\nSitemap: http://a.example/s1.xml\n"
      "sitemap:http://a.example/s2.xml.gz # the news\nUser-agent: other\nSITEMAP : http://b.example/s3.txt\n"
      "Sitemap:\n");
  REQUIRE(s.size() == 3);
  CHECK(s[0] == "http://a.example/s1.xml");
  CHECK(s[1] == "http://a.example/s2.xml.gz");
  CHECK(s[2] == "http://b.example/s3.txt");
}
