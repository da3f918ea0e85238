#include "app/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gc {

std::optional<RunLock> RunLock::Acquire(const std::string& db_path, double wait_seconds, std::string* holder) {
  std::string path = db_path + ".lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open lock file " + path + ": " + std::strerror(errno));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      // Say who holds it, for the next one who finds it taken.
      std::string me = "pid " + std::to_string(getpid()) + "\n";
      if (ftruncate(fd, 0) == 0 && pwrite(fd, me.data(), me.size(), 0) < 0) {
        // Only informational; the flock is what counts.
      }
      return RunLock(fd);
    }
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int e = errno;
      close(fd);
      throw std::runtime_error("cannot lock " + path + ": " + std::strerror(e));
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (holder) {
    char buf[64] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    std::string who = n > 0 ? std::string(buf, size_t(n)) : "another process";
    while (!who.empty() && who.back() == '\n') who.pop_back();
    *holder = who;
  }
  close(fd);
  return std::nullopt;
}

RunLock& RunLock::operator=(RunLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace gc
