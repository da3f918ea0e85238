// WriteOutput (app/output_file.h), the one writer of every -o path and --report-html: atomic replacement
// through a temporary file it creates itself, in-place writes to devices and FIFOs, errors that say why.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "app/output_file.h"
#include "tests/device_guard.h"
#include "tests/e2e.h"
#include "tests/process.h"

using namespace gc::testing;
using gc::WriteOutput;

namespace {

auto Text(const std::string& text) {
  return [text](std::ostream& s) { s << text; };
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode;
}

size_t Entries(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename() != "" ? 1 : 0;
  return n;
}

std::string WhatWriting(const std::string& output, const std::string& text) {
  std::ostringstream out;
  try {
    WriteOutput(output, out, Text(text));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a new file gets the whole text and 0666 less the umask, and no temporary file stays") {
  TempDir dir;
  mode_t old = umask(022);
  std::ostringstream out;
  WriteOutput(dir / "out.csv", out, Text("a,b\n"));
  umask(old);
  CHECK(ReadFile(dir / "out.csv") == "a,b\n");
  CHECK((ModeOf(dir / "out.csv") & 07777) == 0644);
  CHECK(Entries(dir.path) == 1);
  CHECK(out.str().empty());
}

TEST_CASE("a link planted at FILE.partial is not followed: its target stays as it was") {
  TempDir dir;
  WriteFile(dir / "victim", "precious\n");
  REQUIRE(symlink((dir / "victim").c_str(), (dir / "out.csv.partial").c_str()) == 0);
  std::ostringstream out;
  WriteOutput(dir / "out.csv", out, Text("report\n"));
  CHECK(ReadFile(dir / "victim") == "precious\n");
  CHECK(ReadFile(dir / "out.csv") == "report\n");
  struct stat st {};
  REQUIRE(lstat((dir / "out.csv.partial").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
}

TEST_CASE("a link at the target is replaced by the new file, not written through") {
  TempDir dir;
  WriteFile(dir / "victim", "precious\n");
  REQUIRE(symlink((dir / "victim").c_str(), (dir / "out.html").c_str()) == 0);
  std::ostringstream out;
  WriteOutput(dir / "out.html", out, Text("<p>report</p>\n"));
  CHECK(ReadFile(dir / "victim") == "precious\n");
  struct stat st {};
  REQUIRE(lstat((dir / "out.html").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK(ReadFile(dir / "out.html") == "<p>report</p>\n");
}

TEST_CASE("an existing file is replaced with its permission bits kept") {
  TempDir dir;
  WriteFile(dir / "out.csv", "old\n");
  REQUIRE(chmod((dir / "out.csv").c_str(), 0640) == 0);
  struct stat before {};
  REQUIRE(stat((dir / "out.csv").c_str(), &before) == 0);
  std::ostringstream out;
  WriteOutput(dir / "out.csv", out, Text("new\n"));
  struct stat after {};
  REQUIRE(stat((dir / "out.csv").c_str(), &after) == 0);
  CHECK(ReadFile(dir / "out.csv") == "new\n");
  CHECK((after.st_mode & 07777) == 0640);
  CHECK(after.st_ino != before.st_ino);  // replaced by rename(2), not rewritten in place
  CHECK(Entries(dir.path) == 1);
}

TEST_CASE("a writer that throws leaves the old file and no temporary file") {
  TempDir dir;
  WriteFile(dir / "out.csv", "old\n");
  std::ostringstream out;
  CHECK_THROWS_AS(WriteOutput(dir / "out.csv", out,
                              [](std::ostream& s) {
                                s << "half";
                                throw std::invalid_argument("bad run");
                              }),
                  std::invalid_argument);
  CHECK(ReadFile(dir / "out.csv") == "old\n");
  CHECK(Entries(dir.path) == 1);
}

TEST_CASE("a missing directory or a directory target is an error naming it") {
  TempDir dir;
  CHECK(WhatWriting(dir / "no/such/out.csv", "x") ==
        "cannot write " + dir / "no/such/out.csv" + ": No such file or directory");
  std::string why = WhatWriting(dir.path, "x");
  CHECK(why.find(dir.path) != std::string::npos);
  CHECK(why.find("directory") != std::string::npos);
  CHECK(Entries(dir.path) == 0);
}

TEST_CASE("/dev/full is written in place and its ENOSPC is an error; it stays a device") {
  struct stat st {};
  if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode)) {
    MESSAGE("no /dev/full here: skipped");
    return;
  }
  DeviceGuard guard("/dev/full");
  std::string why = WhatWriting("/dev/full", std::string(100'000, 'x'));
  CHECK(why.find("cannot write /dev/full") != std::string::npos);
  CHECK(why.find("No space left on device") != std::string::npos);
  CHECK(S_ISCHR(ModeOf("/dev/full")));
}

TEST_CASE("/dev/null is written in place and stays a device") {
  DeviceGuard guard("/dev/null");
  CHECK(WhatWriting("/dev/null", "x\n").empty());
  CHECK(S_ISCHR(ModeOf("/dev/null")));
}

TEST_CASE("a FIFO is written in place: its reader gets every byte and it stays a FIFO") {
  TempDir dir;
  std::string fifo = dir / "pipe";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::string text;
  for (int i = 0; i < 20'000; ++i) text += "https://example.test/" + std::to_string(i) + ",200\n";
  std::string got;
  std::thread reader([&] {
    int fd = open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    close(fd);
  });
  std::string why = WhatWriting(fifo, text);  // opening blocks until the reader has opened its end
  reader.join();
  CHECK(why.empty());
  CHECK(got == text);
  CHECK(S_ISFIFO(ModeOf(fifo)));
  CHECK(Entries(dir.path) == 1);
}

TEST_CASE("/dev/stdout is this process's standard output, written as '-' is") {
  struct stat st {};
  if (stat("/dev/stdout", &st) != 0) {
    MESSAGE("no /dev/stdout here: skipped");
    return;
  }
  DeviceGuard guard("/dev/stdout");
  std::ostringstream out;
  WriteOutput("/dev/stdout", out, Text("to stdout\n"));
  CHECK(out.str() == "to stdout\n");
  struct stat link {};
  REQUIRE(lstat("/dev/stdout", &link) == 0);
  CHECK(S_ISLNK(link.st_mode));  // still the link to /proc/self/fd/1
}
