// CookieCap: keeps a libcurl cookie jar (the one shared by a crawl's Fetchers, --cookies) within browser
// limits: kPerDomain cookies per cookie domain and kTotal in all, the oldest first seen going first.
// libcurl 7.88 caps only what one response may set (MAX_SET_COOKIE_AMOUNT, 50) and what one request sends
// (MAX_COOKIE_SEND_AMOUNT, 150), never the jar, and it scans a domain's cookies on every request and every
// Set-Cookie: a site setting 50 new cookies a page slowed a crawl from 228 to 22 pages per 10 s while RSS
// grew from 27 to 147 MB.
//
// libcurl has no eviction hook, so the cap is applied from outside: after kCheckEvery Set-Cookie headers
// the jar is read (CURLINFO_COOKIELIST) and, when over a cap, cleared and refilled with what stays
// (CURLOPT_COOKIELIST "ALL", then one Netscape line each), through an easy handle of its own on the jar's
// share (a finished transfer's handle did not take the lines back: libcurl 7.88 left its jar empty).
// Between checks the jar may exceed the caps by up to kCheckEvery cookies. Loop thread only; a CookieCap
// must be destroyed before its share.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gc {

class CookieCap {
 public:
  // Firefox's network.cookie.maxPerHost and maxNumber (Chromium: 180 per domain, 3,300 in all).
  static constexpr size_t kPerDomain = 180;
  static constexpr size_t kTotal = 3000;
  static constexpr int kCheckEvery = 90;

  explicit CookieCap(CURLSH* share) : easy_(curl_easy_init()) {
    if (!easy_) return;  // out of memory: no cap (the jar works as before)
    curl_easy_setopt(easy_.get(), CURLOPT_SHARE, share);
    curl_easy_setopt(easy_.get(), CURLOPT_COOKIEFILE, "");
  }
  CookieCap(const CookieCap&) = delete;
  CookieCap& operator=(const CookieCap&) = delete;

  // A transfer with the cookie engine on has ended after `set_cookies` Set-Cookie headers. Not inside a
  // libcurl callback.
  void Saw(int set_cookies) {
    pending_ += set_cookies;
    if (pending_ < kCheckEvery || !easy_) return;
    pending_ = 0;
    Trim(easy_.get());
  }

  // Cookies in the jar now (tests).
  size_t Count() const {
    curl_slist* list = nullptr;
    if (!easy_ || curl_easy_getinfo(easy_.get(), CURLINFO_COOKIELIST, &list) != CURLE_OK) return 0;
    size_t n = 0;
    for (curl_slist* l = list; l; l = l->next) ++n;
    curl_slist_free_all(list);
    return n;
  }

 private:
  struct Cookie {
    std::string line;  // Netscape format, as CURLINFO_COOKIELIST gives it and CURLOPT_COOKIELIST takes it
    std::string domain;
    uint64_t seq;      // when first seen: lower is older
  };

  // Field `i` (tab-separated) of a Netscape cookie line.
  static std::string_view Field(std::string_view line, int i) {
    for (; i > 0; --i) {
      size_t tab = line.find('\t');
      if (tab == std::string_view::npos) return {};
      line.remove_prefix(tab + 1);
    }
    return line.substr(0, line.find('\t'));
  }

  void Trim(CURL* easy) {
    curl_slist* list = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &list) != CURLE_OK) return;
    std::vector<Cookie> all;
    std::unordered_map<std::string, size_t> per_domain;
    std::unordered_map<std::string, uint64_t> seen;  // the keys still in the jar
    bool over = false;
    for (curl_slist* l = list; l; l = l->next) {
      std::string_view line = l->data;
      std::string_view domain = Field(line, 0);
      if (domain.substr(0, 10) == "#HttpOnly_") domain.remove_prefix(10);
      if (!domain.empty() && domain.front() == '.') domain.remove_prefix(1);
      // A cookie is its domain, path and name (RFC 6265 5.3 step 11): a replaced value keeps its age.
      std::string key = std::string(Field(line, 0)) + '\t' + std::string(Field(line, 2)) + '\t' +
                        std::string(Field(line, 5));
      auto it = first_seen_.find(key);
      uint64_t seq = it != first_seen_.end() ? it->second : next_seq_++;
      seen.emplace(std::move(key), seq);
      over |= ++per_domain[std::string(domain)] > kPerDomain;
      all.push_back({std::string(line), std::string(domain), seq});
    }
    curl_slist_free_all(list);
    first_seen_ = std::move(seen);
    if (!over && all.size() <= kTotal) return;
    // The newest first: each domain keeps its kPerDomain newest, the jar its kTotal newest.
    std::sort(all.begin(), all.end(), [](const Cookie& a, const Cookie& b) { return a.seq > b.seq; });
    per_domain.clear();
    std::vector<const Cookie*> kept;
    for (const Cookie& c : all) {
      if (kept.size() < kTotal && ++per_domain[c.domain] <= kPerDomain) kept.push_back(&c);
    }
    curl_easy_setopt(easy, CURLOPT_COOKIELIST, "ALL");
    std::unordered_map<std::string, uint64_t> still;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {  // oldest first, as they came
      curl_easy_setopt(easy, CURLOPT_COOKIELIST, (*it)->line.c_str());
      std::string_view line = (*it)->line;
      std::string key = std::string(Field(line, 0)) + '\t' + std::string(Field(line, 2)) + '\t' +
                        std::string(Field(line, 5));
      still.emplace(std::move(key), (*it)->seq);
    }
    first_seen_ = std::move(still);
  }

  struct EasyDeleter {
    void operator()(CURL* e) const { curl_easy_cleanup(e); }
  };
  std::unique_ptr<CURL, EasyDeleter> easy_;
  int pending_ = 0;
  uint64_t next_seq_ = 0;
  std::unordered_map<std::string, uint64_t> first_seen_;  // cookie key -> seq, for the cookies in the jar
};

}  // namespace gc
