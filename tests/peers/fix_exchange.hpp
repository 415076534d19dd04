// Starts tests/peers/fix_exchange (a scripted FIX 4.4 exchange on QuickFIX's session layer, 127.0.0.1
// only) for a GoogleTest test. Header-only; needs TP_FIX_EXCHANGE_BIN (the program, built by
// tests/CMakeLists.txt). Process handling: peer_process.hpp.
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

#include "peer_process.hpp"

#ifndef TP_FIX_EXCHANGE_BIN
#error "tests/peers/fix_exchange.hpp needs TP_FIX_EXCHANGE_BIN (the fix_exchange program), as tests/CMakeLists.txt defines it"
#endif

namespace tp::testing {

// How the exchange process ended (PeerProcess).
using FixExchangeExit = PeerExit;

// One running fix_exchange. The constructor returns once it listens (its {"port":N} line read) or throws
// std::runtime_error with the command line and the program's stderr (in a GoogleTest test body that
// fails the test with that text).
class FixExchange {
 public:
  explicit FixExchange(std::vector<std::string> args,
                       std::chrono::milliseconds ready_timeout = std::chrono::seconds(10))
      : args_(std::move(args)), ready_timeout_(ready_timeout) {
    start();
  }

  int port() const { return proc_.port(); }
  pid_t pid() const { return proc_.pid(); }
  const std::string& command() const { return proc_.command(); }
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
  std::string stderr_text() const { return proc_.stderr_text(); }
  const std::string& stderr_path() const { return proc_.stderr_path(); }
  // Sends `sig` (SIGKILL: a crashed exchange, nothing flushed). False once it has been reaped.
  bool send_signal(int sig) { return proc_.send_signal(sig); }
  // Waits up to `timeout` for the program to end by itself (--fault exit, --max-seconds, a signal
  // sent before); true (and reaped) when it did.
  bool wait_for_exit(std::chrono::milliseconds timeout) { return proc_.wait_for_exit(timeout); }
  // True while the process has not been seen to end.
  bool running() { return proc_.running(); }
  // SIGTERM (the exchange sends a Logout to a logged-on client and waits up to 0.5 s for the
  // answer), up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent; the destructor calls it.
  FixExchangeExit stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) { return proc_.stop(grace); }
  // How it ended (meaningful once stop() or wait_for_exit() saw it go).
  FixExchangeExit exit_status() const { return proc_.exit_status(); }

  // A restart of the exchange with its store kept: stop() (a no-op when it already exited, e.g. after
  // --fault exit), then the same arguments again, on the same port (--port replaced or added).
  void restart() { restart(args_); }

  // The same with new arguments (e.g. without the --fault of the first run). Their --port wins if they
  // give one; otherwise the previous port is used.
  void restart(std::vector<std::string> args) {
    stop();
    if (arg_value_in(args, "--port").empty()) {
      args.push_back("--port");
      args.push_back(std::to_string(proc_.port()));
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
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
    proc_.start(argv, env, ready_timeout_);
    ++starts_;
  }

  std::vector<std::string> args_;
  std::chrono::milliseconds ready_timeout_;
  int starts_ = 0;
  PeerProcess proc_{"fix-exchange"};
};

}  // namespace tp::testing
