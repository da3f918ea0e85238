// Tests that write to /dev/null, /dev/full or /dev/stdout run as root in CI and here. Were the code under
// test to regress to replacing its target with a regular file (it once did), it would break the machine
// for every later process; DeviceGuard puts the device or link back when the test ends, and the test's
// own checks still report the regression.
#pragma once

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

namespace gc::testing {

class DeviceGuard {
 public:
  explicit DeviceGuard(std::string path) : path_(std::move(path)) {
    saved_ = lstat(path_.c_str(), &st_) == 0;
    if (saved_ && S_ISLNK(st_.st_mode)) {
      char buf[256];
      ssize_t n = readlink(path_.c_str(), buf, sizeof buf - 1);
      link_ = n > 0 ? std::string(buf, size_t(n)) : "";
    }
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  ~DeviceGuard() {
    struct stat now {};
    if (!saved_ || (lstat(path_.c_str(), &now) == 0 && now.st_mode == st_.st_mode && now.st_rdev == st_.st_rdev)) {
      return;
    }
    unlink(path_.c_str());
    if (!link_.empty()) {
      if (symlink(link_.c_str(), path_.c_str()) != 0) return;
    } else if (mknod(path_.c_str(), st_.st_mode, st_.st_rdev) == 0) {
      chmod(path_.c_str(), st_.st_mode & 07777);
    }
  }

 private:
  std::string path_;
  struct stat st_ {};
  bool saved_ = false;
  std::string link_;
};

}  // namespace gc::testing
