#include "crawler/fetcher.h"

#include <algorithm>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string>

#include "crawler/error_class.h"
#include "crawler/transfer.h"

namespace gc {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A peer that closes while we write must not kill the process (libcurl's CURLOPT_NOSIGNAL docs).
    std::signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

}  // namespace

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
  // One cookie jar for the Fetcher's transfers; used only by transfers with FetchOptions::cookies.
  check(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) == CURLSHE_OK, "sharing cookies");
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
  // libcurl 7.88 leaks the CURLOPT_COOKIEFILE list on curl_easy_reset (fixed in 8.0, curl/curl#10709);
  // a NULL COOKIEFILE frees it first (the shared cookie jar stays). Only --cookies sets one.
  curl_easy_setopt(e.get(), CURLOPT_COOKIEFILE, static_cast<char*>(nullptr));
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

void Fetcher::Start(Transfer* t) {
  t->easy = TakeEasy();
  if (!t->Configure(share_.get())) {
    t->done = true;
    GiveBack(std::move(t->easy));
    hub_.Wake(t->ticket);  // Start runs in await_suspend, after Park: the greenlet resumes next pass
    return;
  }
  // Not added to the multi handle yet: see AddPending.
  t->queued = true;
  pending_.push_back(t);
  if (pending_.size() == 1) uv_idle_start(adder_.get(), &Fetcher::OnAdd);
}

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
    t->Finish(code);

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
