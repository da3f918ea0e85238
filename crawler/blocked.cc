#include "crawler/blocked.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace gc {
namespace {

// Titles of the challenge interstitials of the common bot walls (Cloudflare, DDoS-Guard, Imperva/Distil,
// Sucuri), compared case-insensitively with the start of the page title.
constexpr std::string_view kTitles[] = {
    "just a moment",            // Cloudflare managed / JS challenge ("Just a moment...")
    "attention required!",      // Cloudflare block page ("Attention Required! | Cloudflare")
    "checking your browser",    // Cloudflare (older), Sucuri
    "ddos-guard",               // DDoS-Guard
    "pardon our interruption",  // Imperva (Distil)
    "verifying you are human",  // Cloudflare Turnstile interstitial
};

// Markers in the first bytes of the body, case-sensitive: script paths and variables the challenge
// pages load, never seen on an ordinary error page.
constexpr std::string_view kBodyMarkers[] = {
    "/cdn-cgi/challenge-platform/",  // Cloudflare
    "_cf_chl_opt",                   // Cloudflare
    "cf-browser-verification",       // Cloudflare (older)
    "captcha-delivery.com",          // DataDome
    "_Incapsula_Resource",           // Imperva Incapsula
    "px-captcha",                    // HUMAN (PerimeterX)
    "AwsWafIntegration",             // AWS WAF challenge
    "sucuri_cloudproxy_js",          // Sucuri
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Seconds a Retry-After value asks for (RFC 9110 10.2.3: delay-seconds or an HTTP-date), or -1.
long long RetryAfterSeconds(std::string_view value, std::time_t now) {
  value = Trim(value);
  if (value.empty() || value.size() > 64) return -1;
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return value.size() > 12 ? 999'999'999'999LL : std::atoll(std::string(value).c_str());
  }
  std::time_t at = curl_getdate(std::string(value).c_str(), nullptr);  // RFC 1123 and the older forms
  return at < 0 ? -1 : static_cast<long long>(at - now);
}

// The text of the first <title> element in `head` ("" when there is none in it), as written: a title
// with entities (&hellip;) still starts with the words compared.
std::string_view TitleIn(std::string_view head, const std::string& lower_head) {
  size_t open = lower_head.find("<title");
  if (open == std::string::npos) return {};
  size_t start = lower_head.find('>', open);
  if (start == std::string::npos) return {};
  size_t end = lower_head.find("</title", start);
  return head.substr(start + 1, end == std::string::npos ? std::string_view::npos : end - start - 1);
}

}  // namespace

std::string BlockedReason(const Response& r, std::time_t now) {
  if (!r.ok() || r.status <= 0) return "";
  if (Lower(Trim(r.cf_mitigated)) == "challenge") return "cf-mitigated: challenge";
  if (r.status == 429) {
    long long wait = RetryAfterSeconds(r.retry_after, now);
    if (wait > kMaxRetryAfter.count()) {
      return "429 with Retry-After " + std::to_string(wait) + " s, over the " + std::to_string(kMaxRetryAfter.count()) +
             " s a crawl waits";
    }
  }
  if (r.status != 403 && r.status != 429 && r.status != 503) return "";
  std::string_view head = std::string_view(r.body).substr(0, kBlockedBodyLook);
  std::string_view title = TitleIn(head, Lower(head));
  std::string t = Lower(Trim(title));
  for (std::string_view prefix : kTitles) {
    if (t.compare(0, prefix.size(), prefix) == 0)
      return "challenge page: title '" + std::string(Trim(title).substr(0, 80)) + "'";
  }
  for (std::string_view marker : kBodyMarkers) {
    if (head.find(marker) != std::string_view::npos) return "challenge page: " + std::string(marker);
  }
  return "";
}

}  // namespace gc
