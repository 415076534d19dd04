// EngineProcess: `tickpipe` started in the background for a test that talks to it while it runs
// (the ops endpoint): its stdout and stderr go to files in the test's directory, its environment
// is this process's plus what the test adds. The destructor stops it by the PID it started:
// SIGTERM, up to 10 s, then SIGKILL, always reaped.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fcntl.h>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"

namespace tp::testing {

class EngineProcess {
 public:
  EngineProcess(const std::vector<std::string>& args, const std::vector<std::string>& extra_env, const TempDir& dir)
      : out_path_(dir / "engine.out"), err_path_(dir / "engine.err") {
    std::vector<std::string> argv{TP_TICKPIPE_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_ = ws_peer_detail::spawn(argv, env, out, err);
    ::close(out);
    ::close(err);
  }
  ~EngineProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_exit(std::chrono::seconds(10))) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ws_peer_detail::wait_child(pid_, &st, 0);
    }
  }
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  // The port the ops endpoint listens on, from the log line `event=ops_listening ... port=N`;
  // 0 if it did not say so within `timeout`.
  int ops_port(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      const std::string log = read_file(err_path_);
      const std::size_t line = log.find("event=ops_listening ");
      const std::size_t port = line == std::string::npos ? line : log.find(" port=", line);
      if (port != std::string::npos) {
        int value = 0;
        for (std::size_t i = port + 6; i < log.size() && log[i] >= '0' && log[i] <= '9'; ++i) value = value * 10 + (log[i] - '0');
        if (value > 0) return value;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
  }

  // Asks the engine to stop (SIGTERM: a clean stop, exit 0); wait_exit() then reaps it.
  void request_stop() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  // Waits for the process to end; false if it is still running after `timeout`.
  bool wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return true;
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int st = 0;
      const pid_t r = ws_peer_detail::wait_child(pid_, &st, WNOHANG);
      if (r == pid_) {
        status_ = st;
        pid_ = -1;
        return true;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // The exit code after wait_exit() (-1: killed by a signal or not ended).
  int exit_code() const { return pid_ < 0 && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }
  std::string log() const { return read_file(err_path_); }
  std::string out() const { return read_file(out_path_); }

 private:
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  int status_ = 0;
};

}  // namespace tp::testing
