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
#include "storage/sql.h"

namespace gc {
namespace {

constexpr size_t kRecordBytes = 32;  // "pid 12345" padded with spaces: rewritten in place, never truncated

[[noreturn]] void Refuse(const std::string& db_path, const std::string& lock_path, int e) {
  if (e == ELOOP) {
    throw std::runtime_error("cannot lock database " + db_path + ": " + lock_path +
                             " is a symbolic link; remove it (greencrawl never follows one there)");
  }
  throw std::runtime_error("cannot lock database " + db_path + " (" + lock_path + "): " + std::strerror(e));
}

// Opens DB.lock without following a symlink there, refusing anything but our own plain file. `created`:
// whether this call made the file (O_EXCL says so), so that a refused open can remove it again.
int OpenLockFile(const std::string& db_path, std::string* lock_path, bool* created) {
  std::string db = ResolvedDatabase(db_path);
  // Before DB.lock exists: `--db /dev/null` must not leave /dev/null.lock, nor `--db DIR` DIR.lock.
  if (std::string why = sql::NotADatabaseFile(db); !why.empty()) {
    throw std::runtime_error("cannot use database " + db_path + ": " + why);
  }
  *lock_path = db + ".lock";
  const int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 10; ++attempt) {
    fd = open(lock_path->c_str(), flags | O_CREAT | O_EXCL, 0644);
    *created = fd >= 0;
    if (fd < 0 && errno == EEXIST) fd = open(lock_path->c_str(), flags);  // ENOENT: removed meanwhile, again
    if (fd < 0 && errno != ENOENT) Refuse(db_path, *lock_path, errno);
  }
  if (fd < 0) Refuse(db_path, *lock_path, errno);
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    close(fd);
    throw std::runtime_error("cannot lock database " + db_path + ": " + *lock_path +
                             " is not a plain file of its own (a link or a device); remove it");
  }
  return fd;
}

// Whether `path` still names the file open as `fd`: a lock file removed (Discard) or replaced after we
// opened it locks nobody out, so a lock taken on it does not count.
bool StillNamed(int fd, const std::string& path) {
  struct stat open_st {}, path_st {};
  return fstat(fd, &open_st) == 0 && lstat(path.c_str(), &path_st) == 0 && open_st.st_dev == path_st.st_dev &&
         open_st.st_ino == path_st.st_ino;
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
  bool created = false;
  int fd = OpenLockFile(db_path, &path, &created);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  for (int reopened = 0;;) {
    struct flock fl = WholeFile(F_WRLCK);
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
      if (!StillNamed(fd, path) && reopened < 10) {
        // Its holder removed it on a refused open while we waited: the lock is the file now there.
        close(fd);
        fd = OpenLockFile(db_path, &path, &created);
        ++reopened;
        continue;
      }
      // Say who holds it, for the next one who finds it taken: a fixed-size record written in place.
      std::string me = "pid " + std::to_string(getpid());
      me.resize(kRecordBytes - 1, ' ');
      me += '\n';
      if (pwrite(fd, me.data(), me.size(), 0) < 0) {
        // Only informational; the lock is what counts.
      }
      return RunLock(fd, created, path);
    }
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
      int e = errno;
      close(fd);
      if (created) unlink(path.c_str());
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

void RunLock::Discard() {
  if (fd_ < 0) return;
  // Unlinked while still held: a process waiting on this file finds it gone once it gets the lock.
  if (created_ && StillNamed(fd_, path_)) unlink(path_.c_str());
  close(fd_);
  fd_ = -1;
}

RunLock& RunLock::operator=(RunLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    created_ = o.created_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace gc
