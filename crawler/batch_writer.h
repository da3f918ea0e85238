// BatchWriter: hands the session's WriteBatches to the storage thread with group commit. A batch sent
// while an earlier one waits its turn joins it, and the storage thread commits everything waiting in one
// transaction (ResultStore::Write of a span, each batch in order). An idle storage thread still gets
// each batch at once, so readers see progress as before; a busy one writes fewer, larger transactions,
// which is where SQLite's time went: each commit rewrites every B-tree page it touched, and the links
// and URL indexes are written all over (bench/RESULTS.md, round 5).
//
//   BatchWriter writer(storage_thread, store, run_id);
//   writer.Send(std::move(batch));                        // loop thread; returns at once
//   if (writer.waiting_results() > 2'000) ...             // backpressure
//
// Ordering: a job posted to the same SerialThread after Send() runs after that batch is committed (a
// refill reads every discovery sent before it). A failed write reaches SerialThread::TakeError() as any
// Post()ed job's. Loop thread only, except for the job it posts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "greenlet/serial_thread.h"
#include "storage/result_store.h"

namespace gc {

class BatchWriter {
 public:
  BatchWriter(SerialThread& thread, storage::ResultStore& store, int64_t run_id)
      : thread_(thread), store_(store), run_id_(run_id) {}

  void Send(storage::WriteBatch batch);

  // Results and rows (of any table) sent and not yet taken by the storage thread.
  size_t waiting_results() const;
  size_t waiting_rows() const;

 private:
  void Post();  // the job that takes every batch waiting

  struct Waiting {
    mutable std::mutex mu;
    std::vector<storage::WriteBatch> batches;  // guarded by mu
    size_t results = 0;                        // guarded by mu
    size_t rows = 0;                           // guarded by mu
    bool job_posted = false;                   // a job is queued that has not taken `batches` yet
  };

  SerialThread& thread_;
  storage::ResultStore& store_;
  int64_t run_id_;
  std::shared_ptr<Waiting> waiting_ = std::make_shared<Waiting>();
};

}  // namespace gc
