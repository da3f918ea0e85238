#include "crawler/batch_writer.h"

#include <utility>

namespace gc {

void BatchWriter::Send(storage::WriteBatch batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(waiting_->mu);
    const size_t results = batch.results.size(), rows = batch.size();
    waiting_->batches.push_back(std::move(batch));
    waiting_->results += results;
    waiting_->rows += rows;
    // The job already queued takes this batch too: it cannot have started, so it still runs before
    // anything posted after this call.
    if (waiting_->job_posted) return;
    waiting_->job_posted = true;
  }
  try {
    Post();
  } catch (...) {
    std::lock_guard lock(waiting_->mu);
    waiting_->job_posted = false;  // no job will take them: the next Send must post one
    throw;
  }
}

void BatchWriter::Post() {
  thread_.Post([waiting = waiting_, &store = store_, run_id = run_id_] {
    std::vector<storage::WriteBatch> batches;
    {
      std::lock_guard lock(waiting->mu);
      batches.swap(waiting->batches);
      waiting->results = 0;
      waiting->rows = 0;
      waiting->job_posted = false;
    }
    store.Write(run_id, batches);
  });
}

size_t BatchWriter::waiting_results() const {
  std::lock_guard lock(waiting_->mu);
  return waiting_->results;
}

size_t BatchWriter::waiting_rows() const {
  std::lock_guard lock(waiting_->mu);
  return waiting_->rows;
}

}  // namespace gc
