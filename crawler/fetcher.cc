#include "crawler/fetcher.h"

#include <unistd.h>

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

// One poll per socket libcurl asks us to watch.
//
// libcurl reports CURL_POLL_REMOVE for a keep-alive connection each time a transfer ends and the
// connection goes back to its cache, and reports the socket afresh when the next transfer reuses it.
// Closing the poll there and opening a new one cost ~5 epoll_ctl calls per transfer (libuv's uv_poll_init
// adds and deletes the fd to check it; uv_poll_start deletes, then adds). So a connection's socket keeps
// its poll, still started, between transfers: the next transfer usually asks for reading again, which
// costs nothing. The poll is closed when libcurl closes the socket (CURLOPT_CLOSESOCKETFUNCTION), before
// the fd number can be reused: libuv knows fds by number (docs/hacking.md, "Callback rules").
//
// That needs to know every close of a kept socket. libcurl 7.88 closes a socket through the callback
// once the connection attempt that opened it has won (cf-socket.c, socket_close); an attempt that never
// connected (a happy-eyeballs loser, a connect cut short) it closes with close(2) itself. Only a socket
// libcurl has asked to *read* is past that point (while connecting it asks for writability only), so
// only sockets we opened (Transfer::OnOpenSocket) and libcurl has asked to read are kept (KeepsPoll).
// Any other socket's poll is closed on CURL_POLL_REMOVE, as libcurl's documentation has it.
struct Fetcher::Socket {
  Fetcher* fetcher;
  curl_socket_t fd;
  UvHandle<uv_poll_t> poll;  // empty when uv_poll_init failed
  int events;                // what libcurl asked us to watch (UV_READABLE | UV_WRITABLE); 0: nothing now
  int watching;              // what the poll is started with; 0: stopped
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
  if (config.share_with) {
    share_ = config.share_with->share_;
    cookie_cap_ = config.share_with->cookie_cap_;
  } else if (CURLSH* sh = curl_share_init()) {
    share_ = std::shared_ptr<CURLSH>(sh, ShareDeleter{});
  }
  multi_.reset(curl_multi_init());
  if (!share_ || !multi_) throw std::runtime_error("libcurl init failed");
  // Set up once per Fetcher with our own constants: a refusal is a libcurl without a feature we rely on,
  // so it throws rather than run differently.
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("libcurl refused ") + what);
  };
  // One thread uses these handles, so the share needs no lock callbacks.
  if (!config.share_with) {
    CURLSH* sh = share_.get();
    check(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK, "sharing DNS");
    check(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) == CURLSHE_OK, "sharing TLS sessions");
    // One cookie jar for the Fetcher's transfers; used only by transfers with FetchOptions::cookies.
    check(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) == CURLSHE_OK, "sharing cookies");
    cookie_cap_ = std::make_shared<CookieCap>(sh);  // after the jar is shared: its handle uses the jar
  }
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
  // curl_multi_cleanup still reports sockets to remove and closes its cached connections; OnSocket and
  // OnCloseSocket free their polls, OnTimer ignores us.
  curl_multi_cleanup(multi_.release());
  for (FdSlot& slot : fds_) delete slot.sock;  // sockets libcurl never reported closed (none expected)
  fds_.clear();
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

Fetcher::EasyPtr Fetcher::TakeEasy(bool cookies) {
  if (free_easies_.empty()) return EasyPtr(curl_easy_init());
  EasyPtr e = std::move(free_easies_.back().first);
  bool had_cookies = free_easies_.back().second;
  free_easies_.pop_back();
  if (had_cookies && !cookies) {
    // libcurl 7.88 keeps a handle's cookie engine on through curl_easy_reset (state.cookie_engine), and
    // CURLOPT_SHARE hands it the Fetcher's jar: it would send the jar's cookies. A fresh handle does not.
    return EasyPtr(curl_easy_init());
  }
  // Keeps the easy's own caches (connections are in the multi, DNS and TLS sessions in the share).
  // libcurl 7.88 leaks the CURLOPT_COOKIEFILE list on curl_easy_reset (fixed in 8.0, curl/curl#10709);
  // a NULL COOKIEFILE frees it first (the shared cookie jar stays). Only --cookies sets one.
  curl_easy_setopt(e.get(), CURLOPT_COOKIEFILE, static_cast<char*>(nullptr));
  curl_easy_reset(e.get());
  return e;
}

void Fetcher::GiveBack(EasyPtr easy, bool cookies) noexcept {
  if (free_easies_.size() >= 4096) return;
  try {
    free_easies_.emplace_back(std::move(easy), cookies);
  } catch (...) {
    // Out of memory: the handle is simply freed (push_back's strong guarantee left it with us).
  }
}

void Fetcher::Start(Transfer* t) {
  t->easy = TakeEasy(t->options.cookies);
  if (!t->Configure(share_.get())) {
    t->done = true;
    GiveBack(std::move(t->easy), t->options.cookies);
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
    GiveBack(std::move(t->easy), t->options.cookies);
    hub_.Wake(t->ticket);
  }
}

void Fetcher::Cancel(Transfer* t) {
  if (t->queued) {
    pending_.erase(std::find(pending_.begin(), pending_.end(), t));
    t->queued = false;
    GiveBack(std::move(t->easy), t->options.cookies);
    return;
  }
  // Never called from inside a libcurl callback: only greenlet code (a kill) gets here.
  CURL* e = t->easy.get();
  curl_multi_remove_handle(multi_.get(), e);
  transfers_.erase(e);
  t->in_multi = false;
  GiveBack(std::move(t->easy), t->options.cookies);
}

int Fetcher::OnSocket(CURL*, curl_socket_t s, int what, void* self, void* socketp) noexcept {
  auto* f = static_cast<Fetcher*>(self);
  auto* sock = static_cast<Socket*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (!sock) return 0;
    if (!f->closing_ && f->KeepsPoll(s)) {
      f->Idle(sock);  // a connection going back to libcurl's cache: its socket stays open
      return 0;
    }
    // Close now, not later: libuv unregisters the fd *number*, and curl may reuse it the moment we return.
    f->Drop(sock);
    if (!f->closing_) curl_multi_assign(f->multi_.get(), s, nullptr);
    return 0;
  }
  if (!sock) {
    // New to libcurl, or a kept connection's socket reported again.
    sock = f->SocketFor(s);
    // Out of memory: -1 is libcurl's documented way out (CURLMOPT_SOCKETFUNCTION(3)); it fails every
    // transfer of the multi handle, which Act then reports.
    if (!sock) return -1;
    curl_multi_assign(f->multi_.get(), s, sock);
  }
  int events = 0;
  if (what & CURL_POLL_IN) {
    events |= UV_READABLE;
    if (FdSlot* slot = f->SlotOf(s)) slot->connected = slot->ours;
  }
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  f->Watch(sock, events);
  return 0;
}

// libcurl closes a socket of a connection that was ever connected through here (set on every easy
// handle; a connection keeps the callback of the handle that opened it, with this Fetcher as `self`).
int Fetcher::OnCloseSocket(void* self, curl_socket_t s) noexcept {
  auto* f = static_cast<Fetcher*>(self);
  if (FdSlot* slot = f->SlotOf(s)) {
    if (slot->sock) f->Drop(slot->sock);  // before close(2): afterwards the number may be someone else's
    *slot = FdSlot{};
  }
  return close(s);
}

Fetcher::FdSlot* Fetcher::SlotOf(curl_socket_t s) noexcept {
  return s >= 0 && size_t(s) < fds_.size() ? &fds_[size_t(s)] : nullptr;
}

Fetcher::FdSlot& Fetcher::GrowTo(curl_socket_t s) {
  if (size_t(s) >= fds_.size()) fds_.resize(std::max(size_t(s) + 1, fds_.size() * 2));
  return fds_[size_t(s)];
}

// A socket Transfer::OnOpenSocket has just opened.
void Fetcher::Opened(curl_socket_t s) noexcept {
  FdSlot* slot = nullptr;
  try {
    slot = &GrowTo(s);
  } catch (...) {
    return;  // out of memory: not ours, so its poll is closed on CURL_POLL_REMOVE as before
  }
  if (slot->sock) {
    // The number's previous socket was closed without OnCloseSocket (a connection attempt that never
    // connected, closed by libcurl itself): the kernel dropped its registration with the fd. Forget that
    // the poll is started; the handle serves the new socket (libuv knows fds by number).
    StopPoll(slot->sock);
  }
  slot->ours = true;
  slot->connected = false;
}

bool Fetcher::KeepsPoll(curl_socket_t s) noexcept {
  FdSlot* slot = SlotOf(s);
  return slot && slot->ours && slot->connected;
}

// The socket for fd `s`: the one we keep for it, or a new one. Null only when out of memory.
Fetcher::Socket* Fetcher::SocketFor(curl_socket_t s) noexcept {
  FdSlot* slot = nullptr;
  try {
    slot = &GrowTo(s);
  } catch (...) {
    return nullptr;
  }
  if (slot->sock) return slot->sock;
  auto* sock = new (std::nothrow) Socket{this, s, {}, 0, 0, 0};
  if (!sock) return nullptr;
  slot->sock = sock;
  try {
    sock->poll = UvHandle<uv_poll_t>(hub_.loop(), uv_poll_init_socket, s);
    sock->poll->data = sock;
    ++poll_counts_.opened;
  } catch (...) {
    // No poll for this socket (EEXIST, ENOMEM): StartPoll fails it on the next loop turn.
  }
  return sock;
}

// Watches what libcurl asked for; a poll already started for exactly that is left alone.
void Fetcher::Watch(Socket* sock, int events) noexcept {
  sock->events = events;
  if (!sock->poll) {
    StartPoll(sock, events);  // reports the socket broken
    return;
  }
  uv_ref(reinterpret_cast<uv_handle_t*>(sock->poll.get()));
  if (events == 0) {
    StopPoll(sock);
  } else if (sock->watching != events) {
    StartPoll(sock, events);
  }
}

// libcurl no longer watches this kept socket (its connection is idle in libcurl's cache). A poll for
// reading stays started, since the next transfer on the connection asks for that again; it must not keep
// the loop alive, and if it fires meanwhile (the server closed the connection) OnPoll stops it.
void Fetcher::Idle(Socket* sock) noexcept {
  sock->events = 0;
  sock->errors_in_a_row = 0;
  std::erase(broken_, sock);
  if (!sock->poll) return;
  if (sock->watching != UV_READABLE) StopPoll(sock);  // a writable socket would fire at once
  uv_unref(reinterpret_cast<uv_handle_t*>(sock->poll.get()));
}

void Fetcher::StopPoll(Socket* sock) noexcept {
  if (sock->poll && uv_is_active(reinterpret_cast<uv_handle_t*>(sock->poll.get()))) {
    uv_poll_stop(sock->poll.get());
    ++poll_counts_.stopped;
  }
  sock->watching = 0;
}

// Forgets a socket and closes its poll. uv_close stops the poll at once (libuv's uv__poll_close), so the fd
// number is free for libuv when this returns.
void Fetcher::Drop(Socket* sock) noexcept {
  if (FdSlot* slot = SlotOf(sock->fd); slot && slot->sock == sock) slot->sock = nullptr;
  std::erase(broken_, sock);
  if (acting_on_ == sock) acting_on_ = nullptr;
  if (sock->poll) ++poll_counts_.stopped;
  delete sock;
}

void Fetcher::StartPoll(Socket* sock, int events) noexcept {
  sock->events = events;
  if (sock->poll && uv_poll_start(sock->poll.get(), events, &Fetcher::OnPoll) == 0) {
    sock->watching = events;
    ++poll_counts_.started;
    return;
  }
  sock->watching = 0;
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
  if (status < 0) sock->watching = 0;  // libuv has stopped the handle
  if (sock->events == 0) {
    // A kept socket libcurl is not watching (Idle): most likely the server closed the idle connection.
    // Stop until libcurl asks again; libcurl checks a cached connection itself before it reuses it.
    f->StopPoll(sock);
    return;
  }
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
  f->Act(sock->fd, flags);  // may delete sock (Drop then clears acting_on_)
  if (f->acting_on_ == sock && sock->events != 0 && !uv_is_active(reinterpret_cast<uv_handle_t*>(poll))) {
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
    GiveBack(std::move(t->easy), t->options.cookies);
    hub_.Wake(t->ticket);
  }
}

size_t Fetcher::CookiesForTest() const { return cookie_cap_->Count(); }

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
    if (t->options.cookies) cookie_cap_->Saw(t->set_cookies);  // after socket_action, not in a callback
    GiveBack(std::move(t->easy), t->options.cookies);
    hub_.Wake(t->ticket);  // only queues; the hub resumes the greenlet later
  }
}

}  // namespace gc
