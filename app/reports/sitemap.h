// The "Sitemaps" part of `report`: in text, and as the "sitemaps" value of `report --json` (null for a
// run that read no sitemap). Pure functions of storage::SitemapFindings.
#pragma once

#include <ostream>
#include <string>

#include "storage/sitemap_report.h"

namespace gc::report {

void PrintSitemapText(const storage::SitemapFindings& f, std::ostream& out);
std::string SitemapJson(const storage::SitemapFindings& f);
// The HTML report's section body (app/reports/html.cc): three tables; every value escaped.
std::string SitemapHtml(const storage::SitemapFindings& f);

}  // namespace gc::report
