// Fetcher::Transfer: one transfer in flight, the Fetcher's unit of work. It owns the easy handle while
// in flight, sets its options, carries the libcurl callbacks that fill its Response (body cap, header
// checks, the SSRF guard) and classifies the result. fetcher.cc drives the multi handle and the loop;
// this is internal to the two (fetcher.h is the front door). Loop thread only.
#pragma once

#include <curl/curl.h>
#include <xxhash.h>

#include <memory>
#include <string>

#include "crawler/fetcher.h"
#include "crawler/header_check.h"

namespace gc {

struct Fetcher::Transfer {
  struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  struct HashDeleter {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
  };

  Fetcher* fetcher = nullptr;
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
  bool cut_short = false;      // FetchOptions::check_read_bytes ended it: not an error
  bool out_of_memory = false;  // the response could not be held in memory
  enum class Keep { kUndecided, kYes, kNo };
  Keep keep = Keep::kUndecided;  // keep_for_parser: whether this body is (still) kept
  int set_cookies = 0;           // Set-Cookie headers seen, on every hop (for the Fetcher's CookieCap)
  bool bomb = false;             // keep_for_parser: decoding ran past kMaxDecodeRatio (see KeepForParser)
  HeaderCheck header_check;
  HeaderCheck::Verdict header_verdict = HeaderCheck::Verdict::kOk;
  bool connect_refused = false;  // the SSRF guard refused an address in OnOpenSocket
  bool request_refused = false;  // ... or a request in OnPrereq
  bool credentials_kept = false;  // OnPrereq refused a redirect that would carry credentials elsewhere
  std::string refusal;           // why, for error_message
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if ((queued || in_multi) && fetcher) fetcher->Cancel(this);  // the awaiting greenlet was killed
  }

  // Sets every option of `easy` (already taken, reset) from `options`. Returns false, with
  // response.error and error_message set, when libcurl refused one: the transfer must not run then.
  bool Configure(CURLSH* share);
  // Fills in `response` once libcurl has finished with `code`. Runs under C callbacks: never throws.
  void Finish(CURLcode code) noexcept;

 private:
  bool MayUse(bool non_public, const char* ip) noexcept;
  void TooLarge(CURL* e, CURLcode code);  // error_message and size of a too_large result; may throw
  // With FetchOptions::credential_origin: true when this hop is still that origin.
  bool CredentialsStayHome() noexcept;
  static size_t OnHeader(char* data, size_t size, size_t count, void* userp) noexcept;
  static size_t OnWrite(char* data, size_t size, size_t count, void* userp) noexcept;
  // keep_for_parser's part of OnWrite (FetchOptions). False: out of memory, end the transfer.
  bool KeepForParser(const char* data, size_t n) noexcept;
  static curl_socket_t OnOpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) noexcept;
  static int OnPrereq(void* clientp, char* primary_ip, char* local_ip, int primary_port, int local_port) noexcept;
};

}  // namespace gc
