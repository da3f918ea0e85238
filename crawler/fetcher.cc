#include "crawler/fetcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <xxhash.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "crawler/error_class.h"
#include "crawler/header_check.h"
#include "crawler/private_address.h"
#include "urls/url.h"
#include "version.h"

namespace gc {
namespace {

// The most memory reserved up front for a body whose length is announced (see Transfer::OnWrite).
constexpr int64_t kMaxBodyReserve = 8 << 20;

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
  bool out_of_memory = false;  // the body could not be held in memory
  HeaderCheck header_check;
  HeaderCheck::Verdict header_verdict = HeaderCheck::Verdict::kOk;
  bool connect_refused = false;  // the SSRF guard refused an address in OnOpenSocket
  bool request_refused = false;  // ... or a request in OnPrereq
  std::string refusal;           // why, for error_message
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if ((queued || in_multi) && fetcher) fetcher->Cancel(this);  // the awaiting greenlet was killed
  }

  // Every header line of every response (hops included) passes HeaderCheck; a refusal aborts the transfer
  // (CURLE_WRITE_ERROR), which is never retried, and Finish reports it as bad_response.
  static size_t OnHeader(char* data, size_t size, size_t count, void* userp) noexcept {
    auto* t = static_cast<Transfer*>(userp);
    size_t n = size * count;
    try {
      t->header_verdict = t->header_check.Add(std::string_view(data, n));
    } catch (...) {
      t->out_of_memory = true;
      return 0;
    }
    return t->header_verdict == HeaderCheck::Verdict::kOk ? n : 0;
  }

  // The SSRF guard's rule (FetchOptions::private_addresses) for talking to `ip` now, for the URL this
  // transfer is on: its current redirect hop, which is libcurl's effective URL once it follows one.
  bool MayUse(bool non_public, const char* ip) noexcept {
    if (!non_public || options.private_addresses == PrivateAddresses::kAllow) return true;
    try {
      std::string host;
      if (options.private_addresses == PrivateAddresses::kListedHosts) {
        char* url = nullptr;
        if (curl_easy_getinfo(easy.get(), CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) host = urls::Host(url);
        if (!host.empty() && options.listed_hosts && options.listed_hosts->count(host)) return true;
      }
      refusal = std::string("refused to use ") + ip + ": not a public address" +
                (options.private_addresses == PrivateAddresses::kListedHosts
                     ? ", and the URL list does not name the host " + host
                     : std::string());
    } catch (...) {
      // Out of memory: refuse without a message (fail closed).
    }
    return false;
  }

  // Opens every socket libcurl connects with, so the address is checked before a packet leaves.
  static curl_socket_t OnOpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* a) noexcept {
    auto* t = static_cast<Transfer*>(clientp);
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;  // only outgoing connections are ours
    char ip[INET6_ADDRSTRLEN] = "?";
    const void* raw = a->family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&a->addr)->sin6_addr)
                                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&a->addr)->sin_addr);
    inet_ntop(a->family, raw, ip, sizeof ip);
    if (!t->MayUse(IsNonPublicAddress(&a->addr, a->addrlen), ip)) {
      // libcurl counts this address as failed and tries the resolver's next one, if any.
      t->connect_refused = true;
      return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  }

  // Before each request, on a new or a reused connection: the peer it will go to. Catches what
  // OnOpenSocket cannot see (a connection opened earlier by a transfer with another policy).
  static int OnPrereq(void* clientp, char* primary_ip, char*, int, int) noexcept {
    auto* t = static_cast<Transfer*>(clientp);
    const char* ip = primary_ip ? primary_ip : "";
    if (t->MayUse(IsNonPublicAddress(ip), ip)) return CURL_PREREQFUNC_OK;
    t->request_refused = true;
    return CURL_PREREQFUNC_ABORT;
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
    if (!t->options.keep_body) return n;
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
};

struct Fetcher::Socket {
  Fetcher* fetcher;
  curl_socket_t fd;
  UvHandle<uv_poll_t> poll;  // empty when uv_poll_init failed
  int events;                // what libcurl asked us to watch (UV_READABLE | UV_WRITABLE)
  int errors_in_a_row;       // poll errors since the last clean event
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
  // Set up once per Fetcher with our own constants: a refusal is a libcurl without a feature we rely on,
  // so it throws rather than run differently.
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("libcurl refused ") + what);
  };
  // One thread uses these handles, so the share needs no lock callbacks.
  CURLSH* sh = share_.get();
  check(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK, "sharing DNS");
  check(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) == CURLSHE_OK, "sharing TLS sessions");
  CURLM* m = multi_.get();
  auto set = [&](CURLMoption option, auto value, const char* name) {
    check(curl_multi_setopt(m, option, value) == CURLM_OK, name);
  };
  set(CURLMOPT_SOCKETFUNCTION, &Fetcher::OnSocket, "CURLMOPT_SOCKETFUNCTION");
  set(CURLMOPT_SOCKETDATA, this, "CURLMOPT_SOCKETDATA");
  set(CURLMOPT_TIMERFUNCTION, &Fetcher::OnTimer, "CURLMOPT_TIMERFUNCTION");
  set(CURLMOPT_TIMERDATA, this, "CURLMOPT_TIMERDATA");
  set(CURLMOPT_PIPELINING, long(CURLPIPE_MULTIPLEX), "CURLMOPT_PIPELINING");
  if (config.max_total_connections > 0) {
    set(CURLMOPT_MAX_TOTAL_CONNECTIONS, config.max_total_connections, "CURLMOPT_MAX_TOTAL_CONNECTIONS");
  }
  if (config.max_host_connections > 0) {
    set(CURLMOPT_MAX_HOST_CONNECTIONS, config.max_host_connections, "CURLMOPT_MAX_HOST_CONNECTIONS");
  }
  if (config.max_connects_cache > 0) set(CURLMOPT_MAXCONNECTS, config.max_connects_cache, "CURLMOPT_MAXCONNECTS");
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
  broken_.clear();
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

void Fetcher::GiveBack(EasyPtr easy) noexcept {
  if (free_easies_.size() >= 4096) return;
  try {
    free_easies_.push_back(std::move(easy));
  } catch (...) {
    // Out of memory: the handle is simply freed (push_back's strong guarantee left it with us).
  }
}

// Applies curl_easy_setopt calls and keeps the first refusal. A refused option (a libcurl without
// CURLOPT_PROTOCOLS_STR, out of memory for a string copy) must fail the transfer, not let it run with
// less protection than asked for (http/https only, the size cap, certificate checks).
class Fetcher::OptionSetter {
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
  std::string error() const { return std::string("curl_easy_setopt(") + failed_ + "): " + curl_easy_strerror(code_); }

 private:
  CURL* easy_;
  const char* failed_ = nullptr;
  CURLcode code_ = CURLE_OK;
};

// Spells each option once, for the call and for the error message.
#define GC_SETOPT(setter, option, value) (setter).Set(option, value, #option)

void Fetcher::Start(Transfer* t) {
  t->easy = TakeEasy();
  CURL* e = t->easy.get();
  const FetchOptions& o = t->options;
  XXH3_64bits_reset(t->hash.get());
  OptionSetter set(e);
  GC_SETOPT(set, CURLOPT_URL, t->response.url.c_str());
  GC_SETOPT(set, CURLOPT_PRIVATE, t);
  GC_SETOPT(set, CURLOPT_SHARE, share_.get());
  GC_SETOPT(set, CURLOPT_ERRORBUFFER, t->errbuf);
  GC_SETOPT(set, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
  GC_SETOPT(set, CURLOPT_WRITEDATA, t);
  GC_SETOPT(set, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  GC_SETOPT(set, CURLOPT_HEADERDATA, t);
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
  // An announced Content-Length over the cap fails before the body is read.
  GC_SETOPT(set, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(o.max_body_bytes));
  GC_SETOPT(set, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  GC_SETOPT(set, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  if (!o.ca_file.empty()) GC_SETOPT(set, CURLOPT_CAINFO, o.ca_file.c_str());
  GC_SETOPT(set, CURLOPT_PIPEWAIT, 1L);
  if (o.private_addresses != PrivateAddresses::kAllow) {
    GC_SETOPT(set, CURLOPT_OPENSOCKETFUNCTION, &Transfer::OnOpenSocket);
    GC_SETOPT(set, CURLOPT_OPENSOCKETDATA, t);
    GC_SETOPT(set, CURLOPT_PREREQFUNCTION, &Transfer::OnPrereq);
    GC_SETOPT(set, CURLOPT_PREREQDATA, t);
  }
  std::string ua = o.user_agent.empty() ? "greencrawl/" GREENCRAWL_VERSION : o.user_agent;
  GC_SETOPT(set, CURLOPT_USERAGENT, ua.c_str());  // libcurl copies string options
  bool lists_ok = true;
  auto append = [&](const std::string& header) {
    curl_slist* longer = curl_slist_append(t->headers.get(), header.c_str());
    if (!longer) lists_ok = false;  // out of memory; the list so far stays owned by t->headers
    if (longer) {
      t->headers.release();
      t->headers.reset(longer);
    }
  };
  for (const auto& h : o.headers) append(h);
  if (!o.if_none_match.empty()) append("If-None-Match: " + o.if_none_match);
  if (!o.if_modified_since.empty()) append("If-Modified-Since: " + o.if_modified_since);
  if (t->headers) GC_SETOPT(set, CURLOPT_HTTPHEADER, t->headers.get());

  if (!set.ok() || !lists_ok) {
    t->done = true;
    // libcurl refuses a URL only for its length (over 8 MB in 7.88): not a URL we can fetch.
    t->response.error = set.url_refused() ? error_class::kInvalidUrl : error_class::kOther;
    t->response.error_message = lists_ok ? set.error() : "curl_slist_append: out of memory";
    GiveBack(std::move(t->easy));
    hub_.Wake(t->ticket);  // Start runs in await_suspend, after Park: the greenlet resumes next pass
    return;
  }
  // Not added to the multi handle yet: see AddPending.
  t->queued = true;
  pending_.push_back(t);
  if (pending_.size() == 1) uv_idle_start(adder_.get(), &Fetcher::OnAdd);
}

#undef GC_SETOPT

void Fetcher::OnAdd(uv_idle_t* idle) noexcept {
  auto* f = static_cast<Fetcher*>(idle->data);
  f->FailBrokenSockets();
  f->AddPending();
}

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
  if (pending_.empty() && broken_.empty()) uv_idle_stop(adder_.get());
}

void Fetcher::AddToMulti(Transfer* t) noexcept {
  CURL* e = t->easy.get();
  CURLMcode rc = CURLM_OUT_OF_MEMORY;
  try {
    transfers_[e] = t;
    t->in_multi = true;
    rc = curl_multi_add_handle(multi_.get(), e);
  } catch (...) {
    // transfers_ could not grow: rc stays CURLM_OUT_OF_MEMORY
  }
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
      if (sock->poll) uv_poll_stop(sock->poll.get());
      f->sockets_.erase(sock);
      std::erase(f->broken_, sock);
      if (f->acting_on_ == sock) f->acting_on_ = nullptr;
      delete sock;
      if (!f->closing_) curl_multi_assign(f->multi_.get(), s, nullptr);
    }
    return 0;
  }
  if (!sock) {
    sock = new (std::nothrow) Socket{f, s, {}, 0, 0};
    // Out of memory: -1 is libcurl's documented way out (CURLMOPT_SOCKETFUNCTION(3)); it fails every
    // transfer of the multi handle, which Act then reports.
    if (!sock) return -1;
    try {
      f->sockets_.insert(sock);
      sock->poll = UvHandle<uv_poll_t>(f->hub_.loop(), uv_poll_init_socket, s);
      sock->poll->data = sock;
    } catch (...) {
      // No poll for this socket (EEXIST, ENOMEM): StartPoll below fails it on the next loop turn.
    }
    curl_multi_assign(f->multi_.get(), s, sock);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  f->StartPoll(sock, events);
  return 0;
}

void Fetcher::StartPoll(Socket* sock, int events) noexcept {
  sock->events = events;
  if (sock->poll && uv_poll_start(sock->poll.get(), events, &Fetcher::OnPoll) == 0) return;
  // Cannot watch it: fail the transfers on this socket, but not from inside a libcurl callback (we may be
  // in one), and not by returning -1, which would fail every transfer of the multi handle.
  if (std::find(broken_.begin(), broken_.end(), sock) != broken_.end()) return;
  if (closing_ || !adder_) return;  // curl_multi_cleanup in ~Fetcher: nothing left to fail
  try {
    broken_.push_back(sock);
  } catch (...) {
    return;  // the transfer's own timeout ends it
  }
  uv_idle_start(adder_.get(), &Fetcher::OnAdd);
}

void Fetcher::FailBrokenSockets() {
  while (!broken_.empty()) {
    Socket* sock = broken_.back();
    broken_.pop_back();
    // CURL_CSELECT_ERR alone: libcurl ends the transfers using this socket with "select/poll returned
    // error" (CURLE_SEND_ERROR). CURL_POLL_REMOVE of this socket erases it from broken_ first.
    Act(sock->fd, CURL_CSELECT_ERR);
  }
}

int Fetcher::OnTimer(CURLM*, long timeout_ms, void* self) noexcept {
  auto* f = static_cast<Fetcher*>(self);
  if (f->closing_ || !f->timer_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(f->timer_.get());
    return 0;
  }
  // 0 means "as soon as possible": the uv timer fires on the next loop turn, so curl_multi_socket_action
  // is never called from inside this callback (CURLMOPT_TIMERFUNCTION(3)). -1 on failure is that page's
  // rule: libcurl then fails the transfers, which is better than losing every timeout.
  return uv_timer_start(f->timer_.get(), &Fetcher::OnTimeout, uint64_t(timeout_ms), 0) == 0 ? 0 : -1;
}

void Fetcher::OnPoll(uv_poll_t* poll, int status, int events) noexcept {
  auto* sock = static_cast<Socket*>(poll->data);
  Fetcher* f = sock->fetcher;
  int flags = 0;
  if (status < 0) {
    // libuv reports POLLERR as a negative status (UV_EBADF) and has already stopped the handle. libcurl's
    // own poll loop (Curl_poll in lib/select.c) never fails a transfer on POLLERR/POLLHUP: it turns them
    // into "readable and writable", so the next recv()/send() meets the real condition (EOF, ECONNRESET).
    // Do the same. Passing CURL_CSELECT_ERR alone instead makes Curl_readwrite fail at once with
    // CURLE_SEND_ERROR "select/poll returned error", which skips libcurl's rule of retrying a request
    // once on a fresh connection when a reused one turns out dead (Curl_retry_request, reached only on
    // CURLE_RECV_ERROR or EOF): every keep-alive connection a server closed silently became a `reset`.
    // Only a socket that keeps reporting errors while libcurl keeps watching it gets CURL_CSELECT_ERR
    // (which fails its transfers) instead of spinning the loop until the transfer's timeout.
    flags = ++sock->errors_in_a_row > kMaxPollErrors ? CURL_CSELECT_ERR : CURL_CSELECT_IN | CURL_CSELECT_OUT;
  } else {
    sock->errors_in_a_row = 0;
    // A hangup without an error arrives as UV_READABLE: libuv's epoll backend merges the watched events
    // into a bare EPOLLHUP, the same rule.
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  f->acting_on_ = sock;
  f->Act(sock->fd, flags);  // may delete sock (CURL_POLL_REMOVE then clears acting_on_)
  if (f->acting_on_ == sock && status < 0 && !uv_is_active(reinterpret_cast<uv_handle_t*>(poll))) {
    // libcurl still has this socket and reports only changes, so it will not ask again: resume the poll
    // libuv stopped, or the transfer would wait for its timeout.
    f->StartPoll(sock, sock->events);
  }
  f->acting_on_ = nullptr;
}

void Fetcher::OnTimeout(uv_timer_t* timer) noexcept {
  static_cast<Fetcher*>(timer->data)->Act(CURL_SOCKET_TIMEOUT, 0);
}

void Fetcher::Act(curl_socket_t s, int flags) {
  int running = 0;
  CURLMcode rc = curl_multi_socket_action(multi_.get(), s, flags, &running);
  // CURLM_BAD_SOCKET: libcurl no longer knows this socket (it went away in this same turn); nothing to do.
  if (rc != CURLM_OK && rc != CURLM_BAD_SOCKET) FailAll(curl_multi_strerror(rc));
  CollectDone();
}

// The multi handle refused to go on (a callback returned -1, out of memory): its transfers would never
// finish, so end them all here rather than leave their greenlets waiting.
void Fetcher::FailAll(const char* why) {
  CollectDone();  // those libcurl did finish keep their own result
  std::vector<Transfer*> stuck;
  for (auto& [easy, t] : transfers_) stuck.push_back(t);
  for (Transfer* t : stuck) {
    CURL* e = t->easy.get();
    curl_multi_remove_handle(multi_.get(), e);
    transfers_.erase(e);
    t->in_multi = false;
    t->done = true;
    t->response.error = error_class::kOther;
    t->response.error_message = std::string("libcurl: ") + why;
    GiveBack(std::move(t->easy));
    hub_.Wake(t->ticket);
  }
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
    Finish(t, code);

    // Removing here is allowed: we are after curl_multi_socket_action returned, not inside a callback.
    curl_multi_remove_handle(multi_.get(), e);
    transfers_.erase(it);
    t->in_multi = false;
    t->done = true;
    GiveBack(std::move(t->easy));
    hub_.Wake(t->ticket);  // only queues; the hub resumes the greenlet later
  }
}

// Fills in the Response of a finished transfer. Runs under C callbacks (OnPoll, OnTimeout), so nothing
// may escape: copying what the server sent can only fail for want of memory, and that becomes the result.
void Fetcher::Finish(Transfer* t, CURLcode code) noexcept {
  CURL* e = t->easy.get();
  Response& r = t->response;
  try {
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
    if (code == CURLE_UNSUPPORTED_PROTOCOL && !SchemeRefused(e, r.url, t->header_check.location())) {
      r.error = error_class::kBadResponse;  // libcurl's word for a reply that is not HTTP (an "HTTP/0.9" one)
    }
    if ((t->request_refused && code == CURLE_ABORTED_BY_CALLBACK) ||
        (t->connect_refused && code == CURLE_COULDNT_CONNECT)) {
      r.error = error_class::kPrivateAddress;
      r.error_message = t->refusal;
    } else if (t->out_of_memory) {
      r.error = error_class::kTooLarge;
      r.error_message = "out of memory holding the response";
    } else if (t->header_verdict == HeaderCheck::Verdict::kTooLarge) {
      r.error = error_class::kBadResponse;
      r.error_message = "response headers over " + std::to_string(HeaderCheck::kMaxBytes / 1024) + " KiB";
    } else if (t->header_verdict == HeaderCheck::Verdict::kConflictingLength) {
      r.error = error_class::kBadResponse;
      r.error_message = "conflicting Content-Length headers";
    } else if (!r.error.empty()) {
      r.error_message = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
    }
  } catch (...) {
    // Short strings: these assignments stay within std::string's inline buffer and cannot throw.
    r.error = error_class::kOther;
    r.error_message = "out of memory";
  }
}

}  // namespace gc
