// The Frontier against a real (in-memory) SQLite frontier table: nothing pending is ever lost between
// memory and the table, resume continues exactly the undone URLs, caps and retries behave.
#include <doctest/doctest.h>

#include <xxhash.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "crawler/frontier.h"
#include "crawler/url_set.h"
#include "storage/result_store.h"
#include "urls/traps.h"

using gc::Candidate;
using gc::Frontier;
using gc::FrontierConfig;
using gc::storage::FrontierItem;
using gc::storage::ResultStore;
using gc::storage::WriteBatch;

namespace {

using Clock = Frontier::Clock;

uint64_t Hash(const std::string& s) { return XXH3_64bits(s.data(), s.size()); }

Candidate Cand(const std::string& url, int64_t depth) { return Candidate{url, Hash(url), depth, std::nullopt}; }

// A run whose list is `n` URLs on `hosts` hosts, loaded as `crawl` would.
int64_t LoadList(ResultStore& store, int n, int hosts = 3) {
  int64_t run = store.BeginRun("list.txt", "{}", "test");
  store.BeginBulk();
  for (int i = 0; i < n; ++i) {
    std::string url = "http://h" + std::to_string(i % hosts) + ".test/p" + std::to_string(i);
    store.AddToFrontier(run, FrontierItem{url, i + 1, 0, i + 1, std::nullopt});
  }
  store.CommitBulk();
  return run;
}

gc::storage::ResultRow Result(const FrontierItem& item) {
  gc::storage::ResultRow r;
  r.url = item.url;
  r.seq = item.seq;
  r.depth = item.depth;
  r.status = 200;
  r.fetched_at = "2026-12-01T00:00:00.000Z";
  return r;
}

// Plays the session: refills when asked (after committing what was discovered), takes what is ready,
// "fetches" it (records a result), and lets `on_fetch` discover more. Stops when exhausted or after
// `max_fetches`. Returns the URLs in fetch order.
template <typename OnFetch>
std::vector<std::string> Drain(Frontier& f, ResultStore& store, int64_t run, OnFetch on_fetch,
                               size_t max_fetches = 1'000'000) {
  std::vector<std::string> fetched;
  WriteBatch batch;
  for (int guard = 0; guard < 10'000'000 && !f.exhausted() && fetched.size() < max_fetches; ++guard) {
    if (auto req = f.TakeRefillRequest()) {
      store.Write(run, batch);
      batch = WriteBatch{};
      f.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));
      continue;
    }
    auto next = f.Next(Clock::now());
    if (!next) {
      REQUIRE(f.NextWake());  // something waits for its time: nothing else could make progress
      continue;
    }
    fetched.push_back(next->item.url);
    for (FrontierItem& d : on_fetch(next->item)) batch.discovered.push_back(std::move(d));
    batch.results.push_back(Result(next->item));
    f.Recorded(Hash(next->item.url), next->item.depth);  // as the session does when it records a row
    f.Done(next->host);
    if (batch.size() > 50) {  // as the session's flusher does, at its own pace
      store.Write(run, batch);
      batch = WriteBatch{};
    }
  }
  store.Write(run, batch);
  return fetched;
}

FrontierConfig Recursive() {
  FrontierConfig c;
  c.max_depth = 100;  // a recursive crawl (Add() is for those)
  return c;
}

auto NoLinks = [](const FrontierItem&) { return std::vector<FrontierItem>{}; };

}  // namespace

TEST_CASE("a listed run is read back in seq order through refills, every URL once, then exhausted") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1000);
  FrontierConfig cfg;
  cfg.memory_items = 64;  // many refills
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  CHECK_FALSE(f.exhausted());  // the table may hold work until a refill says otherwise
  auto fetched = Drain(f, store, run, NoLinks);
  CHECK(fetched.size() == 1000);
  CHECK(std::set<std::string>(fetched.begin(), fetched.end()).size() == 1000);
  CHECK(store.PendingCount(run) == 0);
  CHECK(f.exhausted());
}

TEST_CASE("the first refill is small, the next one brings the rest at once, and nothing is lost") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1000);
  FrontierConfig cfg;
  cfg.memory_items = 400;
  cfg.first_refill = 16;
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  auto first = f.TakeRefillRequest();
  REQUIRE(first);
  CHECK(first->limit == 16);
  f.OnRefill(*first, store.PendingAfter(run, first->after_seq, first->limit));
  CHECK(f.queued() == 16);
  auto second = f.TakeRefillRequest();  // before anything was fetched: 16 < 400 / 2
  REQUIRE(second);
  CHECK(second->after_seq == 16);
  CHECK(second->limit == 400 - 16);
  f.OnRefill(*second, store.PendingAfter(run, second->after_seq, second->limit));
  CHECK(f.queued() == 400);
  auto fetched = Drain(f, store, run, NoLinks);
  CHECK(fetched.size() == 1000);
  CHECK(std::set<std::string>(fetched.begin(), fetched.end()).size() == 1000);
  CHECK(fetched.front() == "http://h0.test/p0");  // seq order: the list's order
  CHECK(store.PendingCount(run) == 0);
  CHECK(f.exhausted());
}

TEST_CASE("discoveries beyond the memory budget spill to the table and all come back (issue 12.1)") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1, 1);
  FrontierConfig cfg;
  cfg.memory_items = 20;
  cfg.max_depth = 100;  // a recursive crawl (Add() is for those)
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  // The listed page links to 1,500 pages; each of those links to two more (3,000 more in all).
  std::set<std::string> expected = {"http://h0.test/p0"};
  auto links = [&](const FrontierItem& page) {
    std::vector<FrontierItem> out;
    std::vector<std::string> targets;
    if (page.depth == 0) {
      for (int i = 0; i < 1500; ++i) targets.push_back("http://h" + std::to_string(i % 4) + ".test/a" + std::to_string(i));
    } else if (page.depth == 1) {
      for (int k = 0; k < 2; ++k) targets.push_back(page.url + "/b" + std::to_string(k));
    }
    for (auto& t : targets) {
      if (auto row = f.Add(Cand(t, page.depth + 1))) out.push_back(*row);
    }
    return out;
  };
  for (int i = 0; i < 1500; ++i) {
    std::string a = "http://h" + std::to_string(i % 4) + ".test/a" + std::to_string(i);
    expected.insert(a);
    expected.insert(a + "/b0");
    expected.insert(a + "/b1");
  }
  auto fetched = Drain(f, store, run, links);
  CHECK(f.exhausted());
  CHECK(fetched.size() == expected.size());
  CHECK(std::set<std::string>(fetched.begin(), fetched.end()) == expected);
  CHECK(store.PendingCount(run) == 0);
}

TEST_CASE("a URL spilled while a refill is outstanding keeps the frontier from ending") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 3, 1);
  FrontierConfig cfg;
  cfg.memory_items = 10;
  cfg.max_depth = 100;
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  auto req = f.TakeRefillRequest();
  REQUIRE(req);
  CHECK_FALSE(f.TakeRefillRequest());  // one at a time
  // While the read is on its way, a page discovers a URL; the frontier is spilled, so it goes to the
  // table only, and is committed after the read started.
  auto row = f.Add(Cand("http://h0.test/late", 1));
  REQUIRE(row);
  f.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));  // a short read: 3 of 10
  WriteBatch b;
  b.discovered.push_back(*row);
  store.Write(run, b);
  CHECK_FALSE(f.exhausted());
  auto fetched = Drain(f, store, run, NoLinks);
  CHECK(std::set<std::string>(fetched.begin(), fetched.end()) ==
        std::set<std::string>{"http://h0.test/p0", "http://h0.test/p1", "http://h0.test/p2", "http://h0.test/late"});
}

TEST_CASE("resume: a new Frontier over the same table continues exactly the undone URLs; known URLs add nothing") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 200);
  std::vector<std::string> first;
  {
    FrontierConfig cfg;
    cfg.memory_items = 50;
    cfg.max_depth = 100;
    Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
    int n = 0;
    first = Drain(f, store, run, [&](const FrontierItem& page) {
      std::vector<FrontierItem> out;
      if (auto row = f.Add(Cand(page.url + "/child", 1))) out.push_back(*row);
      ++n;
      return out;
    }, 120);  // then the process dies
  }
  CHECK(first.size() == 120);
  int64_t pending = store.PendingCount(run);
  CHECK(pending == 200 + 120 - 120);  // 80 listed + 120 children
  FrontierConfig cfg;
  cfg.memory_items = 50;
  cfg.max_depth = 100;
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  store.ForEachFrontierUrl(run, [&](std::string_view url, int64_t depth, bool done) {
    f.Seed(XXH3_64bits(url.data(), url.size()), depth, done);
  });
  CHECK_FALSE(f.Add(Cand(first[0], 1)));                  // fetched before the crash
  CHECK_FALSE(f.Add(Cand(first[0] + "/child", 2)));       // discovered before the crash
  auto second = Drain(f, store, run, NoLinks);
  CHECK(int64_t(second.size()) == pending);
  std::set<std::string> all(first.begin(), first.end());
  for (auto& u : second) CHECK(all.insert(u).second);  // nothing fetched twice
  CHECK(all.size() == 320);
  CHECK(store.PendingCount(run) == 0);
}

TEST_CASE("--max-pages counts listed and discovered URLs and says when it was reached") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 3, 1);
  FrontierConfig cfg;
  cfg.max_pages = 5;
  cfg.max_depth = 100;
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  CHECK(f.Add(Cand("http://h0.test/d1", 1)));
  CHECK(f.Add(Cand("http://h0.test/d2", 1)));
  CHECK_FALSE(f.max_pages_reached());
  CHECK_FALSE(f.Add(Cand("http://h0.test/d3", 1)));
  CHECK(f.max_pages_reached());
  CHECK(f.known() == 5);
}

TEST_CASE("a URL found again nearer the root is re-queued at the smaller depth without a new URL") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1, 1);
  Frontier f(Recursive(), store.MaxSeq(run) + 1, store.FrontierSize(run));
  auto deep = f.Add(Cand("http://h0.test/x", 3));
  REQUIRE(deep);
  CHECK(deep->seq > 0);
  auto shallow = f.Add(Cand("http://h0.test/x", 1));
  REQUIRE(shallow);
  CHECK(shallow->seq == 0);  // an update of the same row, not a new URL
  CHECK(shallow->depth == 1);
  CHECK(f.known() == 2);
  CHECK_FALSE(f.Add(Cand("http://h0.test/x", 2)));
  WriteBatch b;  // as the session commits them, in order
  b.discovered = {*deep, *shallow};
  store.Write(run, b);
  // The table kept the smaller depth, and so does the copy that reaches memory.
  auto req = f.TakeRefillRequest();
  REQUIRE(req);
  f.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));
  int64_t depth = -1;
  while (auto next = f.Next(Clock::now())) {
    if (next->item.url == "http://h0.test/x") depth = next->item.depth;
    f.Done(next->host);
  }
  CHECK(depth == 1);
}

TEST_CASE("a retry waits alone; a host that asked to slow down waits as a whole") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 4, 1);  // four URLs on one host
  Frontier f(Recursive(), store.MaxSeq(run) + 1, store.FrontierSize(run));
  auto req = f.TakeRefillRequest();
  REQUIRE(req);
  f.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));
  auto now = Clock::now();
  auto a = f.Next(now);
  REQUIRE(a);
  // A reset: this URL waits an hour; the host's other URLs go on at once.
  f.Retry(a->item, a->host, now + std::chrono::hours(1), false);
  f.Done(a->host);
  auto b = f.Next(now);
  REQUIRE(b);
  CHECK(b->item.url != a->item.url);
  // A 429: the host waits (an hour), so nothing of it starts now.
  f.Retry(b->item, b->host, now + std::chrono::hours(1), true);
  f.Done(b->host);
  CHECK_FALSE(f.Next(now));
  REQUIRE(f.NextWake());
  CHECK(*f.NextWake() >= now + std::chrono::minutes(59));
  CHECK_FALSE(f.exhausted());
  // After the hour both retries are released, at the front of their host's queue.
  auto later = now + std::chrono::hours(2);
  std::set<std::string> got;
  while (auto n = f.Next(later)) {
    got.insert(n->item.url);
    f.Done(n->host);
  }
  CHECK(got.size() == 4);
  CHECK(f.exhausted());
}

TEST_CASE("trap guards: repeating path segments and endless query variants of one path are not followed") {
  CHECK(gc::urls::LooksLikeTrap("http://x/a/b/a/b/a/b/"));
  CHECK(gc::urls::LooksLikeTrap("http://x/cal/cal/cal/cal/2026"));
  CHECK(gc::urls::LooksLikeTrap("http://x/" + std::string(65 * 2, '/')));
  CHECK_FALSE(gc::urls::LooksLikeTrap("http://x/docs/api/v1/index.html?a=a/a/a/a"));
  CHECK_FALSE(gc::urls::LooksLikeTrap("http://x/a/b/c/a/b/d"));
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1, 1);
  FrontierConfig cfg;
  cfg.max_query_variants = 10;
  cfg.max_depth = 100;
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  int added = 0;
  for (int i = 0; i < 50; ++i) added += f.Add(Cand("http://h0.test/calendar?day=" + std::to_string(i), 1)).has_value();
  CHECK(added == 10);
  CHECK(f.traps() == 40);
  CHECK(f.Add(Cand("http://h0.test/other?day=1", 1)));  // another path has its own budget
}

TEST_CASE("UrlSet keeps the smallest depth and stops at its cap") {
  gc::UrlSet s(1000);
  for (uint64_t i = 0; i < 1000; ++i) CHECK(s.Add(i * 0x9E3779B97F4A7C15ull, 5) == gc::UrlSet::Insert::kNew);
  CHECK(s.Add(12345, 1) == gc::UrlSet::Insert::kFull);
  CHECK(s.Add(0, 7) == gc::UrlSet::Insert::kKnown);  // hash 0 is stored too
  CHECK(s.Add(0x9E3779B97F4A7C15ull, 2) == gc::UrlSet::Insert::kShallower);
  CHECK(*s.Depth(0x9E3779B97F4A7C15ull) == 2);
  CHECK(s.size() == 1000);
}

TEST_CASE("an in-memory copy found again nearer the root goes out at the smaller depth") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1, 1);
  Frontier f(Recursive(), store.MaxSeq(run) + 1, store.FrontierSize(run));
  auto req = f.TakeRefillRequest();
  REQUIRE(req);
  f.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));  // short read: all in memory now
  CHECK_FALSE(f.spilled());
  REQUIRE(f.Add(Cand("http://h0.test/x", 3)));
  REQUIRE(f.Add(Cand("http://h0.test/x", 1)));
  int64_t depth = -1;
  int n = 0;
  while (auto next = f.Next(Clock::now())) {
    ++n;
    if (next->item.url == "http://h0.test/x") depth = next->item.depth;
    f.Done(next->host);
  }
  CHECK(n == 2);  // the listed URL and x, once
  CHECK(depth == 1);
  CHECK(f.exhausted());
}

TEST_CASE("a page fetched at --depth and found nearer the root later is fetched again, so its links are followed") {
  ResultStore store(":memory:");
  int64_t run = LoadList(store, 1, 1);
  FrontierConfig cfg;
  cfg.max_depth = 2;
  Frontier f(cfg, store.MaxSeq(run) + 1, store.FrontierSize(run));
  auto req = f.TakeRefillRequest();
  REQUIRE(req);
  f.OnRefill(*req, store.PendingAfter(run, req->after_seq, req->limit));
  auto root = f.Next(Clock::now());
  REQUIRE(root);
  f.Done(root->host);
  // A long path reached x first: x went out at depth 2, where its links are not followed.
  WriteBatch b;
  b.discovered.push_back(*f.Add(Cand("http://h0.test/x", 2)));
  auto x = f.Next(Clock::now());
  REQUIRE(x);
  CHECK(x->item.depth == 2);
  // Found again at the same depth while in flight: nothing to do.
  CHECK_FALSE(f.Add(Cand("http://h0.test/x", 2)));
  f.Recorded(Hash(x->item.url), x->item.depth);
  f.Done(x->host);
  b.results.push_back(Result(root->item));
  b.results.push_back(Result(x->item));
  // Then the root's slow page links x directly, at depth 1: x goes out again at depth 1. The refetch
  // and x's first result commit in one batch: the result's done mark (its own seq) must not cancel it.
  auto again = f.Add(Cand("http://h0.test/x", 1));
  REQUIRE(again);
  CHECK(again->refetch);
  CHECK(again->seq != x->item.seq);
  b.discovered.push_back(*again);
  store.Write(run, b);
  CHECK(store.PendingCount(run) == 1);  // the table agrees: resume would fetch it too
  auto x2 = f.Next(Clock::now());
  REQUIRE(x2);
  CHECK(x2->item.url == "http://h0.test/x");
  CHECK(x2->item.depth == 1);
  f.Done(x2->host);
  CHECK_FALSE(f.Add(Cand("http://h0.test/x", 1)));  // only once per smaller depth
  CHECK(f.exhausted());
}

TEST_CASE("a worker left with nothing to claim polls again soon, then less often, and anew after work came") {
  FrontierConfig cfg;
  cfg.shared = true;
  cfg.memory_items = 100;
  Frontier f(cfg, 1, 0);
  const auto t0 = Clock::now();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  auto claim = [&](std::vector<FrontierItem> items, Clock::time_point at) {
    f.ClaimSoon();  // as the session does after a run was not complete: the request is granted now
    auto req = f.TakeRefillRequest();
    REQUIRE(req);
    f.OnClaim(*req, std::move(items), 1, 1, at);
    REQUIRE(f.NextWake());
    return ms(*f.NextWake() - at);
  };
  // Nothing held, nothing claimed: a quarter of the time idle, from first_poll to poll.
  CHECK(claim({}, t0) == 50);
  CHECK(claim({}, t0 + std::chrono::milliseconds(400)) == 100);
  CHECK(claim({}, t0 + std::chrono::seconds(2)) == 500);
  CHECK(claim({}, t0 + std::chrono::seconds(30)) == 1000);
  // A claim that brought work (short of the limit) polls at `poll`, and the idle time starts over.
  CHECK(claim({FrontierItem{"http://h.test/a", 1, 0, 1, std::nullopt}}, t0 + std::chrono::seconds(31)) == 1000);
  // Its transfer still running: not idle (the transfer's end claims anyway).
  auto next = f.Next(t0 + std::chrono::seconds(31));
  REQUIRE(next);
  CHECK(claim({}, t0 + std::chrono::milliseconds(31'500)) == 1000);
  f.Done(next->host);
  CHECK(claim({}, t0 + std::chrono::seconds(32)) == 50);
}

// Issue 28.4: a host's URLs in lanes, each a host of its own to the scheduler with its part of the cap
// and Crawl-delay x lanes, so that lanes held by different workers add up to the host's politeness.
TEST_CASE("lanes: one transfer per lane, a Crawl-delay spread over the lanes, idle lanes given back by key") {
  FrontierConfig cfg;
  cfg.shared = true;
  cfg.lanes = 4;
  cfg.per_host = 4;  // the host's: 1 a lane
  cfg.memory_items = 1000;
  Frontier f(cfg, 1, 0);
  std::vector<FrontierItem> items;
  std::set<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    std::string url = "http://big.test/p" + std::to_string(i);
    items.push_back(FrontierItem{url, i + 1, 0, i + 1, std::nullopt});
    keys.insert(gc::storage::HostKey(url, 4));
  }
  CHECK(keys == std::set<std::string>{"http://big.test#0", "http://big.test#1", "http://big.test#2",
                                      "http://big.test#3"});
  CHECK(gc::storage::HostKey("http://big.test/p1", 1) == "http://big.test");
  auto t0 = Clock::now();
  f.ClaimSoon();
  auto req = f.TakeRefillRequest();
  REQUIRE(req);
  f.OnClaim(*req, items, 1, 40, t0);
  // A Crawl-delay of 1 s for the origin: 4 s on each lane, so one request a second to the host in all.
  f.SetHostDelay("http://big.test:80", std::chrono::seconds(1));
  std::vector<Frontier::Ready> started;
  while (auto r = f.Next(t0)) started.push_back(std::move(*r));
  REQUIRE(started.size() == 4);  // one per lane
  std::set<std::string> lanes;
  for (const auto& r : started) lanes.insert(r.host);
  CHECK(lanes.size() == 4);
  f.Done(started[0].host);
  CHECK_FALSE(f.Next(t0 + std::chrono::milliseconds(3999)));
  auto again = f.Next(t0 + std::chrono::seconds(4));
  REQUIRE(again);
  CHECK(again->host == started[0].host);
  // Told to give back all 4 (say) by a claim that also brought more of their URLs: those are queued first
  // and leave with their lanes. The three lanes with nothing in flight leave at once and are named, as
  // the store keys them, in the next claim's release, asked for at once; the fourth's transfer goes on,
  // and the lane starts nothing more.
  for (size_t i = 1; i < started.size(); ++i) f.Done(started[i].host);
  std::vector<FrontierItem> more;
  for (int i = 40; i < 48; ++i) more.push_back(FrontierItem{"http://big.test/p" + std::to_string(i), i + 1, 0, i + 1, std::nullopt});
  f.ClaimSoon();
  req = f.TakeRefillRequest();
  REQUIRE(req);
  CHECK(req->release.empty());
  f.OnClaim(*req, more, 1, 48, Clock::now(), 4);
  CHECK(f.queued() == 0);
  CHECK_FALSE(f.Next(t0 + std::chrono::seconds(100)));
  auto next = f.TakeRefillRequest();
  REQUIRE(next);
  REQUIRE(next->release.size() == 3);
  const std::string busy = gc::storage::HostKey(again->item.url, 4);
  for (const std::string& h : next->release) {
    CHECK(keys.count(h) == 1);
    CHECK(h != busy);
  }
  // The busy lane's transfer ends while that claim is under way, and the claim (which freed the three,
  // so says one more) brings URLs of the busy lane, still this worker's in the table: not queued, they go
  // with the lane, named in the claim after.
  f.Done(again->host);
  std::vector<FrontierItem> busy_urls;
  for (const FrontierItem& item : more) {
    if (gc::storage::HostKey(item.url, 4) == busy) busy_urls.push_back(item);
  }
  REQUIRE_FALSE(busy_urls.empty());
  f.OnClaim(*next, busy_urls, 1, 48, Clock::now(), 1);
  CHECK(f.queued() == 0);
  auto last = f.TakeRefillRequest();
  REQUIRE(last);
  CHECK(last->release == std::vector<std::string>{busy});
}
