// RunLock: at most one writer (crawl or prune) per results database. A lock on the whole of "DB.lock",
// where DB is the database's resolved path (app/paths.h), so `link.db` -> `r.db` takes r.db's lock. An
// open-file-description lock (fcntl(2) F_OFD_SETLK): like flock(2) the kernel drops it when the holding
// process exits, however it exits, so a killed crawl never leaves a stale lock to clean up by hand; unlike
// flock it can be tested without taking it (Holder). The file may stay; it is not the lock.
//
// The lock file is opened with O_NOFOLLOW and never truncated, and must be a plain file with one link:
// a symlink or hard link planted at DB.lock cannot make a crawl (perhaps run by root) overwrite its target.
// A database that cannot be a file (a directory, /dev/null) is refused before DB.lock is created, and an
// open refused after the lock was taken removes the lock file this process created (Discard): a refused
// command leaves nothing behind. Removing a lock file is safe because a lock is only held once the file
// at the path is still the one locked (checked after locking, else taken again on the new file).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace gc {

class RunLock {
 public:
  // Takes the lock, waiting up to wait_seconds (0: not at all). nullopt when another process holds
  // it; `holder` then says which (its pid, from the lock file). Throws std::runtime_error, in words
  // about the database, when the lock cannot be taken at all (missing directory, planted link).
  static std::optional<RunLock> Acquire(const std::string& db_path, double wait_seconds, std::string* holder);
  // The pid of the process holding the database's lock now (-1 when its record is unreadable), or
  // nullopt when nobody holds it (or there is no lock file). A `running` run whose process does not hold
  // the lock was killed. Looks only: creates and changes nothing.
  static std::optional<int64_t> Holder(const std::string& db_path);
  // For an open of the database refused under the lock: releases it and removes the lock file when this
  // lock created it (a file that was there before stays, as after any run).
  void Discard();
  RunLock(RunLock&& o) noexcept : fd_(o.fd_), created_(o.created_), path_(std::move(o.path_)) { o.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&& o) noexcept;
  ~RunLock();

 private:
  RunLock(int fd, bool created, std::string path) : fd_(fd), created_(created), path_(std::move(path)) {}
  int fd_;
  bool created_;      // this process created the lock file
  std::string path_;  // of the lock file
};

}  // namespace gc
