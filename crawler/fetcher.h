// Fetcher: HTTP(S) transfers on libcurl's multi *socket* interface, driven by the hub's libuv loop.
//
//   gc::Fetcher fetcher(hub);
//   gc::Response r = co_await fetcher.Get("https://example.org/", options);   // inside a greenlet
//
// Thousands of transfers run at once on the loop thread. A greenlet that awaits Get() is woken when its
// transfer ends; curl's callbacks only record, and completed greenlets are queued after
// curl_multi_socket_action has returned. Failures are data: Response::error holds a stable class (see
// error_class.h), never an exception. Killing the awaiting greenlet cancels its transfer.
// Loop thread only. Destroy the Fetcher before its Hub.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crawler/body_budget.h"
#include "crawler/cookie_cap.h"
#include "greenlet/hub.h"
#include "greenlet/task.h"
#include "greenlet/uv_handle.h"

namespace gc {

// Whether a transfer may talk to non-public addresses (crawler/private_address.h): the SSRF guard.
enum class PrivateAddresses {
  kAllow,        // anywhere (tests, intranet crawls)
  kDeny,         // never
  kListedOrigins,  // only for a request whose URL origin is in FetchOptions::listed_origins
};

struct FetchOptions {
  long timeout_ms = 30'000;          // whole transfer
  long connect_timeout_ms = 10'000;  // TCP + TLS handshake
  long low_speed_bytes = 100;        // slower than this ...
  long low_speed_seconds = 20;       // ... for this long is a timeout (a trickling server)
  long max_redirects = 10;
  int64_t max_body_bytes = 64 << 20;  // decoded body cap; above it: error "too_large"
  // Over the cap, keep the body's first max_body_bytes bytes (the error is still "too_large") instead of
  // refusing an announced Content-Length before the body is read: robots.txt is parsed up to its cap.
  bool keep_head_over_cap = false;
  bool keep_body = true;              // false: count bytes and hash only, keep nothing
  // > 0: a check (a link to another site, a page's resource), which needs the answer, not the body: the
  // transfer ends, as a success, once more than this many body bytes have arrived (Response::body_cut).
  // A body that ends within it is read to its end and its connection kept for reuse.
  int64_t check_read_bytes = 0;
  // A page for the parser: keep the body only when the parser will read it (an HTML Content-Type, or
  // none: the parser sniffs), only its first kMaxParseBytes (parser/page_parser.h), and only while the
  // process-wide budget (crawler/body_budget.h) has room; the rest is counted and hashed, not kept (size
  // and body_hash cover the whole body). A body the budget cut short is parsed from what was kept.
  bool keep_for_parser = false;
  bool verify_tls = true;
  std::string ca_file;                // PEM file of CA certificates to trust instead of the system's (--cacert)
  std::string user_agent;             // empty: "greencrawl/VERSION"
  std::vector<std::string> headers;   // "Name: value"
  std::string if_none_match;          // conditional request validators
  std::string if_modified_since;
  // SSRF guard. Checked on the address actually connected to, not on what a name resolved to: before
  // every connection is opened (CURLOPT_OPENSOCKETFUNCTION: a refused address gets no packet) and before
  // every request is sent (CURLOPT_PREREQFUNCTION: redirect hops and reused connections too). A refusal
  // ends the transfer with error "private_address". Behind a proxy (libcurl honours http_proxy and
  // https_proxy from the environment) the address checked is the proxy's, not the target's.
  PrivateAddresses private_addresses = PrivateAddresses::kAllow;
  // For kListedOrigins: the origins the URL list itself names, each as urls::Origin(url) of a listed URL
  // ("scheme://host:port": host lower case, IDN in punycode, IPv4 in dotted decimal as libcurl's URL parser
  // writes it, IPv6 in brackets, the port always written). A request may use a non-public address only
  // when urls::Origin of the URL it is for (the current redirect hop's) is in the set: the rule compares
  // origin strings, never addresses, so "localhost" does not admit 127.0.0.1 nor the other way round,
  // http://2130706433/ is the host 127.0.0.1 (libcurl and urls:: write it so), and a listed
  // http://127.0.0.1:8080/ admits neither another port of 127.0.0.1 nor https on that port. One set
  // shared by a whole crawl; null means empty.
  std::shared_ptr<const std::unordered_set<std::string>> listed_origins;
  // Non-empty when `headers` carry credentials (crawler/credentials.h) for this origin, written as
  // urls::Origin writes it: a redirect to any other origin (another host, port or scheme: an https page
  // redirecting to http would send them in clear text) is not followed (error "credential_redirect").
  // libcurl 7.88 drops only custom Authorization and Cookie headers on such a redirect (http.c,
  // Curl_auth_allowed_to_host compares host, port and scheme), and sends X-Api-Key and the like anywhere.
  std::string credential_origin;
  // Network habits of wget/curl users (CrawlOptions proxy, cookies, limit_rate).
  std::string proxy;                  // CURLOPT_PROXY; empty: the *_proxy environment variables apply
  bool cookies = false;               // libcurl's cookie engine; the jar is shared by the Fetcher's transfers
  int64_t max_recv_bytes_per_s = 0;   // CURLOPT_MAX_RECV_SPEED_LARGE; 0: no limit
};

struct Timings {  // milliseconds from the start of the transfer
  double dns_ms = 0, connect_ms = 0, tls_ms = 0, first_byte_ms = 0, total_ms = 0;
};

struct Response {
  std::string url;        // as requested
  std::string final_url;  // after redirects, without a "user:password@" a redirect target carried
  long status = 0;        // final HTTP status; 0 when no response arrived
  long redirects = 0;
  std::string content_type;
  std::string body;           // decoded (gzip/deflate/br/zstd), empty unless keep_body
  std::shared_ptr<BodyLease> body_lease;  // keep_for_parser: the budget `body` holds, until the last copy goes
  int64_t size = 0;           // decoded body bytes seen (up to the cap)
  int64_t wire_bytes = 0;     // bytes received: headers + body as sent
  uint64_t body_hash = 0;     // XXH3-64 of the decoded body (of what was read, when body_cut)
  // FetchOptions::check_read_bytes ended the transfer before its body did: `size` is the announced
  // Content-Length (-1: none) and body_hash covers only what was read.
  bool body_cut = false;
  Timings timings;
  std::string ip;
  std::string etag;
  std::string last_modified;
  std::string retry_after;
  std::string cf_mitigated;   // Cloudflare's cf-mitigated header: "challenge" on its challenge pages
  std::string error;          // empty on success, else a class from error_class.h
  std::string error_message;  // libcurl's words
  bool ok() const { return error.empty(); }
};

class Fetcher;

struct FetcherConfig {
  long max_total_connections = 0;  // 0: no limit (the scheduler limits transfers)
  long max_host_connections = 0;
  long max_connects_cache = 0;     // 0: libcurl's default
  // Another Fetcher on the same hub whose DNS cache, TLS sessions and cookie jar this one uses too (the
  // libcurl share lives as long as either): several multi handles for one crawl keep one cookie jar.
  // Null: a share of its own.
  const Fetcher* share_with = nullptr;
};

class Fetcher {
 public:
  explicit Fetcher(Hub& hub, FetcherConfig config = {});
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Fetches `url` (GET). Only http and https, on redirects too.
  Task<Response> Get(std::string url, FetchOptions options);
  // Not a `= {}` default argument: g++ 12 destroys a brace-initialised temporary twice when the awaiting
  // frame is destroyed (a kill) while suspended in the co_await (docs/hacking.md).
  Task<Response> Get(std::string url) { return Get(std::move(url), FetchOptions()); }
  size_t in_flight() const { return transfers_.size() + pending_.size(); }
  // Transfers started but not yet handed to libcurl (it gets kAddsPerTurn of them per loop turn).
  size_t queued() const { return pending_.size(); }

  // What the Fetcher asked of libuv's poll handles so far, for tests and benchmarks. On Linux (libuv 1.44)
  // each open costs 2 epoll_ctl calls (uv_poll_init adds and deletes the fd to check it), each start 2
  // (uv_poll_start deletes, then adds at the next loop turn) and each stop or close 1.
  struct PollCounts {
    uint64_t opened = 0, started = 0, stopped = 0;
  };
  const PollCounts& poll_counts() const { return poll_counts_; }
  // Cookies in the jar this Fetcher shares (FetchOptions::cookies), for tests.
  size_t CookiesForTest() const;

  struct Transfer;  // one transfer in flight (transfer.h)

 private:
  struct EasyDeleter {
    void operator()(CURL* e) const { curl_easy_cleanup(e); }
  };
  struct MultiDeleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
  };
  struct ShareDeleter {
    void operator()(CURLSH* s) const { curl_share_cleanup(s); }
  };
  using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
  struct Socket;
  class Awaiter;

  static int OnSocket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp) noexcept;
  static int OnTimer(CURLM* multi, long timeout_ms, void* self) noexcept;
  static void OnPoll(uv_poll_t* poll, int status, int events) noexcept;
  static void OnTimeout(uv_timer_t* timer) noexcept;
  static void OnAdd(uv_idle_t* idle) noexcept;
  static int OnCloseSocket(void* self, curl_socket_t s) noexcept;
  void AddPending();
  void AddToMulti(Transfer* t) noexcept;
  static constexpr int kAddsPerTurn = 32;
  static constexpr int kMaxPollErrors = 8;  // poll errors in a row on one socket before it counts as failed
  // Sockets by fd number. A connection's socket keeps its poll across keep-alive reuse (see fetcher.cc).
  struct FdSlot {
    Socket* sock = nullptr;  // our poll for this fd number, if any
    bool ours = false;       // opened by Transfer::OnOpenSocket, not yet closed by OnCloseSocket
    bool connected = false;  // ... and libcurl has asked to read it (see KeepsPoll)
  };
  FdSlot* SlotOf(curl_socket_t s) noexcept;
  FdSlot& GrowTo(curl_socket_t s);  // throws std::bad_alloc
  void Opened(curl_socket_t s) noexcept;
  bool KeepsPoll(curl_socket_t s) noexcept;
  Socket* SocketFor(curl_socket_t s) noexcept;
  void Watch(Socket* sock, int events) noexcept;
  void Idle(Socket* sock) noexcept;
  void StopPoll(Socket* sock) noexcept;
  void Drop(Socket* sock) noexcept;
  void StartPoll(Socket* sock, int events) noexcept;
  void FailBrokenSockets();
  void Act(curl_socket_t s, int flags);
  void FailAll(const char* why);
  void CollectDone();
  void Start(Transfer* t);
  void Cancel(Transfer* t);
  EasyPtr TakeEasy(bool cookies);  // for a transfer with FetchOptions::cookies or without
  void GiveBack(EasyPtr easy, bool cookies) noexcept;

  Hub& hub_;
  // Declared first, destroyed last: everything below uses these.
  std::shared_ptr<CURLSH> share_;  // deleted by ShareDeleter; see FetcherConfig::share_with
  std::shared_ptr<CookieCap> cookie_cap_;  // the cap on the share's cookie jar, shared with it
  std::unique_ptr<CURLM, MultiDeleter> multi_;
  UvHandle<uv_timer_t> timer_;
  UvHandle<uv_idle_t> adder_;       // feeds pending_ to libcurl a few per loop turn
  std::deque<Transfer*> pending_;
  // Reused, so connections and DNS stay warm; each with whether its last transfer used cookies.
  std::vector<std::pair<EasyPtr, bool>> free_easies_;
  std::unordered_map<CURL*, Transfer*> transfers_;
  std::vector<FdSlot> fds_;              // indexed by fd number
  std::vector<Socket*> broken_;          // sockets we could not poll; failed on the next loop turn
  Socket* acting_on_ = nullptr;          // the socket OnPoll is acting on; cleared if it is dropped
  PollCounts poll_counts_;
  bool closing_ = false;
};

}  // namespace gc
