#include "crawler/error_class.h"

#include <cstring>

namespace gc::error_class {

std::string FromCurl(CURLcode code, bool body_cap_hit) {
  if (body_cap_hit) return kTooLarge;
  switch (code) {
    case CURLE_OK: return "";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return kDns;
    case CURLE_COULDNT_CONNECT: return kConnect;
    case CURLE_OPERATION_TIMEDOUT: return kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED: return kTls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: return kReset;
    case CURLE_GOT_NOTHING: return kEmptyResponse;
    case CURLE_PARTIAL_FILE: return kPartial;
    case CURLE_TOO_MANY_REDIRECTS: return kTooManyRedirects;
    case CURLE_FILESIZE_EXCEEDED: return kTooLarge;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_OUT_OF_MEMORY:  // libcurl 7.88 reports an oversized header block this way
      return kBadResponse;
    case CURLE_BAD_CONTENT_ENCODING: return kBadEncoding;
    case CURLE_UNSUPPORTED_PROTOCOL: return kUnsupportedScheme;
    case CURLE_URL_MALFORMAT: return kInvalidUrl;
    default: return kOther;
  }
}

bool IsMalformedResponse(CURLcode code, const char* message) {
  if (code != CURLE_RECV_ERROR || !message) return false;
  // libcurl 7.88 transfer.c: failf(data, "%s in chunked-encoding", Curl_chunked_strerror(...)), for a bad
  // chunk size, a malformed chunk or a bad trailer. http.c (Debian's backport of the CVE-2023-38039 fix,
  // upstream since 8.3): "Too large response headers: N > 307200", counted over every response of the
  // request, so 200,000 "HTTP/1.1 102" interim responses end there.
  return std::strstr(message, "in chunked-encoding") != nullptr ||
         std::strncmp(message, "Too large response headers", 26) == 0;
}

}  // namespace gc::error_class
