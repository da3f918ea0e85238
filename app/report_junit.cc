#include "app/report_junit.h"

#include <cstdio>

#include "parser/utf8.h"
#include "urls/url.h"

namespace gc {
namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string Seconds(std::optional<double> ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms.value_or(0) / 1000.0);
  return buf;
}

// "HTTP 404", "error timeout (HTTP 200)", "blocked (HTTP 403)": the outcome in a few words.
std::string OutcomeWords(const storage::Inspector::ResultLine& r) {
  std::string status = r.status ? "HTTP " + std::to_string(*r.status) : "";
  if (!r.error) return status.empty() ? "no response" : status;
  return (*r.error == "blocked" ? std::string("blocked") : "error " + *r.error) +
         (status.empty() ? "" : " (" + status + ")");
}

}  // namespace

std::string XmlEscape(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 16);
  for (size_t i = 0; i < s.size();) {
    if (out.size() >= max_bytes) {
      out += "…";
      break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        // As references, so that attribute-value normalisation (XML 1.0 3.3.3) keeps them.
        case '\t':
          out += "&#9;";
          break;
        case '\n':
          out += "&#10;";
          break;
        case '\r':
          out += "&#13;";
          break;
        default:
          out += c < 0x20 ? kReplacement : std::string(1, char(c));  // XML 1.0 2.2: no other C0
      }
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    // U+FFFE and U+FFFF are not XML characters (XML 1.0 2.2 Char).
    if (n == 0 || (n == 3 && s.substr(i, 2) == "\xEF\xBF" && (s[i + 2] == '\xBE' || s[i + 2] == '\xBF'))) {
      out += kReplacement;
      i += n ? n : 1;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

void WriteJunit(storage::Inspector& in, int64_t run_id, std::ostream& out) {
  storage::RunSummary run = in.Summary(run_id);
  storage::AcceptSet accept = in.AcceptFor(run_id);
  std::string counts = " tests=\"" + std::to_string(run.results) + "\" failures=\"" + std::to_string(run.broken) +
                       "\" errors=\"0\" skipped=\"" + std::to_string(run.blocked) + "\" time=\"" +
                       Seconds(run.duration_s.value_or(0) * 1000) + "\"";
  std::string name = "greencrawl run " + std::to_string(run.id);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"" << XmlEscape(name) << "\"" << counts << ">\n"
      << "  <testsuite name=\"" << XmlEscape(run.list_file.empty() ? name : run.list_file) << "\"" << counts
      << " timestamp=\"" << XmlEscape(run.started_at, 64) << "\">\n"
      << "    <properties>\n"
      << "      <property name=\"run\" value=\"" << run.id << "\"/>\n"
      << "      <property name=\"status\" value=\"" << XmlEscape(run.status, 64) << "\"/>\n"
      << "      <property name=\"accept\" value=\"" << XmlEscape(accept.Text(), 256) << "\"/>\n"
      << "    </properties>\n";
  in.ForEachResult(run_id, [&](const storage::Inspector::ResultLine& r) {
    std::string host = urls::Host(r.url);
    out << "    <testcase name=\"" << XmlEscape(r.url) << "\" classname=\""
        << XmlEscape(host.empty() ? "(no host)" : host, 300) << "\" time=\"" << Seconds(r.total_ms) << "\"";
    std::string words = OutcomeWords(r);
    if (r.error && *r.error == "blocked") {
      out << ">\n      <skipped message=\"" << XmlEscape(words + ": " + r.error_message.value_or(""), 1024)
          << "\"/>\n    </testcase>\n";
    } else if (accept.Broken(r.status, r.error)) {
      out << ">\n      <failure type=\""
          << XmlEscape(r.error ? *r.error : "http_" + std::to_string(r.status.value_or(0)), 64) << "\" message=\""
          << XmlEscape(words, 256) << "\">" << XmlEscape(r.error_message.value_or(words))
          << "</failure>\n    </testcase>\n";
    } else {
      out << "/>\n";
    }
  });
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace gc
