#include "greenlet/serial_thread.h"

namespace gc {

SerialThread::SerialThread(Hub& hub) : hub_(hub), async_(hub.loop(), uv_async_init, &SerialThread::OnAsync) {
  async_->data = this;
  // Unreferenced until a greenlet waits: an idle worker thread must not keep the hub running.
  uv_unref(reinterpret_cast<uv_handle_t*>(async_.get()));
  thread_ = std::thread([this] { Loop(); });
}

SerialThread::~SerialThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();  // runs what was posted: a write handed over must not be dropped
  async_.Close();
}

void SerialThread::Post(std::function<void()> job) {
  auto j = std::make_shared<Job>();
  j->run = std::move(job);
  Submit(j);
}

void SerialThread::Submit(const std::shared_ptr<Job>& job) {
  if (job->has_waiter && waiting_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(async_.get()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job);
    ++backlog_;
  }
  cv_.notify_one();
}

size_t SerialThread::backlog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return backlog_;
}

std::exception_ptr SerialThread::TakeError() {
  Deliver();  // a failure that finished but whose async callback has not run yet
  return std::exchange(post_error_, nullptr);
}

void SerialThread::Loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job->run();
    } catch (...) {
      job->error = std::current_exception();
    }
    job->run = nullptr;  // what the job captured is released on this thread, where it ran
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_.push_back(std::move(job));
      --backlog_;
    }
    uv_async_send(async_.get());  // thread-safe; coalesces
  }
}

void SerialThread::OnAsync(uv_async_t* async) { static_cast<SerialThread*>(async->data)->Deliver(); }

void SerialThread::Deliver() {
  std::vector<std::shared_ptr<Job>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished.swap(finished_);
  }
  for (auto& job : finished) {
    job->done = true;
    if (!job->has_waiter) {
      if (job->error && !post_error_) post_error_ = job->error;
      continue;
    }
    if (--waiting_ == 0 && async_) uv_unref(reinterpret_cast<uv_handle_t*>(async_.get()));
    if (!job->abandoned) hub_.Wake(job->ticket);
  }
}

}  // namespace gc
