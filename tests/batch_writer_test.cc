// BatchWriter against a real SQLite file and a real storage thread: batches sent while the thread is busy
// are committed by one job, before anything posted after them; a failed write reaches TakeError().
#include <doctest/doctest.h>

#include <filesystem>
#include <future>
#include <string>

#include "crawler/batch_writer.h"
#include "greenlet/spawn.h"
#include "storage/result_store.h"
#include "tests/e2e.h"

using gc::BatchWriter;
using gc::Hub;
using gc::SerialThread;
using gc::Task;
using gc::storage::FrontierItem;
using gc::storage::ResultStore;
using gc::storage::WriteBatch;

namespace {

// A run with URLs p1..pN pending, seq = i.
int64_t Pending(ResultStore& store, int n) {
  int64_t run = store.BeginRun("list.txt", "{}", "test");
  store.BeginBulk();
  for (int i = 1; i <= n; ++i) {
    store.AddToFrontier(run, FrontierItem{"http://h.test/p" + std::to_string(i), i, 0, i, std::nullopt});
  }
  store.CommitBulk();
  return run;
}

// The results of URLs first..last, each marking its frontier row done.
WriteBatch Results(int first, int last) {
  WriteBatch b;
  for (int i = first; i <= last; ++i) {
    gc::storage::ResultRow r;
    r.url = "http://h.test/p" + std::to_string(i);
    r.seq = i;
    r.status = 200;
    r.fetched_at = "2026-12-01T00:00:00.000Z";
    r.in_frontier = true;
    b.results.push_back(std::move(r));
  }
  return b;
}

}  // namespace

TEST_CASE("BatchWriter: batches sent while the storage thread is busy go in one job, before later jobs") {
  gc::testing::TempDir dir;
  ResultStore store(dir / "w.db");
  int64_t run = Pending(store, 40);
  Hub hub;
  int64_t ok_seen_by_later_job = -1, pending_after_all = -1;
  size_t backlog_while_busy = 0, waiting_while_busy = 0, backlog_after_send = 0;
  {
    SerialThread thread(hub);
    BatchWriter writer(thread, store, run);
    auto g = gc::Spawn([&]() -> Task<void> {
      std::promise<void> release;
      std::shared_future<void> released = release.get_future().share();
      thread.Post([released] { released.wait(); });  // the storage thread is busy with an earlier job
      writer.Send(Results(1, 10));
      writer.Send(Results(11, 20));
      writer.Send(Results(21, 30));
      backlog_while_busy = thread.backlog();  // the blocker and ONE write job (4 without group commit)
      waiting_while_busy = writer.waiting_results();
      // Posted after the three: must see all of them committed (a refill reads every discovery sent).
      auto later = thread.Call([&] { return store.Counts(run).ok; });
      release.set_value();
      ok_seen_by_later_job = co_await later;
      // The earlier job took its batches: the next batch gets a job of its own (held behind a second
      // blocker, so that the count cannot race the thread taking it).
      std::promise<void> release2;
      std::shared_future<void> released2 = release2.get_future().share();
      thread.Post([released2] { released2.wait(); });
      writer.Send(Results(31, 40));
      backlog_after_send = thread.backlog();  // the blocker and a new write job
      auto all = thread.Call([&] { return store.PendingCount(run); });
      release2.set_value();
      pending_after_all = co_await all;
    });
    hub.Run();
    REQUIRE(g.ready());
    CHECK(g.successful());
    CHECK_FALSE(thread.TakeError());
    CHECK(writer.waiting_results() == 0);
    CHECK(writer.waiting_rows() == 0);
  }
  CHECK(backlog_while_busy == 2);
  CHECK(waiting_while_busy == 30);
  CHECK(ok_seen_by_later_job == 30);
  CHECK(backlog_after_send == 2);
  CHECK(pending_after_all == 0);
  CHECK(store.Counts(run).ok == 40);
  CHECK(hub.Close() == 0);
}

TEST_CASE("BatchWriter: a failed write is kept for TakeError, as a posted job's") {
  gc::testing::TempDir dir;
  const std::string path = dir / "w.db";
  ResultStore store(path);
  int64_t run = Pending(store, 5);
  Hub hub;
  std::string error;
  {
    SerialThread thread(hub);
    BatchWriter writer(thread, store, run);
    std::filesystem::remove(path);  // ResultStore refuses to write into an unlinked file
    auto g = gc::Spawn([&]() -> Task<void> {
      writer.Send(Results(1, 5));
      auto drained = thread.Call([] {});
      co_await drained;
    });
    hub.Run();
    CHECK(g.successful());
    auto e = thread.TakeError();
    REQUIRE(e);
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
  }
  CHECK(error.find("was deleted or replaced") != std::string::npos);
  CHECK(hub.Close() == 0);
}
