// fetch_floor: the floors under a list crawl, for bench/floor.sh.
//
//   fetch_floor raw     C URLS   libcurl's multi socket interface on a libuv loop and nothing else: the
//                                shape of curl's docs/examples/multi-uv.c, bodies thrown away, easy
//                                handles reused. What libcurl 7.88 + libuv cost per transfer here.
//   fetch_floor fetcher C URLS   C greenlets awaiting gc::Fetcher::Get with a list crawl's FetchOptions
//                                (bodies kept, hashed, the SSRF and header callbacks on), no parse, no
//                                database: greencrawl's fetch layer alone.
//
// Prints one line: "mode=... urls=N ok=N wall_s=S pages_per_s=R" (ok: status 200). Only for 127.0.0.1
// sites the caller serves; every transfer is bounded by a 30 s timeout.
#include <curl/curl.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "crawler/fetcher.h"
#include "greenlet/greenlet.h"
#include "greenlet/hub.h"

namespace {

std::vector<std::string> ReadUrls(const char* path) {
  std::vector<std::string> urls;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) urls.push_back(line);
  }
  return urls;
}

// ---- raw: libcurl + libuv, as in curl's multi-uv.c ----

struct Raw {
  uv_loop_t* loop;
  CURLM* multi;
  uv_timer_t timer;
  const std::vector<std::string>* urls;
  size_t next = 0;
  long ok = 0;
};

struct RawSocket {
  uv_poll_t poll;
  curl_socket_t fd;
  Raw* raw;
};

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

void StartOne(Raw* r, CURL* easy) {
  curl_easy_reset(easy);
  curl_easy_setopt(easy, CURLOPT_URL, (*r->urls)[r->next++].c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_multi_add_handle(r->multi, easy);
}

void CheckDone(Raw* r) {
  int left;
  while (CURLMsg* m = curl_multi_info_read(r->multi, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL* easy = m->easy_handle;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (m->data.result == CURLE_OK && status == 200) ++r->ok;
    curl_multi_remove_handle(r->multi, easy);
    if (r->next < r->urls->size()) {
      StartOne(r, easy);
    } else {
      curl_easy_cleanup(easy);
    }
  }
}

void OnRawPoll(uv_poll_t* poll, int status, int events) {
  auto* s = static_cast<RawSocket*>(poll->data);
  int flags = status < 0 ? CURL_CSELECT_ERR : 0;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(s->raw->multi, s->fd, flags, &running);
  CheckDone(s->raw);
}

void OnRawTimer(uv_timer_t* t) {
  auto* r = static_cast<Raw*>(t->data);
  int running;
  curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  CheckDone(r);
}

int RawTimerCb(CURLM*, long ms, void* p) {
  auto* r = static_cast<Raw*>(p);
  if (ms < 0) {
    uv_timer_stop(&r->timer);
  } else {
    uv_timer_start(&r->timer, OnRawTimer, uint64_t(ms), 0);
  }
  return 0;
}

int RawSocketCb(CURL*, curl_socket_t fd, int what, void* p, void* socketp) {
  auto* r = static_cast<Raw*>(p);
  auto* s = static_cast<RawSocket*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      uv_poll_stop(&s->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&s->poll),
               [](uv_handle_t* h) { delete static_cast<RawSocket*>(h->data); });
      curl_multi_assign(r->multi, fd, nullptr);
    }
    return 0;
  }
  if (!s) {
    s = new RawSocket{{}, fd, r};
    uv_poll_init_socket(r->loop, &s->poll, fd);
    s->poll.data = s;
    curl_multi_assign(r->multi, fd, s);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, OnRawPoll);
  return 0;
}

long RunRaw(int concurrency, const std::vector<std::string>& urls) {
  Raw r;
  r.loop = uv_default_loop();
  r.multi = curl_multi_init();
  r.urls = &urls;
  uv_timer_init(r.loop, &r.timer);
  r.timer.data = &r;
  curl_multi_setopt(r.multi, CURLMOPT_SOCKETFUNCTION, RawSocketCb);
  curl_multi_setopt(r.multi, CURLMOPT_SOCKETDATA, &r);
  curl_multi_setopt(r.multi, CURLMOPT_TIMERFUNCTION, RawTimerCb);
  curl_multi_setopt(r.multi, CURLMOPT_TIMERDATA, &r);
  curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, long(2 * concurrency));
  for (int i = 0; i < concurrency && r.next < urls.size(); ++i) StartOne(&r, curl_easy_init());
  uv_run(r.loop, UV_RUN_DEFAULT);  // ends when the last transfer is done and its poll closed
  curl_multi_cleanup(r.multi);     // closes the cached connections (their polls are already gone)
  uv_close(reinterpret_cast<uv_handle_t*>(&r.timer), nullptr);
  uv_run(r.loop, UV_RUN_DEFAULT);
  uv_loop_close(r.loop);
  return r.ok;
}

// ---- fetcher: greencrawl's fetch layer ----

struct Shared {
  gc::Fetcher* fetcher;
  const std::vector<std::string>* urls;
  size_t next = 0;
  long ok = 0;
};

// A free function, not a capturing lambda: a coroutine's captures die with the lambda object.
gc::Task<void> FetchWorker(Shared* s) {
  gc::FetchOptions fo;
  fo.private_addresses = gc::PrivateAddresses::kAllow;
  while (s->next < s->urls->size()) {
    const std::string& url = (*s->urls)[s->next++];
    gc::Task<gc::Response> get = s->fetcher->Get(url, fo);
    gc::Response r = co_await std::move(get);
    if (r.ok() && r.status == 200) ++s->ok;
  }
}

long RunFetcher(int concurrency, const std::vector<std::string>& urls) {
  gc::Hub hub;
  long ok = 0;
  {
    gc::FetcherConfig fc;
    fc.max_connects_cache = std::max(64L, 2L * concurrency);  // as the crawl session sizes it
    gc::Fetcher fetcher(hub, fc);
    Shared shared{&fetcher, &urls};
    std::vector<gc::Greenlet<void>> workers;
    for (int i = 0; i < concurrency; ++i) workers.push_back(gc::Spawn(FetchWorker, &shared));
    hub.Run();
    ok = shared.ok;
  }
  hub.Close();
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: fetch_floor raw|fetcher CONCURRENCY URLS\n");
    return 2;
  }
  std::string mode = argv[1];
  int concurrency = std::atoi(argv[2]);
  std::vector<std::string> urls = ReadUrls(argv[3]);
  if (concurrency < 1 || urls.empty() || (mode != "raw" && mode != "fetcher")) {
    std::fprintf(stderr, "fetch_floor: need raw|fetcher, a concurrency >= 1 and a non-empty list\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto t0 = std::chrono::steady_clock::now();
  long ok = mode == "raw" ? RunRaw(concurrency, urls) : RunFetcher(concurrency, urls);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("mode=%s urls=%zu ok=%ld wall_s=%.3f pages_per_s=%.1f\n", mode.c_str(), urls.size(), ok, wall,
              double(ok) / wall);
  curl_global_cleanup();
  return ok == long(urls.size()) ? 0 : 1;
}
