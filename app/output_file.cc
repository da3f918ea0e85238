#include "app/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <streambuf>

namespace gc {
namespace {

// Owns one file descriptor; close(2) errors are read by Close(), which a writer must call.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  // 0, or the errno of close(2): on NFS a delayed write error may only show here.
  int Close() {
    int rc = close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// A std::streambuf writing to a descriptor, keeping the errno of the first failed write(2) (ENOSPC on
// /dev/full, EPIPE on a closed FIFO): std::ofstream would lose it, and the message must name it.
class FdBuf final : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!Drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  bool Drain() {
    const char* p = pbase();
    while (error_ == 0 && p < pptr()) {
      ssize_t n = ::write(fd_, p, size_t(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        break;
      }
      p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return error_ == 0;
  }
  int fd_;
  int error_ = 0;
  char buf_[1 << 16];
};

[[noreturn]] void Fail(const std::string& target, int error) {
  throw std::runtime_error("cannot write " + target + ": " + std::strerror(error));
}

// Runs `write` on a stream to `fd`, then flushes; throws naming `target` on a write error.
void WriteFd(int fd, const std::string& target, const std::function<void(std::ostream&)>& write) {
  FdBuf buf(fd);
  std::ostream stream(&buf);
  write(stream);
  stream.flush();
  if (!stream) Fail(target, buf.error() ? buf.error() : EIO);
}

// The output descriptor (1 or 2; not 0, often /dev/null opened read-only) that is the same file as `st`,
// or -1. `-o /dev/stdout` with stdout redirected to a file reaches that file: writing the descriptor keeps
// the shell's offset and O_APPEND, where reopening the path would write over its start and replacing it
// would replace /dev/stdout itself.
int StandardDescriptorOf(const struct stat& st) {
  for (int fd = 1; fd <= 2; ++fd) {
    struct stat s {};
    if (fstat(fd, &s) == 0 && s.st_dev == st.st_dev && s.st_ino == st.st_ino) return fd;
  }
  return -1;
}

// Devices and FIFOs are written in place, as `>` would: replacing one would swap /dev/null for a regular
// file (as root) or leave a FIFO's reader with nothing. No O_CREAT: it exists; no O_TRUNC: a device has
// nothing to truncate.
void WriteInPlace(const std::string& output, const std::function<void(std::ostream&)>& write) {
  Fd fd(open(output.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) Fail(output, errno);
  WriteFd(fd.get(), output, write);
  if (int e = fd.Close()) Fail(output, e);
}

std::string RandomSuffix() {
  static std::random_device device;
  char s[17];
  std::snprintf(s, sizeof s, "%08x%08x", unsigned(device()), unsigned(device()));
  return s;
}

// A new temporary file beside `output`. O_EXCL|O_NOFOLLOW: it is ours, never a file or link that was
// there before (a link planted at the name fails the open, it is not followed); the random name means a
// stale one from a crash is no obstacle. Mode 0666 less the umask, as the kernel applies it.
Fd CreateTemporary(const std::string& output, std::string* tmp) {
  for (int attempt = 0;; ++attempt) {
    *tmp = output + ".partial-" + RandomSuffix();
    int fd = open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
    if (fd >= 0) return Fd(fd);
    if (errno != EEXIST || attempt == 8) Fail(output, errno);  // e.g. no such directory: say which file
  }
}

// The temporary file, then rename(2) over `output`: a reader sees the old file or the whole new one.
void ReplaceAtomically(const std::string& output, const struct stat* existing,
                       const std::function<void(std::ostream&)>& write) {
  std::string tmp;
  Fd fd = CreateTemporary(output, &tmp);
  try {
    // The target's permission bits (not set-id ones): a report a web server reads stays readable.
    if (existing && fchmod(fd.get(), existing->st_mode & 0777) != 0) Fail(output, errno);
    WriteFd(fd.get(), output, write);
    // On disk before it gets the name: after a crash the name holds the old text or the new, not an
    // empty file (ext4's and XFS's delayed allocation).
    if (fsync(fd.get()) != 0) Fail(output, errno);
    if (int e = fd.Close()) Fail(output, e);
    if (std::rename(tmp.c_str(), output.c_str()) != 0) Fail(output, errno);
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
}

}  // namespace

void WriteOutput(const std::string& output, std::ostream& out, const std::function<void(std::ostream&)>& write) {
  auto to_out = [&] {
    write(out);
    out.flush();
    if (!out) throw std::runtime_error("cannot write to standard output");
  };
  if (output.empty() || output == "-") return to_out();
  struct stat st {};
  if (stat(output.c_str(), &st) != 0) {
    if (errno != ENOENT) Fail(output, errno);
    // A new file, or a dangling symbolic link (replaced, not followed).
    return ReplaceAtomically(output, nullptr, write);
  }
  if (int fd = StandardDescriptorOf(st); fd >= 0) {
    if (fd == 1) return to_out();
    Fd dup_fd(fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (dup_fd.get() < 0) Fail(output, errno);
    WriteFd(dup_fd.get(), output, write);
    return;
  }
  if (S_ISDIR(st.st_mode)) throw std::runtime_error("cannot write " + output + ": it is a directory");
  if (S_ISBLK(st.st_mode)) {
    throw std::runtime_error("cannot write " + output + ": it is a block device; give a file name");
  }
  if (!S_ISREG(st.st_mode)) return WriteInPlace(output, write);
  struct stat lst {};
  bool is_link = lstat(output.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
  // A link is replaced by the new file, not written through: its target's mode says nothing about it.
  ReplaceAtomically(output, is_link ? nullptr : &st, write);
}

std::string CannotWrite(const std::string& output) {
  if (output.empty() || output == "-") return "";
  struct stat st {};
  if (stat(output.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return "cannot write " + output + ": it is a directory";
    if (S_ISBLK(st.st_mode)) return "cannot write " + output + ": it is a block device";
    // A device or FIFO is written in place; a regular file is replaced through its folder (below).
    if (!S_ISREG(st.st_mode)) {
      return access(output.c_str(), W_OK) == 0 ? "" : "cannot write " + output + ": " + std::strerror(errno);
    }
  }
  std::filesystem::path folder = std::filesystem::path(output).parent_path();
  if (folder.empty()) folder = ".";
  if (stat(folder.c_str(), &st) != 0) return "cannot write " + output + ": no folder " + folder.string();
  if (!S_ISDIR(st.st_mode)) return "cannot write " + output + ": " + folder.string() + " is not a folder";
  // The new file is made beside the target, then renamed over it: the folder must take a new file.
  if (access(folder.c_str(), W_OK | X_OK) != 0) {
    return "cannot write " + output + ": " + folder.string() + ": " + std::strerror(errno);
  }
  return "";
}

}  // namespace gc
