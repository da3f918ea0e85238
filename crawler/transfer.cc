#include "crawler/transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "crawler/error_class.h"
#include "crawler/private_address.h"
#include "parser/page_parser.h"
#include "urls/url.h"
#include "version.h"

namespace gc {
namespace {

// The origin of a URL libcurl gave back (CURLINFO_EFFECTIVE_URL: "scheme://authority/..." as libcurl
// wrote it), as urls::Origin writes it, from a one-entry cache keyed by its scheme and authority, which
// alone decide the origin. The prereq check asks for every transfer, and a crawl's transfers mostly share
// a host: a libcurl URL parse each was 2 % of the loop thread in bench case (a). One cache per thread: a
// pure function of its key, shared by the Fetchers of that thread's loop.
std::string EffectiveOrigin(std::string_view url) {
  thread_local std::string cached_authority, cached_origin;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return urls::Origin(url);
  std::string_view authority = url.substr(0, url.find_first_of("/?#", scheme_end + 3));
  if (authority != cached_authority) {
    cached_authority.clear();  // first: were an assignment below to throw, no key maps to another's origin
    cached_origin = urls::Origin(url);
    cached_authority = authority;
  }
  return cached_origin;
}

// `url` (absolute, as libcurl writes it) without "user:password@": a redirect target may carry one, and
// final_url is stored and shown.
std::string WithoutUserinfo(std::string_view url) {
  size_t start = url.find("://");
  if (start == std::string_view::npos) return std::string(url);
  start += 3;
  size_t end = url.find_first_of("/?#", start);
  size_t at = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + std::string(url.substr(start + at + 1));
}

// "64M", "500K", "1G" or bytes, as --max-size is written.
std::string SizeText(int64_t bytes) {
  for (auto [shift, unit] : {std::pair{30, "G"}, std::pair{20, "M"}, std::pair{10, "K"}}) {
    if (bytes > 0 && bytes % (int64_t(1) << shift) == 0) return std::to_string(bytes >> shift) + unit;
  }
  return std::to_string(bytes);
}

// The most memory reserved up front for a body whose length is announced (see Transfer::OnWrite).
constexpr int64_t kMaxBodyReserve = 8 << 20;

// A page body decoded past kBombFloor at over kMaxDecodeRatio times its wire size is a compression bomb.
constexpr int64_t kBombFloor = 16 << 20;
constexpr int64_t kMaxDecodeRatio = 200;

// Whether the parser may read a body of this Content-Type: an HTML one, or none (it sniffs the body then).
// IsHtml with a body that sniffs as HTML answers exactly that.
bool MayBeHtml(std::string_view content_type) { return IsHtml(content_type, "<html"); }

std::string HeaderValue(CURL* easy, const char* name) {
  curl_header* h = nullptr;
  // request -1: the last request, i.e. the response after all redirects.
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h && h->value) return h->value;
  return {};
}

double Ms(CURL* easy, CURLINFO what) {
  curl_off_t us = 0;
  curl_easy_getinfo(easy, what, &us);
  return double(us) / 1000.0;
}

bool IsHttpScheme(const char* url) {
  CURLU* u = curl_url();
  char* scheme = nullptr;
  bool http = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              (std::string_view(scheme) == "http" || std::string_view(scheme) == "https");
  curl_free(scheme);
  curl_url_cleanup(u);
  return http;
}

// CURLE_UNSUPPORTED_PROTOCOL means two things: a URL (or redirect target) that is not http(s), or a
// response that is not HTTP at all. Tell them apart by the URLs involved. `location` is the last
// response's Location header: a target libcurl could not even parse (javascript:, data:) leaves no
// effective or redirect URL behind.
bool SchemeRefused(CURL* easy, const std::string& requested, const std::string& location) {
  if (!IsHttpScheme(requested.c_str())) return true;
  if (std::string scheme = SchemeOf(location); !scheme.empty() && scheme != "http" && scheme != "https") {
    return true;
  }
  // After a refused redirect the target is the effective URL (or, unfollowed, the redirect URL).
  for (CURLINFO info : {CURLINFO_EFFECTIVE_URL, CURLINFO_REDIRECT_URL}) {
    char* url = nullptr;
    if (curl_easy_getinfo(easy, info, &url) == CURLE_OK && url && !IsHttpScheme(url)) return true;
  }
  return false;
}

// Applies curl_easy_setopt calls and keeps the first refusal. A refused option (a libcurl without
// CURLOPT_PROTOCOLS_STR, out of memory for a string copy) must fail the transfer, not let it run with
// less protection than asked for (http/https only, the size cap, certificate checks).
class OptionSetter {
 public:
  explicit OptionSetter(CURL* easy) : easy_(easy) {}
  template <typename T>
  void Set(CURLoption option, T value, const char* name) {
    if (failed_) return;
    CURLcode rc = easy_ ? curl_easy_setopt(easy_, option, value) : CURLE_FAILED_INIT;
    if (rc != CURLE_OK) {
      failed_ = name;
      code_ = rc;
    }
  }
  bool ok() const { return failed_ == nullptr; }
  bool url_refused() const { return failed_ && std::string_view(failed_) == "CURLOPT_URL"; }
  std::string error() const {
    return std::string("curl_easy_setopt(") + failed_ + "): " + curl_easy_strerror(code_);
  }

 private:
  CURL* easy_;
  const char* failed_ = nullptr;
  CURLcode code_ = CURLE_OK;
};

// Spells each option once, for the call and for the error message.
#define GC_SETOPT(setter, option, value) (setter).Set(option, value, #option)

}  // namespace

bool Fetcher::Transfer::Configure(CURLSH* share) {
  CURL* e = easy.get();
  const FetchOptions& o = options;
  XXH3_64bits_reset(hash.get());
  OptionSetter set(e);
  GC_SETOPT(set, CURLOPT_URL, response.url.c_str());
  GC_SETOPT(set, CURLOPT_PRIVATE, this);
  GC_SETOPT(set, CURLOPT_SHARE, share);
  GC_SETOPT(set, CURLOPT_ERRORBUFFER, errbuf);
  GC_SETOPT(set, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
  GC_SETOPT(set, CURLOPT_WRITEDATA, this);
  GC_SETOPT(set, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  GC_SETOPT(set, CURLOPT_HEADERDATA, this);
  // Hostile input: http and https only, on redirects too; a redirect to file:// is an error, not a read.
  GC_SETOPT(set, CURLOPT_PROTOCOLS_STR, "http,https");
  GC_SETOPT(set, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  GC_SETOPT(set, CURLOPT_FOLLOWLOCATION, 1L);
  GC_SETOPT(set, CURLOPT_MAXREDIRS, o.max_redirects);
  GC_SETOPT(set, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
  GC_SETOPT(set, CURLOPT_NOSIGNAL, 1L);
  // Debian's libcurl 7.88 resolves in a thread; without this, ending a transfer whose lookup hangs can
  // block the loop until the lookup returns.
  GC_SETOPT(set, CURLOPT_QUICK_EXIT, 1L);
  GC_SETOPT(set, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  GC_SETOPT(set, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  GC_SETOPT(set, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_bytes);
  GC_SETOPT(set, CURLOPT_LOW_SPEED_TIME, o.low_speed_seconds);
  // An announced Content-Length over the cap fails before the body is read (0: no such check, for a
  // transfer that keeps the head of a longer body).
  GC_SETOPT(set, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(o.keep_head_over_cap ? 0 : o.max_body_bytes));
  GC_SETOPT(set, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  GC_SETOPT(set, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  if (!o.ca_file.empty()) GC_SETOPT(set, CURLOPT_CAINFO, o.ca_file.c_str());
  // Waiting for a first connection to learn whether it multiplexes pays only where HTTP/2 is possible: over
  // TLS (libcurl's default CURL_HTTP_VERSION_2TLS). For http:// libcurl 7.88 waited too: a burst of
  // transfers to one new host queued behind the first connection, the second one until the first transfer
  // had ended (a whole response time in bench case b).
  GC_SETOPT(set, CURLOPT_PIPEWAIT, strncasecmp(response.url.c_str(), "https://", 8) == 0 ? 1L : 0L);
  // Every socket is opened and closed through us: the SSRF guard checks the address, and the Fetcher keeps
  // a connection's poll until the socket is really closed (fetcher.cc, Fetcher::Socket).
  GC_SETOPT(set, CURLOPT_OPENSOCKETFUNCTION, &Transfer::OnOpenSocket);
  GC_SETOPT(set, CURLOPT_OPENSOCKETDATA, this);
  GC_SETOPT(set, CURLOPT_CLOSESOCKETFUNCTION, &Fetcher::OnCloseSocket);
  GC_SETOPT(set, CURLOPT_CLOSESOCKETDATA, fetcher);
  if (o.private_addresses != PrivateAddresses::kAllow || !o.credential_origin.empty()) {
    GC_SETOPT(set, CURLOPT_PREREQFUNCTION, &Transfer::OnPrereq);
    GC_SETOPT(set, CURLOPT_PREREQDATA, this);
  }
  std::string ua = o.user_agent.empty() ? "greencrawl/" GREENCRAWL_VERSION : o.user_agent;
  GC_SETOPT(set, CURLOPT_USERAGENT, ua.c_str());  // libcurl copies string options
  bool lists_ok = true;
  auto append = [&](const std::string& header) {
    curl_slist* longer = curl_slist_append(headers.get(), header.c_str());
    if (!longer) lists_ok = false;  // out of memory; the list so far stays owned by headers
    if (longer) {
      headers.release();
      headers.reset(longer);
    }
  };
  for (const auto& h : o.headers) append(h);
  if (!o.if_none_match.empty()) append("If-None-Match: " + o.if_none_match);
  if (!o.if_modified_since.empty()) append("If-Modified-Since: " + o.if_modified_since);
  if (headers) GC_SETOPT(set, CURLOPT_HTTPHEADER, headers.get());

  // --- Network habits (proxy, cookies, rate limit): FetchOptions proxy, cookies, max_recv_bytes_per_s. ---
  // An empty CURLOPT_PROXY would switch the environment's proxies off: set it only when given.
  if (!o.proxy.empty()) GC_SETOPT(set, CURLOPT_PROXY, o.proxy.c_str());
  // "" enables the cookie engine without reading a file (CURLOPT_COOKIEFILE(3)); cookies set on a
  // redirect are sent on the next hop, and the Fetcher's share gives every transfer the same jar.
  if (o.cookies) GC_SETOPT(set, CURLOPT_COOKIEFILE, "");
  if (o.max_recv_bytes_per_s > 0) {
    GC_SETOPT(set, CURLOPT_MAX_RECV_SPEED_LARGE, curl_off_t(o.max_recv_bytes_per_s));
    // libcurl checks the rate between reads, and reads up to 100 buffers in a row while the socket has
    // data (7.88's readwrite_data): with 16 KB buffers a fast server gets 1.6 MB through before the
    // first check. Smaller buffers keep the limit from the first second.
    long buffer = long(std::clamp<int64_t>(o.max_recv_bytes_per_s / 20, 1024, CURL_MAX_WRITE_SIZE));
    GC_SETOPT(set, CURLOPT_BUFFERSIZE, buffer);
  }
  // --- end of network habits ---

  if (set.ok() && lists_ok) return true;
  // libcurl refuses a URL only for its length (over 8 MB in 7.88): not a URL we can fetch.
  response.error = set.url_refused() ? error_class::kInvalidUrl : error_class::kOther;
  response.error_message = lists_ok ? set.error() : "curl_slist_append: out of memory";
  return false;
}

#undef GC_SETOPT

// Fills in the Response of a finished transfer. Runs under C callbacks (OnPoll, OnTimeout), so nothing
// may escape: copying what the server sent can only fail for want of memory, and that becomes the result.
void Fetcher::Transfer::Finish(CURLcode code) noexcept {
  CURL* e = easy.get();
  Response& r = response;
  try {
    char* s = nullptr;
    if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s) r.final_url = WithoutUserinfo(s);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &r.redirects);
    s = nullptr;
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s) r.content_type = s;
    s = nullptr;
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s) r.ip = s;
    curl_off_t body_wire = 0;
    long header_bytes = 0;
    curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &body_wire);  // before decoding
    curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &header_bytes);
    r.wire_bytes = int64_t(body_wire) + header_bytes;
    r.timings.dns_ms = Ms(e, CURLINFO_NAMELOOKUP_TIME_T);
    r.timings.connect_ms = Ms(e, CURLINFO_CONNECT_TIME_T);
    r.timings.tls_ms = Ms(e, CURLINFO_APPCONNECT_TIME_T);
    r.timings.first_byte_ms = Ms(e, CURLINFO_STARTTRANSFER_TIME_T);
    r.timings.total_ms = Ms(e, CURLINFO_TOTAL_TIME_T);
    r.etag = HeaderValue(e, "ETag");
    r.last_modified = HeaderValue(e, "Last-Modified");
    r.retry_after = HeaderValue(e, "Retry-After");
    r.cf_mitigated = HeaderValue(e, "cf-mitigated");
    r.body_hash = XXH3_64bits_digest(hash.get());
    r.error = error_class::FromCurl(code, cap_hit);
    if (cut_short && code == CURLE_WRITE_ERROR) {
      // A check read what it needed (status and headers) and stopped: an answer, not a failure.
      r.error.clear();
      r.body_cut = true;
      curl_off_t announced = -1;
      curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
      r.size = announced >= 0 ? int64_t(announced) : -1;
    }
    if (code == CURLE_UNSUPPORTED_PROTOCOL && !SchemeRefused(e, r.url, header_check.location())) {
      r.error = error_class::kBadResponse;  // libcurl's word for a reply that is not HTTP (an "HTTP/0.9" one)
    }
    if (error_class::IsMalformedResponse(code, errbuf)) r.error = error_class::kBadResponse;
    if (credentials_kept && code == CURLE_ABORTED_BY_CALLBACK) {
      r.error = error_class::kCredentialRedirect;
      r.error_message = refusal;
    } else if ((request_refused && code == CURLE_ABORTED_BY_CALLBACK) ||
        (connect_refused && code == CURLE_COULDNT_CONNECT)) {
      r.error = error_class::kPrivateAddress;
      r.error_message = refusal;
    } else if (bomb) {
      r.error_message = "compression bomb: over " + std::to_string(kMaxDecodeRatio) + " times its size on the wire";
    } else if (out_of_memory) {
      r.error = error_class::kTooLarge;
      r.error_message = "out of memory holding the response";
    } else if (r.error == error_class::kTooLarge) {
      TooLarge(e, code);
    } else if (header_verdict == HeaderCheck::Verdict::kTooLarge) {
      r.error = error_class::kBadResponse;
      r.error_message = "response headers over " + std::to_string(HeaderCheck::kMaxBytes / 1024) + " KiB";
    } else if (header_verdict == HeaderCheck::Verdict::kConflictingLength) {
      r.error = error_class::kBadResponse;
      r.error_message = "conflicting Content-Length headers";
    } else if (!r.error.empty()) {
      r.error_message = errbuf[0] ? errbuf : curl_easy_strerror(code);
    }
  } catch (...) {
    // Short strings: these assignments stay within std::string's inline buffer and cannot throw.
    r.error = error_class::kOther;
    r.error_message = "out of memory";
  }
}

// A too_large result names the cap, where libcurl says only "Failure writing output to destination", and
// its size is what is known: never more than was read (the write callback counts the chunk that crossed
// the cap too), unless the server announced more in Content-Length.
void Fetcher::Transfer::TooLarge(CURL* e, CURLcode code) {
  int64_t cap = options.max_body_bytes;
  // The header, not CURLINFO_CONTENT_LENGTH_DOWNLOAD_T: libcurl 7.88 refuses an announced length over
  // CURLOPT_MAXFILESIZE before it records it there.
  std::string length = HeaderValue(e, "Content-Length");
  int64_t announced = -1;
  if (!length.empty() && length.size() < 19 && length.find_first_not_of("0123456789") == std::string::npos) {
    announced = std::stoll(length);
  }
  response.size = std::max<int64_t>(std::min(response.size, cap), announced);
  // keep_head_over_cap is for robots.txt and sitemaps, whose caps are their own, not --max-size.
  response.error_message = std::string(code == CURLE_FILESIZE_EXCEEDED ? "announced body" : "body") + " over " +
                           (options.keep_head_over_cap ? "the size cap " : "--max-size ") + SizeText(cap);
}

// Every header line of every response (hops included) passes HeaderCheck; a refusal aborts the transfer
// (CURLE_WRITE_ERROR), which is never retried, and Finish reports it as bad_response.
size_t Fetcher::Transfer::OnHeader(char* data, size_t size, size_t count, void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  size_t n = size * count;
  if (t->options.cookies && n > 11 && strncasecmp(data, "set-cookie:", 11) == 0) ++t->set_cookies;
  try {
    t->header_verdict = t->header_check.Add(std::string_view(data, n));
  } catch (...) {
    t->out_of_memory = true;
    return 0;
  }
  return t->header_verdict == HeaderCheck::Verdict::kOk ? n : 0;
}

size_t Fetcher::Transfer::OnWrite(char* data, size_t size, size_t count, void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  size_t n = size * count;
  t->response.size += int64_t(n);
  // The cap is on DECODED bytes, here in the write callback: CURLOPT_MAXFILESIZE alone stops neither an
  // endless chunked body nor a gzip bomb.
  if (t->response.size > t->options.max_body_bytes) {
    t->cap_hit = true;
    if (t->options.keep_head_over_cap && t->options.keep_body) {
      // The part of this chunk that is still under the cap is kept; then the transfer ends as too_large.
      int64_t room = t->options.max_body_bytes - int64_t(t->response.body.size());
      if (room > 0) {
        size_t head = size_t(std::min<int64_t>(room, int64_t(n)));
        try {
          t->response.body.append(data, head);
          XXH3_64bits_update(t->hash.get(), data, head);
        } catch (...) {
          t->out_of_memory = true;
        }
      }
      t->response.size = int64_t(t->response.body.size());
    }
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  if (t->options.check_read_bytes > 0 && t->response.size > t->options.check_read_bytes) {
    t->cut_short = true;  // a check has its answer: stop reading (Finish records it as a success)
    return 0;
  }
  XXH3_64bits_update(t->hash.get(), data, n);
  if (!t->options.keep_body) return n;
  if (t->options.keep_for_parser) return t->KeepForParser(data, n) ? n : 0;  // 0: out of memory or a bomb
  // This callback is noexcept (a C callback): an allocation that fails ends the transfer, as too_large.
  try {
    if (t->response.body.empty()) {
      // One allocation for a body whose length is announced, but the announcement is the server's word:
      // reserve no more than kMaxBodyReserve (and the cap); a longer body grows as it really arrives.
      curl_off_t announced = -1;
      curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
      int64_t reserve = std::min<int64_t>({announced, t->options.max_body_bytes, kMaxBodyReserve});
      if (reserve > 0) t->response.body.reserve(size_t(reserve));
    }
    t->response.body.append(data, n);
  } catch (...) {
    t->out_of_memory = true;
    return 0;
  }
  return n;
}

// Keeps what the parser will read of a page, within the process-wide budget (body_budget.h): the body's
// capacity is grown here, not by std::string, so that what the lease counts is what is allocated.
bool Fetcher::Transfer::KeepForParser(const char* data, size_t n) noexcept {
  // libcurl decodes in its write path, on the loop thread, up to 100 socket reads in one call (7.88's
  // readwrite_data): a brotli bomb of 2 KB inflated to --max-size in one call (1 GB: the loop deaf to
  // SIGINT for a minute with 16 of them). Past kBombFloor decoded, a body that decodes to over
  // kMaxDecodeRatio times what came over the wire is a bomb: it ends here as too_large. gzip cannot pass
  // 1,032:1; real pages are 3-20:1.
  if (response.size > kBombFloor) {
    curl_off_t wire = 0;
    curl_easy_getinfo(easy.get(), CURLINFO_SIZE_DOWNLOAD_T, &wire);
    if (response.size > kMaxDecodeRatio * (int64_t(wire) + CURL_MAX_WRITE_SIZE)) {
      bomb = cap_hit = true;
      return false;
    }
  }
  if (keep == Keep::kUndecided) {
    char* type = nullptr;
    curl_easy_getinfo(easy.get(), CURLINFO_CONTENT_TYPE, &type);
    keep = MayBeHtml(type ? type : "") ? Keep::kYes : Keep::kNo;
  }
  if (keep == Keep::kNo) return true;
  std::string& body = response.body;
  size_t take = std::min(n, kMaxParseBytes - body.size());
  try {
    if (body.size() + take > body.capacity()) {
      if (!response.body_lease) response.body_lease = std::make_shared<BodyLease>();
      size_t need = body.size() + take;
      // Doubling as std::string would, from the announced length (within kMaxBodyReserve) on the first
      // write, but never past what the parser reads.
      size_t want = std::max(need, std::min(kMaxParseBytes, std::max<size_t>(body.capacity() * 2, 64 << 10)));
      if (body.empty()) {
        curl_off_t announced = -1;
        curl_easy_getinfo(easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
        if (announced > 0) want = std::max(need, size_t(std::min<int64_t>({announced, kMaxBodyReserve, int64_t(kMaxParseBytes)})));
      }
      if (!response.body_lease->Grow(int64_t(want - body.capacity()))) {
        want = need;  // the budget is short: no more than this write, else stop keeping
        if (!response.body_lease->Grow(int64_t(want - body.capacity()))) take = 0;
      }
      if (take > 0) body.reserve(want);
    }
    body.append(data, take);
  } catch (...) {
    out_of_memory = true;
    return false;
  }
  if (take < n) keep = Keep::kNo;  // cut at kMaxParseBytes or by the budget: the rest is only hashed
  return true;
}

bool Fetcher::Transfer::CredentialsStayHome() noexcept {
  try {
    char* url = nullptr;
    std::string origin;
    if (curl_easy_getinfo(easy.get(), CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) origin = EffectiveOrigin(url);
    if (origin == options.credential_origin) return true;
    refusal = "a redirect to " + origin + " would carry the credential headers meant for " +
              options.credential_origin + ": not followed";
  } catch (...) {
  }
  return false;
}

// The SSRF guard's rule (FetchOptions::private_addresses) for talking to `ip` now, for the URL this
// transfer is on: its current redirect hop, which is libcurl's effective URL once it follows one.
bool Fetcher::Transfer::MayUse(bool non_public, const char* ip) noexcept {
  if (!non_public || options.private_addresses == PrivateAddresses::kAllow) return true;
  try {
    std::string origin;
    if (options.private_addresses == PrivateAddresses::kListedOrigins) {
      char* url = nullptr;
      if (curl_easy_getinfo(easy.get(), CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) {
        origin = EffectiveOrigin(url);
      }
      if (!origin.empty() && options.listed_origins && options.listed_origins->count(origin)) return true;
    }
    refusal = std::string("refused to use ") + ip + ": not a public address" +
              (options.private_addresses == PrivateAddresses::kListedOrigins
                   ? ", and the URL list does not name the origin " + origin
                   : std::string());
  } catch (...) {
    // Out of memory: refuse without a message (fail closed).
  }
  return false;
}

// Opens every socket libcurl connects with, so the address is checked before a packet leaves, and tells
// the Fetcher the fd number is a new socket's (Fetcher::Opened).
curl_socket_t Fetcher::Transfer::OnOpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* a) noexcept {
  auto* t = static_cast<Transfer*>(clientp);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;  // only outgoing connections are ours
  if (t->options.private_addresses != PrivateAddresses::kAllow) {
    char ip[INET6_ADDRSTRLEN] = "?";  // for the refusal message
    if (a->family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a->addr)->sin6_addr, ip, sizeof ip);
    } else if (a->family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a->addr)->sin_addr, ip, sizeof ip);
    }
    if (!t->MayUse(IsNonPublicAddress(&a->addr, a->addrlen), ip)) {
      // libcurl counts this address as failed and tries the resolver's next one, if any.
      t->connect_refused = true;
      return CURL_SOCKET_BAD;
    }
  }
  curl_socket_t s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (s != CURL_SOCKET_BAD && t->fetcher) t->fetcher->Opened(s);
  return s;
}

// Before each request, on a new or a reused connection: the peer it will go to. Catches what
// OnOpenSocket cannot see (a connection opened earlier by a transfer with another policy).
int Fetcher::Transfer::OnPrereq(void* clientp, char* primary_ip, char*, int, int) noexcept {
  auto* t = static_cast<Transfer*>(clientp);
  if (!t->options.credential_origin.empty() && !t->CredentialsStayHome()) {
    t->credentials_kept = true;
    return CURL_PREREQFUNC_ABORT;
  }
  const char* ip = primary_ip ? primary_ip : "";
  if (t->MayUse(IsNonPublicAddress(ip), ip)) return CURL_PREREQFUNC_OK;
  t->request_refused = true;
  return CURL_PREREQFUNC_ABORT;
}

}  // namespace gc
