#include "crawler/page_job.h"

#include <cstdio>
#include <ctime>
#include <exception>
#include <utility>

#include "crawler/blocked.h"
#include "crawler/error_class.h"
#include "crawler/retry.h"
#include "greenlet/thread_pool.h"
#include "storage/sql.h"
#include "text/utf8.h"
#include "urls/url.h"

namespace gc {
namespace {

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<std::string> NonEmpty(std::string s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// Header values come from the server: store them as clean UTF-8.
std::optional<std::string> Header(const std::string& s) { return NonEmpty(CleanText(s, 1024)); }

bool WasHtml(const storage::PreviousResult& p) {
  return !p.content_type || p.content_type->empty() || IsHtml(*p.content_type, "");
}

// What every row of `item` says of where it came from, fetched now.
storage::ResultRow RowFor(const storage::FrontierItem& item) {
  storage::ResultRow row;
  row.url = item.url;
  row.seq = item.seq;
  row.depth = item.depth;
  row.list_line = item.list_line;
  row.source_kind = item.source_kind;
  row.source = item.source;
  row.resource_kind = item.resource_kind;
  row.fetched_at = storage::UtcNow();
  return row;
}

// The scope root of a listed URL is where it ended up (http://x/ -> https://www.x/ is common).
std::string RootOf(const storage::FrontierItem& item, const std::string& final_url) {
  return item.root.value_or(final_url.empty() ? item.url : final_url);
}

}  // namespace

Task<PageOutcome> PageJob::Run() {
  const storage::FrontierItem& item = job_.item;
  PageOutcome out;
  try {
    auto admit = Admit();
    if (std::optional<storage::ResultRow> refused = co_await std::move(admit)) {
      out.row = std::move(*refused);
      co_return out;
    }
    auto prepare = Prepare();
    FetchOptions fo = co_await std::move(prepare);
    auto fetch = s_.Fetch(item.url, std::move(fo));
    Response r = co_await std::move(fetch);
    // A bot wall is not retried: it would answer the same, and more requests only harden it.
    std::string blocked = BlockedReason(r, std::time(nullptr));
    if (std::optional<PageOutcome> not_final = Judge(r, blocked)) co_return std::move(*not_final);
    const bool not_modified = r.status == 304 && conditional_;
    // A wall's page is read for its title, but its links are not the site's: none are carried for it.
    auto read = Read(r, not_modified && blocked.empty());
    ParsedPage page = co_await std::move(read);
    if (parsed_ && s_.parses_cancelled()) {
      out.kind = PageOutcome::kDrop;  // a stop may have cut the parse short: the URL stays pending
      co_return out;
    }
    out.row = BuildRow(r, page, blocked, not_modified);
    out.unchanged = not_modified;
    // A wall's links are not the site's.
    out.discover = page.info.html && s_.options().depth > 0 && blocked.empty();
    out.page = std::move(page);
  } catch (const sql::Error&) {
    throw;  // the database failed (a lookup for this URL): the session stops, the URL stays pending
  } catch (const std::exception& e) {
    // Not expected (failures are data), but a URL must never be lost: record what happened.
    out = PageOutcome();
    out.row = ErrorRow(item, error_class::kOther, CleanText(e.what(), 1024));
  }
  co_return out;
}

// Admit: robots.txt, for link following and for sitemap URLs (the site's own list, but still its rules).
Task<std::optional<storage::ResultRow>> PageJob::Admit() {
  const CrawlOptions& o = s_.options();
  const storage::FrontierItem& item = job_.item;
  if (!s_.robots_on() && !(item.source_kind == "sitemap" && !o.ignore_robots)) co_return std::nullopt;
  // The origin, not the host key: a lane's ("origin#k") would ask for "origin#k/robots.txt", which is "/".
  const std::string origin = OriginOfHostKey(job_.host);
  auto check = s_.robots().Allowed(origin, urls::PathAndQuery(item.url));
  bool allowed = co_await std::move(check);
  if (allowed) co_return std::nullopt;
  // A robots.txt that answered excludes the URL; one that could not be had says the host is down.
  const std::optional<RobotsUnreachable>& down = s_.robots().Unreachable(origin);
  storage::ResultRow row = down ? ErrorRow(item, down->error.c_str(), down->message)
                                : ErrorRow(item, error_class::kRobots, "disallowed by " + origin + "/robots.txt");
  row.attempts = 0;
  co_return row;
}

// Prepare: the crawl's options for this URL, and the previous result's validators when a 304 can stand
// for the page (CanCarry).
Task<FetchOptions> PageJob::Prepare() {
  storage::FrontierItem& item = job_.item;
  FetchOptions fo = s_.FetchOptionsFor(item.url);
  if (IsCheck(item)) {
    // Checked, never parsed: nothing of the body is kept, and only its first bytes are read (FetchOptions).
    fo.keep_body = false;
    fo.check_read_bytes = kCheckReadBytes;
  } else {
    fo.keep_for_parser = true;  // a page: its body is kept only for the parser (crawler/body_budget.h)
  }
  if (s_.conditional() && !item.previous_loaded) {
    // Found on a page during this session: not looked up with a refill batch.
    auto lookup = s_.LookUpPrevious(item.url);
    item.previous = storage::SharePrevious(co_await std::move(lookup));
    item.previous_loaded = true;
  }
  const storage::PreviousPtr& previous = item.previous;
  conditional_ = previous && (previous->etag || previous->last_modified) && CanCarry(*previous);
  if (conditional_) {
    fo.if_none_match = previous->etag.value_or("");
    fo.if_modified_since = previous->last_modified.value_or("");
  }
  co_return fo;
}

bool PageJob::CanCarry(const storage::PreviousResult& p) const {
  const CrawlOptions& o = s_.options();
  if (o.depth == 0 || !WasHtml(p)) return true;
  if (o.check_resources && !(p.page_links & storage::kPageResourcesKept)) return false;
  return (p.page_links & storage::kPageLinksLevel) >=
         (o.check_fragments ? storage::kPageLinksAndAnchorsKept : storage::kPageLinksKept);
}

// Judge: whether this answer is final. nullopt: it is (record it).
std::optional<PageOutcome> PageJob::Judge(const Response& r, const std::string& blocked) const {
  const CrawlOptions& o = s_.options();
  const storage::FrontierItem& item = job_.item;
  PageOutcome out;
  if (s_.list_unread() && r.error == error_class::kPrivateAddress) {
    // The list's origins are not all known yet (Feed): a redirect to a non-public host that the list names
    // further down must not be refused for the order the list is read in. Nothing was sent; the URL is
    // asked again once the list has ended, against all of its origins.
    out.kind = PageOutcome::kDefer;
    return out;
  }
  if (s_.stopping() && item.attempts <= o.retries && Transient(r) && blocked.empty()) {
    // Stopping: a failure that would have been retried is not final either. Nothing is recorded; the URL
    // stays pending and --resume fetches it again.
    out.kind = PageOutcome::kDrop;
    return out;
  }
  if (!blocked.empty() || s_.stopping()) return std::nullopt;
  if (auto retry = PlanRetry(r, item.attempts, o.retries, o.retry_delay_ms)) {
    // A transient failure (crawler/retry.h): try again later; nothing is recorded yet.
    out.kind = PageOutcome::kRetry;
    out.wait = retry->wait;
    out.slow_host = retry->slow_host;
    return out;
  }
  return std::nullopt;
}

// Read: what the page says. A 304 in a recursive crawl has no body: its links are the ones the previous
// run recorded, followed by this run's depth and scope rules, and recorded for this run too (so that the
// next can do the same). A list crawl reads only the title, from the <head>.
Task<ParsedPage> PageJob::Read(Response& r, bool carry) {
  const storage::FrontierItem& item = job_.item;
  const ParseOptions& parse = s_.parse_options();
  ParsedPage page;
  if (IsCheck(item)) co_return page;  // another site's page or a resource: checked, not read
  if (carry && s_.options().depth > 0 && WasHtml(*item.previous)) {
    auto carried = CarryLinks(item.previous->run_id, r.final_url);
    page = co_await std::move(carried);
  } else if (r.ok() && IsHtml(r.content_type, r.body)) {
    parsed_ = true;
    if (parse.links) {
      auto parsed = ParseWithLinks(std::move(r.body), r.final_url, r.content_type);
      page = co_await std::move(parsed);
    } else if (auto quick = ParseInline(r.body, r.final_url, r.content_type, parse)) {
      page.info = std::move(*quick);  // a small <head>: ~10 us (over ~5 ms it goes to the pool)
    } else {
      auto work = RunInPool([body = std::move(r.body), url = r.final_url, type = r.content_type, opts = parse] {
        return ParsePage(body, url, type, opts);
      });
      page.info = co_await work;
    }
  }
  co_return page;
}

// The page's links (anchors, fragment links) as run `from_run` recorded them, sorted by this run's
// policy on a pool thread as a parsed page's are.
Task<ParsedPage> PageJob::CarryLinks(int64_t from_run, std::string final_url) {
  const storage::FrontierItem& item = job_.item;
  auto read = s_.PageAsRecorded(item.url, from_run);
  storage::RecordedPage recorded = co_await std::move(read);
  auto work = RunInPool([recorded = std::move(recorded), policy = s_.PolicyFor(item), root = RootOf(item, final_url),
                         url = item.url]() mutable {
    ParsedPage p;
    p.info.html = true;
    for (storage::RecordedLink& l : recorded.links) {
      p.info.links.push_back(Link{std::move(l.to), l.nofollow, ResourceKindFromName(l.resource_kind.value_or(""))});
    }
    p.info.anchors = std::move(recorded.anchors);
    p.info.anchors_capped = recorded.anchors_capped;
    for (storage::FragmentLinkRow& f : recorded.fragment_links) {
      p.info.fragment_links.push_back(FragmentLink{std::move(f.to), std::move(f.fragment)});
    }
    if (policy.follow) policy.root_key = policy.scope->Key(root);
    p.links = SortLinks(url, p.info, policy);
    p.info.links.clear();
    p.info.fragment_links.clear();
    return p;
  });
  co_return co_await work;
}

// Parses on a pool thread and sorts the page's links there too: resolution, scope, include/exclude and
// hashing never run on the loop.
Task<ParsedPage> PageJob::ParseWithLinks(std::string body, std::string final_url, std::string content_type) {
  const storage::FrontierItem& item = job_.item;
  std::string root = RootOf(item, final_url);  // before final_url moves: captures initialise in no set order
  auto work = RunInPool([body = std::move(body), root = std::move(root), final_url = std::move(final_url),
                         content_type = std::move(content_type), opts = s_.parse_options(),
                         policy = s_.PolicyFor(item), page_url = item.url]() mutable {
    ParsedPage p;
    p.info = ParsePage(body, final_url, content_type, opts);
    if (policy.follow) policy.root_key = policy.scope->Key(root);
    p.links = SortLinks(page_url, p.info, policy);
    p.info.links.clear();
    p.info.fragment_links.clear();
    return p;
  });
  co_return co_await work;
}

// Row: everything the result says, in one place. A 304 carries the previous result (its size, hash,
// title and type still describe the page, so reports stay whole); a bot wall and a parse over budget
// keep their status with their error class.
storage::ResultRow PageJob::BuildRow(const Response& r, const ParsedPage& page, const std::string& blocked,
                                     bool not_modified) const {
  const storage::FrontierItem& item = job_.item;
  storage::ResultRow row = RowFor(item);
  row.attempts = item.attempts;
  row.final_url = NonEmpty(r.final_url);
  if (r.status > 0) row.status = r.status;
  if (r.size >= 0 && (r.status > 0 || r.size > 0)) row.size = r.size;  // -1: a cut check's unknown length
  row.content_type = Header(r.content_type);
  if (!page.info.title.empty()) row.title = page.info.title;
  row.error = NonEmpty(r.error);
  row.error_message = NonEmpty(CleanText(r.error_message, 1024));
  row.redirects = r.redirects;
  row.wire_bytes = r.wire_bytes;
  row.ip = NonEmpty(r.ip);
  row.etag = Header(r.etag);
  row.last_modified = Header(r.last_modified);
  if ((r.ok() || r.size > 0) && !r.body_cut) row.content_hash = Hex64(r.body_hash);
  row.dns_ms = r.timings.dns_ms;
  row.connect_ms = r.timings.connect_ms;
  row.tls_ms = r.timings.tls_ms;
  row.ttfb_ms = r.timings.first_byte_ms;
  row.total_ms = r.timings.total_ms;
  if (!page.info.parse_limit.empty()) {
    row.error = error_class::kParseLimit;  // the status stays; the links found so far are kept
    row.error_message = page.info.parse_limit;
  }
  if (!blocked.empty()) {
    row.error = error_class::kBlocked;  // the status stays: 403, 429, 503 as the wall answered
    row.error_message = CleanText(blocked, 1024);
  }
  if (not_modified) {
    const storage::PreviousResult& previous = *item.previous;
    row.unchanged = 1;
    row.size = previous.size;
    row.content_hash = previous.content_hash;
    row.title = previous.title;
    row.content_type = previous.content_type;
    if (!row.etag) row.etag = previous.etag;
    if (!row.last_modified) row.last_modified = previous.last_modified;
  }
  return row;
}

storage::ResultRow PageJob::ErrorRow(const storage::FrontierItem& item, const char* error, std::string message) {
  storage::ResultRow row = RowFor(item);
  row.error = error;
  row.error_message = std::move(message);
  return row;
}

}  // namespace gc
