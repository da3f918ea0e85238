#include "app/reports/junit.h"

#include <cstdio>

#include "storage/run_queries.h"
#include "text/escape.h"
#include "urls/url.h"

namespace gc {
namespace {

std::string Seconds(std::optional<double> ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms.value_or(0) / 1000.0);
  return buf;
}

// "HTTP 404", "error timeout (HTTP 200)", "blocked (HTTP 403)": the outcome in a few words.
std::string OutcomeWords(const storage::Inspector::ResultLine& r) {
  std::string status = r.status ? "HTTP " + std::to_string(*r.status) : "";
  if (!r.error) return status.empty() ? "skipped" : status;
  return (*r.error == "blocked" ? std::string("blocked") : "error " + *r.error) +
         (status.empty() ? "" : " (" + status + ")");
}

}  // namespace

storage::ReportLimits JunitLimits() {
  storage::ReportLimits limits;
  limits.top = 0;
  limits.broken = 0;  // the results are streamed, not listed
  limits.fragments = size_t(storage::kNoLimit);  // every broken fragment is a testcase
  limits.referrers = 1;
  limits.redirects = 0;
  limits.changes_per_kind = 0;
  return limits;
}

void WriteJunit(const storage::ReportData& data, storage::Inspector& in, std::ostream& out) {
  const storage::RunSummary& run = data.run;
  const storage::AcceptSet accept = in.AcceptFor(run.id);
  const storage::FragmentReport& fragments = data.fragments;
  // A broken fragment is a failed test of its own; blocked and skipped results are both <skipped>
  // (JUnit has no third word), the message saying which.
  std::string counts = " tests=\"" + std::to_string(run.results + fragments.broken_count) + "\" failures=\"" +
                       std::to_string(run.broken + fragments.broken_count) + "\" errors=\"0\" skipped=\"" +
                       std::to_string(run.blocked + run.skipped) + "\" time=\"" +
                       Seconds(run.duration_s.value_or(0) * 1000) + "\"";
  std::string name = "greencrawl run " + std::to_string(run.id);
  auto property = [&out](const char* key, const std::string& value) {
    out << "      <property name=\"" << key << "\" value=\"" << XmlEscape(value, 256) << "\"/>\n";
  };
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"" << XmlEscape(name) << "\"" << counts << ">\n"
      << "  <testsuite name=\"" << XmlEscape(run.list_file.empty() ? name : run.list_file) << "\"" << counts
      << " timestamp=\"" << XmlEscape(run.started_at, 64) << "\">\n"
      << "    <properties>\n";
  property("run", std::to_string(run.id));
  property("status", run.status);
  property("accept", accept.Text());
  property("ok", std::to_string(run.ok));
  property("broken", std::to_string(run.broken));
  for (const auto& section : data.broken) property(("broken." + section.group).c_str(), std::to_string(section.total));
  property("blocked", std::to_string(run.blocked));
  property("skipped", std::to_string(run.skipped));
  property("errors", std::to_string(run.errors));
  auto breakdown = [](const std::vector<storage::CountRow>& rows) {
    std::string s;
    for (const auto& c : rows) s += (s.empty() ? "" : ", ") + c.key + ": " + std::to_string(c.count);
    return s;
  };
  property("by_status", breakdown(data.by_status));
  property("by_error", breakdown(data.by_error));
  if (fragments.checked) property("broken_fragments", std::to_string(fragments.broken_count));
  if (data.sitemaps.read) property("sitemap_broken", std::to_string(data.sitemaps.broken_count));
  property("redirected", std::to_string(data.redirect_total));
  if (data.headline.previous_run) {
    property("compared_with", std::to_string(*data.headline.previous_run));
    property("changed_urls", std::to_string(data.changed_urls));
  }
  property("new_broken", std::to_string(data.history.new_broken));
  property("fixed", std::to_string(data.history.fixed));
  out << "    </properties>\n";
  in.ForEachResult(run.id, [&](const storage::Inspector::ResultLine& r) {
    std::string host = urls::Host(r.url);
    out << "    <testcase name=\"" << XmlEscape(r.url) << "\" classname=\""
        << XmlEscape(host.empty() ? "(no host)" : host, 300) << "\" time=\"" << Seconds(r.total_ms) << "\"";
    std::string words = OutcomeWords(r);
    if (r.resource_kind) words = *r.resource_kind + ": " + words;  // "image: 404 Not Found"
    switch (storage::Judge(accept, r.status, r.error)) {
      case storage::Verdict::kBlocked:
        out << ">\n      <skipped message=\"" << XmlEscape(words + ": " + r.error_message.value_or(""), 1024)
            << "\"/>\n    </testcase>\n";
        break;
      case storage::Verdict::kSkipped:
        out << ">\n      <skipped message=\"" << XmlEscape("skipped: " + r.error_message.value_or(words), 1024)
            << "\"/>\n    </testcase>\n";
        break;
      case storage::Verdict::kBroken:
        out << ">\n      <failure type=\""
            << XmlEscape(r.error ? *r.error : "http_" + std::to_string(r.status.value_or(0)), 64) << "\" message=\""
            << XmlEscape(words, 256) << "\">" << XmlEscape(r.error_message.value_or(words))
            << "</failure>\n    </testcase>\n";
        break;
      case storage::Verdict::kOk:
        out << "/>\n";
    }
  });
  for (const auto& f : fragments.broken) {
    std::string host = urls::Host(f.url);
    std::string from = f.referrers.empty() ? "" : "; linked from " + std::to_string(f.referrer_count) +
                                                      " page(s), e.g. " + f.referrers.front();
    out << "    <testcase name=\"" << XmlEscape(f.url + "#" + f.fragment) << "\" classname=\""
        << XmlEscape(host.empty() ? "(no host)" : host, 300) << "\" time=\"0.000\">\n      <failure type=\"fragment\" "
        << "message=\"" << XmlEscape("no anchor #" + f.fragment, 256) << "\">"
        << XmlEscape("no id or <a name> \"" + f.fragment + "\" on the page" + from) << "</failure>\n    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace gc
