// The parts of the HTML report page (app/reports/html.h puts them together): headline cards, charts
// with their data tables, and the tables of slowest, largest, broken, redirected and changed URLs.
// Each returns a fragment of HTML in which every value from the database is escaped. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "storage/report_data.h"

namespace gc::report {

// One card per headline number, each with data-key (the JSON key in `report --json`'s "headline") and
// data-value (the number as that JSON writes it), and a delta against the previous run when there is one.
std::string HeadlineCards(const storage::ReportData& r);
// Outcomes, response time, body size, throughput over time, and pages by depth for recursive crawls.
std::string Charts(const storage::ReportData& r);
// <section id=ID><h2>HEADING</h2>BODY</section>; `heading` is markup, written by the caller.
std::string Section(const char* id, const std::string& heading, const std::string& body);
std::string TopTable(const std::vector<storage::TopPage>& rows, const char* value_label, bool bytes);
// Broken URLs, one table per source group (storage/run_queries.h), most severe first.
std::string BrokenTable(const storage::ReportData& r);
// Links to page.html#section whose page lacks the anchor (crawl --check-fragments).
std::string FragmentTable(const storage::FragmentReport& f);
// Answers that were bot walls or challenges (error `blocked`): not broken, listed apart.
std::string BlockedTable(const storage::ReportData& r);
std::string RedirectTable(const storage::ReportData& r);
std::string ChangesBlock(const storage::ReportData& r);

}  // namespace gc::report
