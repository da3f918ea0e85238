// RunLock: at most one writer (crawl or prune) per results database. An flock(2) on "DB.lock": the
// kernel drops it when the holding process exits, however it exits, so a killed crawl never leaves a
// stale lock to clean up by hand. The file itself may stay; it is not the lock.
#pragma once

#include <optional>
#include <string>

namespace gc {

class RunLock {
 public:
  // Takes the lock, waiting up to wait_seconds (0: not at all). nullopt when another process holds
  // it; `holder` then says which (pid and command, from the lock file).
  static std::optional<RunLock> Acquire(const std::string& db_path, double wait_seconds, std::string* holder);
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&& o) noexcept;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace gc
