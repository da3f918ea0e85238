#include "app/run_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "app/paths.h"

namespace gc {
namespace {

constexpr size_t kRecordBytes = 32;  // "pid 12345" padded with spaces: rewritten in place, never truncated

// Opens DB.lock without following a symlink there, refusing anything but our own plain file.
int OpenLockFile(const std::string& db_path, std::string* lock_path) {
  *lock_path = ResolvedDatabase(db_path) + ".lock";
  int fd = open(lock_path->c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP) {
      throw std::runtime_error("cannot lock database " + db_path + ": " + *lock_path +
                               " is a symbolic link; remove it (greencrawl never follows one there)");
    }
    throw std::runtime_error("cannot lock database " + db_path + " (" + *lock_path + "): " + std::strerror(e));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    close(fd);
    throw std::runtime_error("cannot lock database " + db_path + ": " + *lock_path +
                             " is not a plain file of its own (a link or a device); remove it");
  }
  return fd;
}

std::string ReadHolder(int fd) {
  char buf[kRecordBytes + 1] = {};
  ssize_t n = pread(fd, buf, kRecordBytes, 0);
  std::string who = n > 0 ? std::string(buf, size_t(n)) : "";
  while (!who.empty() && (who.back() == '\n' || who.back() == ' ' || who.back() == '\0')) who.pop_back();
  return who.empty() ? "another process" : who;
}

// The whole file, as an open-file-description lock (fcntl(2) F_OFD_*): like flock(2) it belongs to the
// open file and dies with the process, and unlike flock it can be tested (F_OFD_GETLK) without taking it.
struct flock WholeFile(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  return fl;
}

}  // namespace

std::optional<RunLock> RunLock::Acquire(const std::string& db_path, double wait_seconds, std::string* holder) {
  std::string path;
  int fd = OpenLockFile(db_path, &path);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  for (;;) {
    struct flock fl = WholeFile(F_WRLCK);
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
      // Say who holds it, for the next one who finds it taken: a fixed-size record written in place.
      std::string me = "pid " + std::to_string(getpid());
      me.resize(kRecordBytes - 1, ' ');
      me += '\n';
      if (pwrite(fd, me.data(), me.size(), 0) < 0) {
        // Only informational; the lock is what counts.
      }
      return RunLock(fd);
    }
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
      int e = errno;
      close(fd);
      throw std::runtime_error("cannot lock database " + db_path + ": " + std::strerror(e));
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (holder) *holder = ReadHolder(fd);
  close(fd);
  return std::nullopt;
}

std::optional<int64_t> RunLock::Holder(const std::string& db_path) {
  std::string path;
  try {
    path = ResolvedDatabase(db_path) + ".lock";
  } catch (const std::exception&) {
    return std::nullopt;
  }
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  struct flock fl = WholeFile(F_WRLCK);
  bool held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  std::string who = held ? ReadHolder(fd) : "";
  close(fd);
  if (!held) return std::nullopt;
  if (who.rfind("pid ", 0) != 0) return -1;
  return std::strtoll(who.c_str() + 4, nullptr, 10);
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
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace gc
