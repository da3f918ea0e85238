// Runs the real greencrawl binary from end-to-end tests: arguments are passed as a vector (no shell),
// output goes to files the test reads afterwards.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern "C" char** environ;

namespace gc::testing {

struct Child {
  pid_t pid = -1;
  std::string out_path, err_path;
};

struct Finished {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  long max_rss_kb = 0;
  std::string out, err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline Child Start(const std::vector<std::string>& args, const std::string& tag, const std::string& stdin_path = "") {
  Child c;
  c.out_path = "/tmp/gc-test-" + std::to_string(getpid()) + "-" + tag + ".out";
  c.err_path = "/tmp/gc-test-" + std::to_string(getpid()) + "-" + tag + ".err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, c.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, c.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) c.pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return c;
}

inline Finished Wait(const Child& c) {
  Finished f;
  int status = 0;
  rusage ru{};
  wait4(c.pid, &status, 0, &ru);
  f.max_rss_kb = ru.ru_maxrss;
  if (WIFEXITED(status)) f.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) f.signal = WTERMSIG(status);
  f.out = ReadFile(c.out_path);
  f.err = ReadFile(c.err_path);
  unlink(c.out_path.c_str());
  unlink(c.err_path.c_str());
  return f;
}

// Wait() with a bound that turns a hang into a failure: past `bound` the child is killed (SIGKILL) and
// the result says so (signal == SIGKILL). The bound is a safety net, never what a test measures.
inline Finished WaitAtMost(const Child& c, std::chrono::seconds bound) {
  auto until = std::chrono::steady_clock::now() + bound;
  for (;;) {
    siginfo_t info{};  // WNOWAIT: only look, so Wait() below still reaps it and reads its rusage
    if (waitid(P_PID, id_t(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == c.pid) break;
    if (std::chrono::steady_clock::now() >= until) {
      kill(c.pid, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Wait(c);
}

inline Finished Run(const std::vector<std::string>& args, const std::string& tag, const std::string& stdin_path = "") {
  return Wait(Start(args, tag, stdin_path));
}

}  // namespace gc::testing
