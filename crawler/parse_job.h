// ParseInPool: hands a fetched page to the parser on libuv's thread pool and resumes the calling greenlet
// with the result, so the loop thread never parses. The page's bytes move into the job: nothing is shared
// with the loop while the pool thread works.
#pragma once

#include <string>

#include "greenlet/task.h"
#include "greenlet/thread_pool.h"
#include "parser/page_parser.h"

namespace gc {

inline Task<PageInfo> ParseInPool(std::string body, std::string url, std::string content_type, ParseOptions options) {
  // A named awaitable, not a temporary holding a closure: g++ 12 mis-destroys such temporaries across the
  // suspension (docs/hacking.md).
  auto work = RunInPool([body = std::move(body), url = std::move(url), content_type = std::move(content_type),
                         options] { return ParsePage(body, url, content_type, options); });
  co_return co_await work;
}

}  // namespace gc
