#include "app/settings.h"

#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "app/crawl.h"
#include "app/thresholds.h"
#include "storage/accept_set.h"
#include "text/utf8.h"
#include "urls/scope.h"
#include "urls/url.h"
#include "version.h"

namespace gc {
namespace {

using T = Setting::Type;

std::string CheckSize(const std::string& text) {
  return ParseSize(text) > 0 ? "" : "not a size (try 64M, 512K or 1G)";
}

std::string CheckRate(const std::string& text) {
  return ParseSize(text) >= 0 ? "" : "not a rate in bytes per second (try 200K or 1M; 0: no limit)";
}

std::string CheckProxy(const std::string& text) {
  for (const char* scheme : {"http://", "https://", "socks4://", "socks4a://", "socks5://", "socks5h://"}) {
    if (text.rfind(scheme, 0) == 0 && text.size() > std::string(scheme).size()) return "";
  }
  return "expected a proxy URL such as http://proxy.example:3128 or socks5h://127.0.0.1:1080";
}

std::string CheckReadableFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(path.c_str(), R_OK) != 0) {
    return "not a readable file";
  }
  return "";
}

std::string CheckRegex(const std::string& pattern) {
  if (std::string why = urls::NotPosixExtended(pattern); !why.empty()) return why;
  regex_t re;
  int rc = regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    regfree(&re);
    return "";
  }
  char why[128];
  regerror(rc, &re, why, sizeof why);
  return std::string("bad regular expression (POSIX extended): ") + why;
}

std::string CheckSitemapUrl(const std::string& text) {
  auto c = urls::Canonicalize(text);
  return c.ok() ? "" : "not an http(s) URL (" + c.message + ")";
}

std::string CheckThreshold(const std::string& text) {
  std::string why;
  return ParseThreshold(text, &why) ? "" : why;
}

std::string CheckAccept(const std::string& text) {
  std::string why;
  return storage::AcceptSet::Parse(text, &why) ? "" : why;
}

std::string CheckListName(const std::string& name) {
  // Empty is the default, "by its path": stored worker settings and job files may spell it out.
  if (name.size() > 200) return "at most 200 characters";
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return "no control characters";
    size_t n = Utf8SequenceLength(name, i);
    if (n == 0) return "must be UTF-8";
    i += n;
  }
  return "";
}

std::string CheckHeader(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return "expected 'Name: value'";
  if (text.find_first_of("\r\n") != std::string::npos) return "a header may not contain a line break";
  return "";
}

std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(int64_t(v));  // 3600000, not 3.6e+06
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// Row builders: every row spells out what it needs, nothing more.
template <typename F>
Setting Row(const char* name, const char* short_name, T type, const char* value_name, const char* help, F field) {
  Setting s;
  s.name = name;
  s.short_name = short_name;
  s.type = type;
  s.value_name = value_name;
  s.help = help;
  s.field = field;
  return s;
}
Setting Choices(Setting s, std::vector<std::string> choices) {
  s.choices = std::move(choices);
  return s;
}
Setting Checked(Setting s, std::function<std::string(const std::string&)> check) {
  s.check = std::move(check);
  return s;
}

std::vector<Setting> MakeSettings() {
  using O = CrawlOptions;
  const double kMaxPages = double(int64_t(1) << 40);
  auto ranged = [](Setting s, double min, double max) {
    s.min = min;
    s.max = max;
    return s;
  };
  std::vector<Setting> s = {
      Row("list", "", T::kText, "LIST",
          "File of URLs, one per line ('-': standard input); blank lines and #comments skipped", &O::list),
      Checked(Row("list-name", "", T::kText, "NAME",
                  "Know the list by NAME across runs, not by its path (a list generated at a new path each time, "
                  "or piped in): its previous run, diff and --resume",
                  &O::list_name),
              CheckListName),
      Row("db", "", T::kText, "FILE", "Results database (created if missing)", &O::db),
      ranged(Row("concurrency", "", T::kInt, "N", "Transfers in flight at once", &O::concurrency), 1, 100000),
      ranged(Row("per-host", "", T::kInt, "N", "Transfers in flight per host (0: only --concurrency limits)",
                 &O::per_host),
             0, 100000),
      ranged(Row("delay", "", T::kInt, "MS", "Minimum milliseconds between two requests to the same host",
                 &O::delay_ms),
             0, 3600000),
      ranged(Row("timeout", "", T::kNumber, "SECONDS", "Seconds one transfer may take in all", &O::timeout_s), 0.1,
             86400),
      Checked(Row("max-size", "", T::kText, "SIZE", "Largest decoded body to read (K, M, G); larger is 'too_large'",
                  &O::max_size_text),
              CheckSize),
      Row("user-agent", "A", T::kText, "UA", "User-Agent header (default greencrawl/" GREENCRAWL_VERSION ")",
          &O::user_agent),
      Checked(Row("header", "H", T::kList, "'NAME: VALUE'", "Extra request header (repeatable)", &O::headers),
              CheckHeader),
      Row("resume", "", T::kFlag, "", "Continue the newest unfinished run in --db (else start a new one); refused when that run is of another list",
          &O::resume),
      Row("quiet", "q", T::kFlag, "", "No progress or summary on stderr; only errors", &O::quiet),
      Row("json", "", T::kFlag, "", "Print the end summary as JSON on stdout", &O::json),
      Row("insecure", "k", T::kFlag, "", "Do not verify TLS certificates", &O::insecure),
      Checked(Row("cacert", "", T::kText, "FILE", "Trust the CA certificates in this PEM file instead of the system's",
                  &O::cacert),
              CheckReadableFile),
      Choices(Row("private-addresses", "", T::kText, "WHICH",
                  "Loopback, private, link-local and metadata addresses: listed (only for origins the list names), "
                  "deny (never), allow (anywhere); also --deny-private, --allow-private",
                  &O::private_addresses),
              {"listed", "deny", "allow"}),
      Row("verbose", "v", T::kFlag, "", "One line per URL on stderr: its outcome and URL", &O::verbose),
      Checked(Row("proxy", "", T::kText, "URL",
                  "Proxy for every request (http://, https://, socks5h://...); without it http_proxy, "
                  "https_proxy and no_proxy are honoured",
                  &O::proxy),
              CheckProxy),
      Row("cookies", "", T::kFlag, "",
          "Keep cookies for the run, in memory (a cookie set on a redirect is sent on the next hop)", &O::cookies),
      Checked(Row("limit-rate", "", T::kText, "RATE", "Bytes per second per transfer (K, M suffixes; 0: no limit)",
                  &O::limit_rate_text),
              CheckRate),
      Row("recursive", "r", T::kFlag, "", "Follow links, as wget -r: to --depth 5 unless --depth is given",
          &O::recursive),
      ranged(Row("depth", "l", T::kInt, "N", "Follow links this many hops from the listed URLs (0: only the list)",
                 &O::depth),
             0, 1000),
      Choices(Row("scope", "", T::kText, "KIND", "Where links may lead: host, domain (registrable), prefix (path), any",
                  &O::scope),
              {"host", "domain", "prefix", "any"}),
      Checked(Row("include", "", T::kList, "REGEX", "Follow only URLs matching this POSIX extended regex (repeatable)",
                  &O::include),
              CheckRegex),
      Checked(Row("exclude", "", T::kList, "REGEX", "Never follow URLs matching this POSIX extended regex (repeatable)",
                  &O::exclude),
              CheckRegex),
      ranged(Row("max-pages", "", T::kInt, "N", "Stop following links after this many URLs in all (0: no limit)",
                 &O::max_pages),
             0, kMaxPages),
      Row("ignore-nofollow", "", T::kFlag, "", "Follow rel=nofollow links and meta-nofollow pages too",
          &O::ignore_nofollow),
      Row("ignore-robots", "", T::kFlag, "", "Do not fetch or honour robots.txt when following links",
          &O::ignore_robots),
      Row("check-fragments", "", T::kFlag, "",
          "Report links to page.html#id whose page has no such id or <a name> (needs --depth or -r)",
          &O::check_fragments),
      Row("check-resources", "", T::kFlag, "",
          "Check each page's images, scripts, stylesheets, iframes and media once (needs --depth or -r)",
          &O::check_resources),
      ranged(Row("max-crawl-delay", "", T::kNumber, "SECONDS", "Obey a robots.txt Crawl-delay up to this many seconds",
                 &O::max_crawl_delay_s),
             0, 86400),
      Row("sitemaps", "", T::kFlag, "",
          "Also crawl the URLs of each listed origin's sitemaps (robots.txt Sitemap: lines, else /sitemap.xml)",
          &O::sitemaps),
      Checked(Row("sitemap", "", T::kList, "URL", "Also crawl the URLs of this sitemap (repeatable; .xml, .xml.gz, .txt)",
                  &O::sitemap),
              CheckSitemapUrl),
      Choices(Row("external", "", T::kText, "WHEN",
                  "With --depth/-r: check each link to another site once (fetched, not followed): on, off",
                  &O::external),
              {"on", "off"}),
      Choices(Row("conditional", "", T::kText, "WHEN",
                  "If-None-Match/If-Modified-Since from the previous run of the list: auto (if there is one), on, off",
                  &O::conditional),
              {"auto", "on", "off"}),
      ranged(Row("retries", "", T::kInt, "N", "Extra attempts for timeouts, resets, 429 and 503", &O::retries), 0, 20),
      ranged(Row("retry-delay", "", T::kInt, "MS", "First retry backoff in ms (doubles; Retry-After wins if longer)",
                 &O::retry_delay_ms),
             0, 3600000),
      Checked(Row("fail-on", "", T::kList, "METRIC>N[%]",
                  "Exit 5 when a threshold is crossed: errors>5%, broken>10, blocked>0, changed>0, new-broken>0, "
                  "broken-for>3 "
                  "(repeatable)", &O::fail_on),
              CheckThreshold),
      Checked(Row("accept", "", T::kText, "CODES",
                  "HTTP statuses that are not broken, as codes and ranges: 200-299,429, and robots for robots.txt "
                  "exclusions (default 100-399,robots; for report and --fail-on)",
                  &O::accept),
              CheckAccept),
      ranged(Row("wait-lock", "", T::kNumber, "SECONDS", "Wait up to SECONDS for another crawl of the database to end",
                 &O::wait_lock_s),
             0, 86400),
      Row("report-html", "", T::kText, "FILE", "At the end, write the run's HTML report to FILE ({run}: the run id)",
          &O::report_html),
      ranged(Row("lease", "", T::kNumber, "SECONDS",
                 "With --db postgresql://: a worker's hold on its hosts without renewal (then others take them)",
                 &O::lease_s),
             1, 3600),
  };
  s[0].positional = true;
  return s;
}

}  // namespace

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = MakeSettings();
  return settings;
}

const Setting* FindSetting(const std::string& name) {
  for (const auto& s : Settings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string Expected(const Setting& s) {
  switch (s.type) {
    case T::kInt:
      return "an integer from " + Number(s.min) + " to " + Number(s.max);
    case T::kNumber:
      return "a number from " + Number(s.min) + " to " + Number(s.max);
    case T::kFlag:
      return "true or false";
    case T::kText:
      if (!s.choices.empty()) {
        std::string out;
        for (size_t i = 0; i < s.choices.size(); ++i) {
          out += (i == 0 ? "" : i + 1 == s.choices.size() ? " or " : ", ") + s.choices[i];
        }
        return out;
      }
      return "a string";
    case T::kList:
      return "a string or an array of strings";
  }
  return "";
}

std::string ParseText(const Setting& s, const std::string& text, SettingValue& out) {
  switch (s.type) {
    case T::kInt: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return "must be " + Expected(s) + " (not " + Quoted(text) + ")";
      }
      out = v;
      return "";
    }
    case T::kNumber: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
        return "must be " + Expected(s) + " (not " + Quoted(text) + ")";
      }
      out = v;
      return "";
    }
    case T::kFlag:
      out = true;
      return "";
    case T::kText:
      out = text;
      return "";
    case T::kList:
      out = std::vector<std::string>{text};
      return "";
  }
  return "";
}

std::string Check(const Setting& s, const SettingValue& v) {
  switch (s.type) {
    case T::kInt: {
      const int64_t* i = std::get_if<int64_t>(&v);
      if (!i) return "must be " + Expected(s);
      if (double(*i) < s.min || double(*i) > s.max) return "must be " + Expected(s) + " (not " + std::to_string(*i) + ")";
      return "";
    }
    case T::kNumber: {
      double d = 0;
      if (const double* p = std::get_if<double>(&v)) {
        d = *p;
      } else if (const int64_t* i = std::get_if<int64_t>(&v)) {
        d = double(*i);
      } else {
        return "must be " + Expected(s);
      }
      if (!std::isfinite(d) || d < s.min || d > s.max) return "must be " + Expected(s) + " (not " + Number(d) + ")";
      return "";
    }
    case T::kFlag:
      return std::holds_alternative<bool>(v) ? "" : "must be " + Expected(s);
    case T::kText: {
      const std::string* t = std::get_if<std::string>(&v);
      if (!t) return "must be " + Expected(s);
      if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), *t) == s.choices.end()) {
        return "must be " + Expected(s) + " (not " + Quoted(*t) + ")";
      }
      if (s.check) {
        std::string why = s.check(*t);
        if (why.empty()) return "";
        // "'2x9' is not a status code": the check named the whole value already.
        return why.rfind(Quoted(*t), 0) == 0 ? why : Quoted(*t) + ": " + why;
      }
      return "";
    }
    case T::kList: {
      const auto* items = std::get_if<std::vector<std::string>>(&v);
      if (!items) return "must be " + Expected(s);
      for (const auto& item : *items) {
        std::string why = s.check ? s.check(item) : "";
        if (!why.empty()) return why.rfind(Quoted(item), 0) == 0 ? why : Quoted(item) + ": " + why;
      }
      return "";
    }
  }
  return "";
}

void Assign(const Setting& s, const SettingValue& v, CrawlOptions& o) {
  std::visit(
      [&](auto field) {
        using F = std::remove_reference_t<decltype(o.*field)>;
        if constexpr (std::is_same_v<F, int> || std::is_same_v<F, int64_t>) {
          o.*field = F(std::get<int64_t>(v));
        } else if constexpr (std::is_same_v<F, double>) {
          o.*field = std::holds_alternative<double>(v) ? std::get<double>(v) : double(std::get<int64_t>(v));
        } else if constexpr (std::is_same_v<F, bool>) {
          o.*field = std::get<bool>(v);
        } else if constexpr (std::is_same_v<F, std::string>) {
          o.*field = std::get<std::string>(v);
        } else {
          o.*field = std::get<std::vector<std::string>>(v);
        }
      },
      s.field);
}

SettingValue Current(const Setting& s, const CrawlOptions& o) {
  return std::visit(
      [&](auto field) -> SettingValue {
        using F = std::remove_cv_t<std::remove_reference_t<decltype(o.*field)>>;
        if constexpr (std::is_same_v<F, int> || std::is_same_v<F, int64_t>) {
          return int64_t(o.*field);
        } else {
          return o.*field;
        }
      },
      s.field);
}

void Finalize(CrawlOptions& o) {
  o.max_size = ParseSize(o.max_size_text);
  o.limit_rate = std::max<int64_t>(0, ParseSize(o.limit_rate_text));
  if (o.recursive && o.depth == 0) o.depth = 5;  // wget's default for -r
}

namespace {

std::string ShellQuoted(const std::string& word) {
  bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                       "0123456789-_./:=,+@%") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ValueText(const SettingValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return Number(*d);
  if (const auto* t = std::get_if<std::string>(&v)) return *t;
  return "";
}

}  // namespace

std::string CommandLine(const CrawlOptions& o) {
  const CrawlOptions defaults;
  std::string out = "greencrawl crawl";
  std::string list;
  for (const auto& s : Settings()) {
    SettingValue now = Current(s, o), before = Current(s, defaults);
    if (s.positional) {
      list = ShellQuoted(std::get<std::string>(now));
      continue;
    }
    if (now == before) continue;
    std::string flag = " --" + s.name;
    if (const auto* b = std::get_if<bool>(&now)) {
      if (*b) out += flag;
    } else if (const auto* items = std::get_if<std::vector<std::string>>(&now)) {
      for (const auto& item : *items) out += flag + " " + ShellQuoted(item);
    } else {
      out += flag + " " + ShellQuoted(ValueText(now));
    }
  }
  return out + " " + list;
}

std::string Nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(1, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    // Optimal string alignment distance: Levenshtein plus adjacent transpositions ("crwal" -> "crawl": 1).
    std::vector<std::vector<size_t>> d(word.size() + 1, std::vector<size_t>(c.size() + 1));
    for (size_t i = 0; i <= word.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= c.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && word[i - 1] == c[j - 2] && word[i - 2] == c[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    if (d[word.size()][c.size()] < best_d) {
      best_d = d[word.size()][c.size()];
      best = c;
    }
  }
  return best;
}

}  // namespace gc
