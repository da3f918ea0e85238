#include "crawler/fetcher.h"

#include <xxhash.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "crawler/error_class.h"
#include "version.h"

namespace gc {
namespace {

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct HashDeleter {
  void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A peer that closes while we write must not kill the process (libcurl's CURLOPT_NOSIGNAL docs).
    std::signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

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
// response that is not HTTP at all. Tell them apart by the URLs involved.
bool SchemeRefused(CURL* easy, const std::string& requested) {
  if (!IsHttpScheme(requested.c_str())) return true;
  // After a refused redirect the target is the effective URL (or, unfollowed, the redirect URL).
  for (CURLINFO info : {CURLINFO_EFFECTIVE_URL, CURLINFO_REDIRECT_URL}) {
    char* url = nullptr;
    if (curl_easy_getinfo(easy, info, &url) == CURLE_OK && url && !IsHttpScheme(url)) return true;
  }
  return false;
}

}  // namespace

// One transfer: owns its easy handle while in flight, and the Response it fills in.
struct Fetcher::Transfer {
  Fetcher* fetcher;
  EasyPtr easy;
  FetchOptions options;
  Response response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::unique_ptr<XXH3_state_t, HashDeleter> hash{XXH3_createState()};
  WakeTicket ticket;
  bool queued = false;  // waiting for its turn to be added to the multi handle
  bool in_multi = false;
  bool done = false;
  bool cap_hit = false;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if ((queued || in_multi) && fetcher) fetcher->Cancel(this);  // the awaiting greenlet was killed
  }

  static size_t OnWrite(char* data, size_t size, size_t count, void* userp) noexcept {
    auto* t = static_cast<Transfer*>(userp);
    size_t n = size * count;
    t->response.size += int64_t(n);
    // The cap is on DECODED bytes, here in the write callback: CURLOPT_MAXFILESIZE alone stops neither an
    // endless chunked body nor a gzip bomb.
    if (t->response.size > t->options.max_body_bytes) {
      t->cap_hit = true;
      return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
    }
    XXH3_64bits_update(t->hash.get(), data, n);
    if (t->options.keep_body) {
      if (t->response.body.empty()) {
        // One allocation for the whole body when its length is announced (and under the cap).
        curl_off_t announced = -1;
        curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
        if (announced > 0 && announced <= t->options.max_body_bytes) t->response.body.reserve(size_t(announced));
      }
      t->response.body.append(data, n);
    }
    return n;
  }
};

struct Fetcher::Socket {
  Fetcher* fetcher;
  curl_socket_t fd;
  UvHandle<uv_poll_t> poll;
};

// Awaits one transfer: starts it on suspension; the Transfer's destructor cancels it if the greenlet dies.
class Fetcher::Awaiter {
 public:
  Awaiter(Fetcher* f, Transfer* t) : fetcher_(f), transfer_(t) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    transfer_->ticket = fetcher_->hub_.Park(h);
    fetcher_->Start(transfer_);
  }
  void await_resume() const noexcept {}

 private:
  Fetcher* fetcher_;
  Transfer* transfer_;
};

Fetcher::Fetcher(Hub& hub, FetcherConfig config) : hub_(hub) {
  GlobalInitOnce();
  share_.reset(curl_share_init());
  multi_.reset(curl_multi_init());
  if (!share_ || !multi_) throw std::runtime_error("libcurl init failed");
  // One thread uses these handles, so the share needs no lock callbacks.
  curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  // One cookie jar for the Fetcher's transfers; used only by transfers with FetchOptions::cookies.
  curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  CURLM* m = multi_.get();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &Fetcher::OnSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &Fetcher::OnTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(m, CURLMOPT_PIPELINING, long(CURLPIPE_MULTIPLEX));
  if (config.max_total_connections > 0) {
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, config.max_total_connections);
  }
  if (config.max_host_connections > 0) {
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, config.max_host_connections);
  }
  if (config.max_connects_cache > 0) curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, config.max_connects_cache);
  timer_ = UvHandle<uv_timer_t>(hub_.loop(), uv_timer_init);
  timer_->data = this;
  adder_ = UvHandle<uv_idle_t>(hub_.loop(), uv_idle_init);
  adder_->data = this;
}

Fetcher::~Fetcher() {
  // Transfers still in flight belong to greenlets that outlive us: end them as aborted and wake them.
  for (auto& [easy, t] : transfers_) {
    curl_multi_remove_handle(multi_.get(), easy);
    t->easy.reset();  // before the share: curl_share_cleanup refuses while an easy still uses it
    t->in_multi = false;
    t->done = true;
    t->fetcher = nullptr;
    t->response.error = error_class::kAborted;
    t->response.error_message = "fetcher shut down";
    hub_.Wake(t->ticket);
  }
  transfers_.clear();
  for (Transfer* t : pending_) {
    t->queued = false;
    t->done = true;
    t->fetcher = nullptr;
    t->easy.reset();
    t->response.error = error_class::kAborted;
    t->response.error_message = "fetcher shut down";
    hub_.Wake(t->ticket);
  }
  pending_.clear();
  adder_.Close();
  free_easies_.clear();
  closing_ = true;
  // curl_multi_cleanup may still report sockets to remove; OnSocket frees them, OnTimer ignores us.
  curl_multi_cleanup(multi_.release());
  for (Socket* s : sockets_) delete s;
  sockets_.clear();
  timer_.Close();
}

Task<Response> Fetcher::Get(std::string url, FetchOptions options) {
  auto t = std::make_unique<Transfer>();
  t->fetcher = this;
  t->options = std::move(options);
  t->response.url = std::move(url);
  co_await Awaiter(this, t.get());
  co_return std::move(t->response);
}

Fetcher::EasyPtr Fetcher::TakeEasy() {
  if (free_easies_.empty()) return EasyPtr(curl_easy_init());
  EasyPtr e = std::move(free_easies_.back());
  free_easies_.pop_back();
  // Keeps the easy's own caches (connections are in the multi, DNS and TLS sessions in the share).
  curl_easy_reset(e.get());
  return e;
}

void Fetcher::GiveBack(EasyPtr easy) {
  if (free_easies_.size() < 4096) free_easies_.push_back(std::move(easy));
}

void Fetcher::Start(Transfer* t) {
  t->easy = TakeEasy();
  CURL* e = t->easy.get();
  const FetchOptions& o = t->options;
  XXH3_64bits_reset(t->hash.get());
  curl_easy_setopt(e, CURLOPT_URL, t->response.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_SHARE, share_.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  // Hostile input: http and https only, on redirects too; a redirect to file:// is an error, not a read.
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, o.max_redirects);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  // Debian's libcurl 7.88 resolves in a thread; without this, ending a transfer whose lookup hangs can
  // block the loop until the lookup returns.
  curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_bytes);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o.low_speed_seconds);
  // An announced Content-Length over the cap fails before the body is read.
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(o.max_body_bytes));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  std::string ua = o.user_agent.empty() ? "greencrawl/" GREENCRAWL_VERSION : o.user_agent;
  curl_easy_setopt(e, CURLOPT_USERAGENT, ua.c_str());  // libcurl copies string options
  curl_slist* list = nullptr;
  for (const auto& h : o.headers) list = curl_slist_append(list, h.c_str());
  if (!o.if_none_match.empty()) list = curl_slist_append(list, ("If-None-Match: " + o.if_none_match).c_str());
  if (!o.if_modified_since.empty()) {
    list = curl_slist_append(list, ("If-Modified-Since: " + o.if_modified_since).c_str());
  }
  t->headers.reset(list);
  if (list) curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);

  // --- Network habits (proxy, cookies, rate limit): FetchOptions' last three fields. ---
  // An empty CURLOPT_PROXY would switch the environment's proxies off: set it only when given.
  if (!o.proxy.empty()) curl_easy_setopt(e, CURLOPT_PROXY, o.proxy.c_str());
  // "" enables the cookie engine without reading a file (CURLOPT_COOKIEFILE(3)); cookies set on a
  // redirect are sent on the next hop, and the share (constructor) gives every transfer the same jar.
  if (o.cookies) curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
  if (o.max_recv_bytes_per_s > 0) {
    curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, curl_off_t(o.max_recv_bytes_per_s));
    // libcurl checks the rate between reads, and reads up to 100 buffers in a row while the socket has
    // data (7.88's readwrite_data): with 16 KB buffers a fast server gets 1.6 MB through before the
    // first check. Smaller buffers keep the limit from the first second.
    long buffer = long(std::clamp<int64_t>(o.max_recv_bytes_per_s / 20, 1024, CURL_MAX_READ_SIZE));
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, std::min(buffer, long(CURL_MAX_WRITE_SIZE)));
  }
  // --- end of network habits ---

  // Not added to the multi handle yet: see AddPending.
  t->queued = true;
  pending_.push_back(t);
  if (pending_.size() == 1) uv_idle_start(adder_.get(), &Fetcher::OnAdd);
}

void Fetcher::OnAdd(uv_idle_t* idle) noexcept { static_cast<Fetcher*>(idle->data)->AddPending(); }

// Hands queued transfers to libcurl, at most kAddsPerTurn per loop turn. libcurl starts a transfer's
// resolver thread inside curl_multi_socket_action; thousands started in one call stalled the loop for most
// of a second (fetcher_test, 2,000 lookups). A few dozen per turn keep the loop polling between them.
void Fetcher::AddPending() {
  for (int n = 0; n < kAddsPerTurn && !pending_.empty(); ++n) {
    Transfer* t = pending_.front();
    pending_.pop_front();
    t->queued = false;
    AddToMulti(t);
  }
  if (pending_.empty()) uv_idle_stop(adder_.get());
}

void Fetcher::AddToMulti(Transfer* t) {
  CURL* e = t->easy.get();
  transfers_[e] = t;
  t->in_multi = true;
  CURLMcode rc = curl_multi_add_handle(multi_.get(), e);
  if (rc != CURLM_OK) {
    transfers_.erase(e);
    t->in_multi = false;
    t->done = true;
    t->response.error = error_class::kOther;
    t->response.error_message = curl_multi_strerror(rc);
    GiveBack(std::move(t->easy));
    hub_.Wake(t->ticket);
  }
}

void Fetcher::Cancel(Transfer* t) {
  if (t->queued) {
    pending_.erase(std::find(pending_.begin(), pending_.end(), t));
    t->queued = false;
    GiveBack(std::move(t->easy));
    return;
  }
  // Never called from inside a libcurl callback: only greenlet code (a kill) gets here.
  CURL* e = t->easy.get();
  curl_multi_remove_handle(multi_.get(), e);
  transfers_.erase(e);
  t->in_multi = false;
  GiveBack(std::move(t->easy));
}

int Fetcher::OnSocket(CURL*, curl_socket_t s, int what, void* self, void* socketp) noexcept {
  auto* f = static_cast<Fetcher*>(self);
  auto* sock = static_cast<Socket*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (sock) {
      // Stop and close now, not later: libuv unregisters the fd *number*, and curl may reuse it for a new
      // socket the moment we return.
      uv_poll_stop(sock->poll.get());
      f->sockets_.erase(sock);
      delete sock;
      if (!f->closing_) curl_multi_assign(f->multi_.get(), s, nullptr);
    }
    return 0;
  }
  if (!sock) {
    try {
      sock = new Socket{f, s, UvHandle<uv_poll_t>(f->hub_.loop(), uv_poll_init_socket, s)};
    } catch (...) {
      return -1;  // libcurl fails the transfers on this socket
    }
    sock->poll->data = sock;
    f->sockets_.insert(sock);
    curl_multi_assign(f->multi_.get(), s, sock);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(sock->poll.get(), events, &Fetcher::OnPoll);
  return 0;
}

int Fetcher::OnTimer(CURLM*, long timeout_ms, void* self) noexcept {
  auto* f = static_cast<Fetcher*>(self);
  if (f->closing_ || !f->timer_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(f->timer_.get());
  } else {
    // 0 means "as soon as possible": the uv timer fires on the next loop turn, so curl_multi_socket_action
    // is never called from inside this callback (CURLMOPT_TIMERFUNCTION(3)).
    uv_timer_start(f->timer_.get(), &Fetcher::OnTimeout, uint64_t(timeout_ms), 0);
  }
  return 0;
}

void Fetcher::OnPoll(uv_poll_t* poll, int status, int events) noexcept {
  auto* sock = static_cast<Socket*>(poll->data);
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  sock->fetcher->Act(sock->fd, flags);  // may delete sock
}

void Fetcher::OnTimeout(uv_timer_t* timer) noexcept {
  static_cast<Fetcher*>(timer->data)->Act(CURL_SOCKET_TIMEOUT, 0);
}

void Fetcher::Act(curl_socket_t s, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), s, flags, &running);
  CollectDone();
}

void Fetcher::CollectDone() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    CURLcode code = msg->data.result;
    auto it = transfers_.find(e);
    if (it == transfers_.end()) continue;
    Transfer* t = it->second;
    Response& r = t->response;

    char* s = nullptr;
    if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s) r.final_url = s;
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
    r.body_hash = XXH3_64bits_digest(t->hash.get());
    r.error = error_class::FromCurl(code, t->cap_hit);
    if (code == CURLE_UNSUPPORTED_PROTOCOL && !SchemeRefused(e, r.url)) {
      r.error = error_class::kBadResponse;  // libcurl's word for a reply that is not HTTP (an "HTTP/0.9" one)
    }
    if (!r.error.empty()) r.error_message = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);

    // Removing here is allowed: we are after curl_multi_socket_action returned, not inside a callback.
    curl_multi_remove_handle(multi_.get(), e);
    transfers_.erase(it);
    t->in_multi = false;
    t->done = true;
    GiveBack(std::move(t->easy));
    hub_.Wake(t->ticket);  // only queues; the hub resumes the greenlet later
  }
}

}  // namespace gc
