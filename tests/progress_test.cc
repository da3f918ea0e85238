// The live progress line on a terminal: its counts and totals (growing with discovered URLs, kept across
// --resume), its width (never wraps), and a reached --max-pages said at the end. Runs the real binary with
// its stderr on a pseudo-terminal against a local server.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/progress.h"
#include "tests/e2e.h"
#include "tests/process.h"
#include "tests/slow_site.h"
#include "tests/test_server.h"

using namespace gc::testing;

namespace {

// The redraws of a terminal progress line: the text between carriage returns.
std::vector<std::string> Redraws(const std::string& out) {
  std::vector<std::string> lines;
  size_t i = 0;
  while ((i = out.find('\r', i)) != std::string::npos) {
    size_t j = out.find('\r', i + 1);
    lines.push_back(out.substr(i + 1, (j == std::string::npos ? out.size() : j) - i - 1));
    i = i + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("the progress line's total grows with discovered URLs and its counts start from the run's") {
  std::ostringstream out;
  gc::Progress p(out, gc::Progress::Mode::kTerminal, 200, {/*total=*/5, /*done_before=*/3, /*errors_before=*/2});
  p.Recorded(false);
  p.Tick(1);
  CHECK(Redraws(out.str()).back().rfind("4/5 done", 0) == 0);
  CHECK(Redraws(out.str()).back().find(", 2 errors,") != std::string::npos);  // not 0 after --resume
  p.Discovered(64);
  p.Recorded(true);
  p.Tick(2);
  CHECK(Redraws(out.str()).back().rfind("5/69 done", 0) == 0);
  CHECK(Redraws(out.str()).back().find(", 3 errors,") != std::string::npos);
}

TEST_CASE("the progress line is cut to the terminal's width, so a redraw never wraps") {
  std::ostringstream out;
  gc::Progress p(out, gc::Progress::Mode::kTerminal, 30, {1000000, 0, 0});
  for (int i = 0; i < 5; ++i) {
    p.Recorded(i % 2 == 0);
    p.Tick(100);
  }
  p.Finish();
  auto lines = Redraws(out.str());
  REQUIRE(lines.size() >= 5);
  for (const auto& line : lines) CHECK(line.size() <= 29);
  CHECK(out.str().find('\n') == std::string::npos);
  setenv("COLUMNS", "33", 1);
  CHECK(gc::TerminalWidth(-1) == 33);  // no terminal: $COLUMNS
  unsetenv("COLUMNS");
  CHECK(gc::TerminalWidth(-1) == 80);
}

namespace {

// Runs the binary with its stderr on a pseudo-terminal `columns` wide; returns what the terminal showed.
struct OnTerminal {
  int exit_code = -1;
  std::string screen;
};

// What the terminal has shown so far, for a test that waits for a redraw instead of sleeping for one.
class LiveScreen {
 public:
  void Append(const char* bytes, size_t n) {
    std::lock_guard lock(mu_);
    text_.append(bytes, n);
    cv_.notify_all();
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // Waits until `shown(screen so far)` holds; false once the child has closed the terminal without it,
  // or after a bound of minutes that only turns a hang into a failure.
  bool WaitFor(const std::function<bool(const std::string&)>& shown) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::minutes(2), [&] { return shown(text_) || closed_; }) && shown(text_);
  }
  std::string text() const {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool closed_ = false;
};

OnTerminal RunOnTerminal(const std::vector<std::string>& args, unsigned short columns,
                         const std::function<void(pid_t, LiveScreen&)>& while_running = {}) {
  OnTerminal result;
  LiveScreen live;
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(grantpt(master) == 0);
  REQUIRE(unlockpt(master) == 0);
  std::string slave = ptsname(master);
  winsize ws{};
  ws.ws_col = columns;
  ws.ws_row = 24;
  REQUIRE(ioctl(master, TIOCSWINSZ, &ws) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, slave.c_str(), O_RDWR | O_NOCTTY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  // Drain the terminal while the crawl runs, so it never blocks on a full pty buffer.
  std::thread reader([&] {
    char buf[4096];
    for (;;) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO once the child has exited and the slave is closed
      live.Append(buf, size_t(n));
    }
    live.Close();
  });
  if (while_running) while_running(pid, live);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  reader.join();
  close(master);
  result.screen = live.text();
  return result;
}

// The progress redraws a terminal showed: pieces between carriage returns and line feeds (the pty turns
// "\n" into "\r\n") that hold a progress line.
std::vector<std::string> ProgressRedraws(const std::string& screen) {
  std::vector<std::string> out;
  std::string piece;
  for (char c : screen + "\r") {
    if (c == '\r' || c == '\n') {
      if (piece.find(" done, ") != std::string::npos) out.push_back(piece);
      piece.clear();
    } else {
      piece += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("on a narrow terminal the progress line fits, counts bad list lines, and keeps counting after --resume") {
  SlowSite site(40);
  TempDir dir;
  WriteFile(dir / "list.txt", "not a url\nftp://x/y\n" + site.list);
  std::string db = dir / "r.db";
  // Stopped once the terminal has shown two redraws and rows are committed: waiting on what the test
  // needs to see, not on a time in which it usually happens.
  auto first = RunOnTerminal({GREENCRAWL_BIN, "crawl", "--db", db, "--concurrency", "1", dir / "list.txt"}, 36,
                             [&](pid_t pid, LiveScreen& screen) {
                               CHECK(WaitForRows(db, 4, std::chrono::seconds(120)));
                               CHECK(screen.WaitFor([](const std::string& s) { return ProgressRedraws(s).size() >= 2; }));
                               kill(pid, SIGTERM);
                             });
  CHECK(first.exit_code == 3);
  auto redraws = ProgressRedraws(first.screen);
  REQUIRE(redraws.size() >= 2);
  for (const auto& r : redraws) CHECK(r.size() <= 35);
  CHECK(redraws[0].find(" 2 errors") != std::string::npos);  // the two bad lines, from the first redraw on
  int64_t done = Scalar(db, "SELECT count(*) FROM results");
  auto second = RunOnTerminal({GREENCRAWL_BIN, "crawl", "--db", db, "--resume", "--concurrency", "1", dir / "list.txt"},
                              36, [&](pid_t pid, LiveScreen& screen) {
                                CHECK(screen.WaitFor([](const std::string& s) { return !ProgressRedraws(s).empty(); }));
                                kill(pid, SIGTERM);
                              });
  CHECK(second.exit_code == 3);
  auto again = ProgressRedraws(second.screen);
  REQUIRE(!again.empty());
  // Not "0/40": the resumed run's results count, and its total is the whole run's (40 URLs + 2 bad lines).
  CHECK_MESSAGE(std::atoll(again[0].c_str()) >= done, again[0]);
  CHECK_MESSAGE(again[0].find("/42 done") != std::string::npos, again[0]);
  CHECK(again[0].find(" 2 errors") != std::string::npos);
}

namespace {

// A home page linking to `n` slow pages; while `held`, the pages wait for it to be cleared.
struct LinkedSite {
  std::atomic<bool> held{false};  // before the server: it outlives the server's handler threads
  TestServer server;
  explicit LinkedSite(int n) {
    server.Handle("/", [n](const HttpRequest&, Conn& c) {
      std::string body = "<title>home</title>";
      for (int i = 0; i < n; ++i) body += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
      c.Respond(200, body);
    });
    server.Handle("/p*", [this](const HttpRequest&, Conn& c) {
      while (held) {
        if (!c.Sleep(2)) return;
      }
      c.Sleep(50);
      c.Respond(200, "<title>p</title>");
    });
  }
};

}  // namespace

TEST_CASE("in a recursive crawl the progress total grows with the discovered URLs") {
  LinkedSite site(20);
  site.held = true;  // the linked pages wait until the terminal has shown what this test looks for
  TempDir dir;
  WriteFile(dir / "list.txt", site.server.Url("/") + "\n");
  // Some redraw shows the whole total while work remains ("1/21 done"): not "/1", nor a total that only
  // catches up with what is done.
  auto grown = [](const std::string& screen) {
    for (const auto& r : ProgressRedraws(screen)) {
      if (r.find("/21 done") != std::string::npos && std::atoi(r.c_str()) < 21) return true;
    }
    return false;
  };
  auto shown = RunOnTerminal({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--depth", "1", "--ignore-robots",
                              "--concurrency", "1", "--timeout", "600", dir / "list.txt"},
                             100, [&](pid_t, LiveScreen& screen) {
                               CHECK(screen.WaitFor(grown));
                               site.held = false;
                             });
  CHECK(shown.exit_code == 0);
  CHECK_MESSAGE(grown(shown.screen), shown.screen);
}

TEST_CASE("reaching --max-pages is reported") {
  LinkedSite site(20);
  TempDir dir;
  WriteFile(dir / "list.txt", site.server.Url("/") + "\n");
  auto capped = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--depth", "1", "--ignore-robots", "--quiet",
                     "--max-pages", "5", dir / "list.txt"},
                    "cap");
  CHECK(capped.exit_code == 0);
  CHECK(capped.err.find("--max-pages 5 reached: links beyond it were not followed") != std::string::npos);
  auto whole = Run({GREENCRAWL_BIN, "crawl", "--db", dir / "r.db", "--depth", "1", "--ignore-robots", "--quiet",
                    dir / "list.txt"},
                   "whole");
  CHECK(whole.err.find("--max-pages") == std::string::npos);
}
