// Starts tests/peers/fix_exchange (a scripted FIX 4.4 exchange on QuickFIX's session layer, 127.0.0.1
// only) for a GoogleTest test. Header-only; needs TP_FIX_EXCHANGE_BIN (the program, built by
// tests/CMakeLists.txt) and TP_SOURCE_DIR (for ws_market_server.hpp, whose process helpers it uses).
// Options, behaviour, log format and faults: tests/peers/README.md.
//
//   tp::testing::FixExchange venue({"--store-dir", dir / "venue-store", "--log", dir / "venue.jsonl",
//                                   "--price", "65000.5", "--fill", "partial:3", "--commission-bps", "7.5"});
//   ... [fix] port = venue.port() ...
//   venue.log_lines();  // the JSON lines so far, unparsed
//   venue.restart();    // SIGTERM, then the same arguments again on the same port, store kept
//   // ~FixExchange: SIGTERM, up to 5 s, SIGKILL, reaped
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/peers/ws_market_server.hpp"  // ws_peer_detail::spawn, wait_child, describe_status, ...

#ifndef TP_FIX_EXCHANGE_BIN
#error "tests/peers/fix_exchange.hpp needs TP_FIX_EXCHANGE_BIN (the fix_exchange program), as tests/CMakeLists.txt defines it"
#endif

namespace tp::testing {

// How the exchange process ended: exited with `code`, or killed by `signal` (the other is -1; both -1
// while it runs or when something else reaped it).
struct FixExchangeExit {
  int code = -1;
  int signal = -1;
};

// One running fix_exchange. The constructor returns once it listens (its {"port":N} line read) or throws
// std::runtime_error with the command line and the program's stderr (in a GoogleTest test body that
// fails the test with that text).
class FixExchange {
 public:
  explicit FixExchange(std::vector<std::string> args,
                       std::chrono::milliseconds ready_timeout = std::chrono::seconds(10))
      : args_(std::move(args)), ready_timeout_(ready_timeout) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tickpipe-fix-exchange-XXXXXX.log").string();
    const int fd = ::mkostemps(tmpl.data(), 4, O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("fix_exchange: mkstemps: " + std::string(std::strerror(errno)));
    ::close(fd);
    stderr_path_ = tmpl;
    try {
      start();
    } catch (...) {
      cleanup_files();
      throw;
    }
  }

  FixExchange(const FixExchange&) = delete;
  FixExchange& operator=(const FixExchange&) = delete;

  ~FixExchange() {
    stop();
    cleanup_files();
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& command() const { return command_; }
  const std::vector<std::string>& args() const { return args_; }
  // How many times the program was started (1 + restarts).
  int starts() const { return starts_; }

  // The --log FILE argument ("" when there is none).
  std::string log_path() const { return arg_value("--log"); }
  // The complete lines of the --log file so far (a line still being written is left out), unparsed.
  // Throws std::logic_error when the exchange runs without --log. The file is the caller's: it is
  // appended to across restarts and never removed here.
  std::vector<std::string> log_lines() const {
    const std::string path = log_path();
    if (path.empty()) throw std::logic_error("FixExchange::log_lines: started without --log");
    const std::string text = ws_peer_detail::slurp(path);
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (;;) {
      const std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) break;
      if (nl > start) lines.emplace_back(text, start, nl - start);
      start = nl + 1;
    }
    return lines;
  }

  // Everything the program wrote to stderr so far, over all starts (the file goes with this object).
  std::string stderr_text() const { return ws_peer_detail::slurp(stderr_path_); }
  const std::string& stderr_path() const { return stderr_path_; }

  // Sends `sig` (SIGKILL: a crashed exchange, nothing flushed). False once it has been reaped.
  bool send_signal(int sig) {
    if (reaped_ || pid_ <= 0) return false;
    return ::kill(pid_, sig) == 0;
  }

  // Waits up to `timeout` for the program to end by itself (--fault exit, --max-seconds, a signal sent
  // before); true (and reaped) when it did.
  bool wait_for_exit(std::chrono::milliseconds timeout) {
    if (reaped_ || pid_ <= 0) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (try_reap(false)) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // True while the process has not been seen to end.
  bool running() { return !try_reap(false); }

  // SIGTERM (the exchange sends a Logout to a logged-on client and waits up to 0.5 s for the answer),
  // up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent; the destructor calls it.
  FixExchangeExit stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (reaped_ || pid_ <= 0) return exit_;
    if (grace.count() > 0 && ::kill(pid_, SIGTERM) == 0 && wait_for_exit(grace)) return exit_;
    ::kill(pid_, SIGKILL);
    try_reap(true);
    return exit_;
  }

  // How it ended (meaningful once stop() or wait_for_exit() saw it go).
  FixExchangeExit exit_status() const { return exit_; }

  // A restart of the exchange with its store kept: stop() (a no-op when it already exited, e.g. after
  // --fault exit), then the same arguments again, on the same port (--port replaced or added).
  void restart() { restart(args_); }

  // The same with new arguments (e.g. without the --fault of the first run). Their --port wins if they
  // give one; otherwise the previous port is used.
  void restart(std::vector<std::string> args) {
    stop();
    if (arg_value_in(args, "--port").empty()) {
      args.push_back("--port");
      args.push_back(std::to_string(port_));
    }
    args_ = std::move(args);
    start();
  }

 private:
  static std::string arg_value_in(const std::vector<std::string>& args, const std::string& name) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == name) return args[i + 1];
    return "";
  }
  std::string arg_value(const std::string& name) const { return arg_value_in(args_, name); }

  void start() {
    std::vector<std::string> argv{TP_FIX_EXCHANGE_BIN};
    argv.insert(argv.end(), args_.begin(), args_.end());
    command_ = ws_peer_detail::join_args(argv);
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);

    const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (err_fd < 0) throw std::runtime_error("fix_exchange: cannot open " + stderr_path_);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(err_fd);
      throw std::runtime_error("fix_exchange: pipe: " + std::string(std::strerror(errno)));
    }
    reaped_ = false;
    exit_ = FixExchangeExit{};
    port_ = 0;
    try {
      pid_ = ws_peer_detail::spawn(argv, env, out[1], err_fd);
    } catch (...) {
      ::close(out[0]);
      ::close(out[1]);
      ::close(err_fd);
      throw;
    }
    ++starts_;
    ::close(out[1]);
    ::close(err_fd);
    std::string failure = read_port(out[0], ready_timeout_);
    ::close(out[0]);
    if (!failure.empty()) {
      stop(std::chrono::milliseconds(0));
      failure += "; its stderr:\n" + stderr_text();
      throw std::runtime_error("fix_exchange did not start (" + command_ + "): " + failure);
    }
  }

  // Reads the {"port":N} line; "" when done, else what went wrong.
  std::string read_port(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string buf;
    for (;;) {
      const auto nl = buf.find('\n');
      if (nl != std::string::npos) {
        const std::string line = buf.substr(0, nl);
        const auto key = line.find("\"port\":");
        if (line.empty() || line[0] != '{' || key == std::string::npos) return "unexpected first line " + line;
        char* end = nullptr;
        const long p = std::strtol(line.c_str() + key + 7, &end, 10);
        if (p <= 0 || p > 65535 || end == nullptr || *end != '}') return "unexpected first line " + line;
        port_ = static_cast<int>(p);
        return "";
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "no {\"port\":N} line within " + std::to_string(timeout.count()) + " ms";
      pollfd pfd{fd, POLLIN, 0};
      const int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return std::string("poll: ") + std::strerror(errno);
      if (r == 0) continue;
      char chunk[256];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // stdout closed: it exited
        int status = 0;
        if (ws_peer_detail::wait_child(pid_, &status, 0) == pid_) {
          record_exit(status);
          return "it " + ws_peer_detail::describe_status(status) + " before listening";
        }
        return "its stdout closed before the port line";
      }
      buf.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Reaps the child (waiting for it when `block`, else only if it has ended); true once reaped.
  bool try_reap(bool block) {
    if (reaped_ || pid_ <= 0) return true;
    int status = 0;
    const pid_t r = ws_peer_detail::wait_child(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      record_exit(status);
      return true;
    }
    if (r < 0) {  // ECHILD: someone else reaped it
      reaped_ = true;
      return true;
    }
    return false;
  }

  void record_exit(int status) {
    reaped_ = true;
    if (WIFEXITED(status)) exit_.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
  }

  void cleanup_files() {
    if (!stderr_path_.empty()) ::unlink(stderr_path_.c_str());
  }

  std::vector<std::string> args_;
  std::chrono::milliseconds ready_timeout_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
  bool reaped_ = false;
  FixExchangeExit exit_;
  std::string command_;
  std::string stderr_path_;
};

}  // namespace tp::testing
