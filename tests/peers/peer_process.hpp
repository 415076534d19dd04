// PeerProcess: a real network peer program (tests/peers/) started by a GoogleTest test: its stdout
// is a pipe whose first line is {"port":N} (the port the kernel gave it on 127.0.0.1), its stderr is
// appended to a temporary file (kept across restarts, removed with this object). stop() - also the
// destructor - sends SIGTERM, waits up to 5 s, then SIGKILL, and always reaps; the child gets SIGTERM
// by itself if the thread that started it dies (PR_SET_PDEATHSIG). The process helpers below are
// shared by every peer launcher (ws_market_server.hpp, fix_exchange.hpp, prometheus_server.hpp).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace tp::testing {

namespace ws_peer_detail {

// `name` as execve() needs it: itself when it holds a '/', else the first executable match on PATH.
inline std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs;
  dirs.append((path != nullptr && *path != '\0') ? path : "/usr/local/bin:/usr/bin:/bin");
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    // Appended piece by piece: GCC 12 misreads `a + "/" + b` here (a false -Wrestrict).
    std::string candidate(dirs, start, end - start);
    if (candidate.empty()) candidate.push_back('.');
    candidate.push_back('/');
    candidate.append(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("'" + name + "' is not on PATH (" + dirs + ")");
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string join_args(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// fork + execve with argv and envp built before the fork (the child only makes async-signal-safe
// calls). The child gets stdin from /dev/null, stdout/stderr on the given descriptors, an empty
// signal mask and default dispositions (the test process may block or ignore SIGTERM/SIGPIPE, and
// both survive exec), no other inherited descriptors, and SIGTERM when the thread that started it
// exits (PR_SET_PDEATHSIG), so a crashed test does not leave it behind.
inline pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, int out_fd,
                   int err_fd) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD}) sigaction(sig, &dfl, nullptr);
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) _exit(125);
    const int in = ::open("/dev/null", O_RDONLY);
    if (in < 0 || ::dup2(in, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) _exit(126);
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// This process's environment with NODE_PATH=/usr/share/nodejs in front (Debian's node modules).
inline std::vector<std::string> node_environment() {
  std::vector<std::string> env;
  std::string node_path = "NODE_PATH=/usr/share/nodejs";
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    if (entry.rfind("NODE_PATH=", 0) == 0) {
      if (entry.size() > 10) {
        node_path.push_back(':');
        node_path.append(entry, 10, std::string::npos);
      }
      continue;
    }
    env.push_back(std::move(entry));
  }
  env.push_back(node_path);
  return env;
}

// waitpid that retries on EINTR: the pid on success, 0 (WNOHANG, still running) or -1.
inline pid_t wait_child(pid_t pid, int* status, int flags) {
  for (;;) {
    const pid_t r = ::waitpid(pid, status, flags);
    if (r >= 0 || errno != EINTR) return r;
  }
}

// One look (or, `block`, a wait) at a child: true when it is gone - reaped here (its wait status in
// `status`, `reaped_here` set) or by someone else (ECHILD: waitpid(-1, ...)); false while it runs.
inline bool reap_child(pid_t pid, bool block, int& status, bool& reaped_here) {
  reaped_here = false;
  const pid_t r = wait_child(pid, &status, block ? 0 : WNOHANG);
  if (r == pid) reaped_here = true;
  return r == pid || r < 0;
}

// SIGTERM, up to `grace` for it to go (polling `try_reap(false)`), then SIGKILL and
// `try_reap(true)`. The stop every peer launcher shares.
template <class TryReap>
void terminate_child(pid_t pid, std::chrono::milliseconds grace, TryReap&& try_reap) {
  if (grace.count() > 0 && ::kill(pid, SIGTERM) == 0) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      if (try_reap(false)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ::kill(pid, SIGKILL);
  try_reap(true);
}

inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (status " + std::to_string(status) + ")";
}

}  // namespace ws_peer_detail

// How a peer process ended: exited with `code`, or killed by `signal` (the other is -1; both -1
// while it runs or when something else reaped it).
struct PeerExit {
  int code = -1;
  int signal = -1;
};

class PeerProcess {
 public:
  // `name` names the program in messages and in the stderr file's name.
  explicit PeerProcess(std::string name) : name_(std::move(name)) {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("tickpipe-" + name_ + "-XXXXXX.log")).string();
    const int fd = ::mkostemps(tmpl.data(), 4, O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(name_ + ": mkstemps: " + std::strerror(errno));
    ::close(fd);
    stderr_path_ = tmpl;
  }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess() {
    stop();
    ::unlink(stderr_path_.c_str());
  }

  // Starts `argv` with `env` and returns once its {"port":N} line is read, or throws
  // std::runtime_error with the command line and the program's stderr (in a GoogleTest test body
  // that fails the test with that text). A previous run must have been stopped.
  void start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             std::chrono::milliseconds ready_timeout) {
    command_ = ws_peer_detail::join_args(argv);
    const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (err_fd < 0) throw std::runtime_error(name_ + ": cannot open " + stderr_path_);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(err_fd);
      throw std::runtime_error(name_ + ": pipe: " + std::strerror(errno));
    }
    reaped_ = false;
    exit_ = PeerExit{};
    port_ = 0;
    try {
      pid_ = ws_peer_detail::spawn(argv, env, out[1], err_fd);
    } catch (...) {
      ::close(out[0]);
      ::close(out[1]);
      ::close(err_fd);
      throw;
    }
    ::close(out[1]);
    ::close(err_fd);
    std::string failure = read_port(out[0], ready_timeout);
    ::close(out[0]);
    if (!failure.empty()) {
      stop(std::chrono::milliseconds(0));
      failure += "; its stderr:\n" + stderr_text();
      throw std::runtime_error(name_ + " did not start (" + command_ + "): " + failure);
    }
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& command() const { return command_; }
  // Everything the program wrote to stderr so far, over all starts.
  std::string stderr_text() const { return ws_peer_detail::slurp(stderr_path_); }
  const std::string& stderr_path() const { return stderr_path_; }

  // Sends `sig` (SIGKILL: a crashed peer). False once it has been reaped.
  bool send_signal(int sig) {
    if (reaped_ || pid_ <= 0) return false;
    return ::kill(pid_, sig) == 0;
  }

  // Waits up to `timeout` for the program to end by itself; true (and reaped) when it did.
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

  // SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent.
  PeerExit stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (reaped_ || pid_ <= 0) return exit_;
    if (grace.count() > 0 && ::kill(pid_, SIGTERM) == 0 && wait_for_exit(grace)) return exit_;
    ::kill(pid_, SIGKILL);
    try_reap(true);
    return exit_;
  }

  // How it ended (meaningful once stop() or wait_for_exit() saw it go).
  PeerExit exit_status() const { return exit_; }

 private:
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
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return "no {\"port\":N} line within " + std::to_string(timeout.count()) + " ms";
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
    if (reaped_) return true;
    int status = 0;
    bool here = false;
    if (!ws_peer_detail::reap_child(pid_, block, status, here)) return false;
    if (here) record_exit(status);
    reaped_ = true;
    return true;
  }

  void record_exit(int status) {
    reaped_ = true;
    if (WIFEXITED(status)) exit_.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
  }

  std::string name_;
  std::string stderr_path_;
  std::string command_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool reaped_ = false;
  PeerExit exit_;
};

}  // namespace tp::testing
