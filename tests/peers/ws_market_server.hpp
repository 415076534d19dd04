// Starts tests/peers/ws_market_server.js (a venue's WebSocket market-data endpoint on 127.0.0.1) for
// a GoogleTest test, and makes self-signed certificates for its --tls option. Header-only; needs
// TP_SOURCE_DIR (the test binaries define it), node on PATH and Debian's node-ws. Options and the
// server's behaviour: tests/peers/README.md.
//
//   tp::testing::TempDir dir;                                         // tests/app/cli_runner.hpp
//   const auto cert = tp::testing::make_localhost_cert(dir.path());
//   tp::testing::WsMarketServer server({"--messages", data_file, "--tls", cert.pem_pair(), "--fault", "drop"});
//   ... "url = \"" + server.url("/stream") + "\"" ... ca_file = cert.cert ...
//   // ~WsMarketServer: SIGTERM, up to 5 s, SIGKILL, reaped
#pragma once

#include <arpa/inet.h>
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

#ifndef TP_SOURCE_DIR
#error "tests/peers/ws_market_server.hpp needs TP_SOURCE_DIR (the repository root), as the test binaries define it"
#endif

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

inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (status " + std::to_string(status) + ")";
}

}  // namespace ws_peer_detail

// How the server process ended: exited with `code`, or killed by `signal` (the other is -1; both -1
// while it runs or when something else reaped it).
struct WsServerExit {
  int code = -1;
  int signal = -1;
};

// One running tests/peers/ws_market_server.js. The constructor returns once the server listens
// (its {"port":N} line read) or throws std::runtime_error with the command line and the server's
// stderr (in a GoogleTest test body that fails the test with that text).
class WsMarketServer {
 public:
  explicit WsMarketServer(std::vector<std::string> args,
                          std::chrono::milliseconds ready_timeout = std::chrono::seconds(10)) {
    for (const auto& a : args)
      if (a == "--tls") tls_ = true;
    const std::string script = std::string(TP_SOURCE_DIR) + "/tests/peers/ws_market_server.js";
    std::vector<std::string> argv{ws_peer_detail::find_program("node"), script};
    argv.insert(argv.end(), args.begin(), args.end());
    command_ = ws_peer_detail::join_args(argv);

    std::string tmpl = (std::filesystem::temp_directory_path() / "tickpipe-ws-server-XXXXXX.log").string();
    const int err_fd = ::mkostemps(tmpl.data(), 4, O_CLOEXEC);
    if (err_fd < 0) throw std::runtime_error("ws_market_server: mkstemps: " + std::string(std::strerror(errno)));
    stderr_path_ = tmpl;
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(err_fd);
      cleanup_files();
      throw std::runtime_error("ws_market_server: pipe: " + std::string(std::strerror(errno)));
    }
    try {
      pid_ = ws_peer_detail::spawn(argv, ws_peer_detail::node_environment(), out[1], err_fd);
    } catch (...) {
      ::close(out[0]);
      ::close(out[1]);
      ::close(err_fd);
      cleanup_files();
      throw;
    }
    ::close(out[1]);
    ::close(err_fd);
    std::string failure = read_port(out[0], ready_timeout);
    ::close(out[0]);
    if (!failure.empty()) {
      stop(std::chrono::milliseconds(0));
      failure += "; its stderr:\n" + stderr_text();
      cleanup_files();
      throw std::runtime_error("ws_market_server did not start (" + command_ + "): " + failure);
    }
  }

  WsMarketServer(const WsMarketServer&) = delete;
  WsMarketServer& operator=(const WsMarketServer&) = delete;

  ~WsMarketServer() {
    stop();
    cleanup_files();
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool tls() const { return tls_; }
  // "ws://127.0.0.1:PORT/path" (wss:// when started with --tls).
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) +
           (path.empty() || path[0] != '/' ? "/" : "") + path;
  }
  const std::string& command() const { return command_; }
  // Everything the server wrote to stderr so far (its log; the file goes when this object does).
  std::string stderr_text() const { return ws_peer_detail::slurp(stderr_path_); }
  const std::string& stderr_path() const { return stderr_path_; }

  // Sends `sig` to the server (SIGKILL: a crashed venue). False once it has been reaped.
  bool send_signal(int sig) {
    if (reaped_ || pid_ <= 0) return false;
    return ::kill(pid_, sig) == 0;
  }

  // Waits up to `timeout` for the server to end by itself (--max-seconds, a signal sent before);
  // true (and reaped) when it did.
  bool wait_for_exit(std::chrono::milliseconds timeout) {
    if (reaped_ || pid_ <= 0) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (try_reap(false)) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it. Idempotent.
  WsServerExit stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (reaped_ || pid_ <= 0) return exit_;
    if (grace.count() > 0 && ::kill(pid_, SIGTERM) == 0 && wait_for_exit(grace)) return exit_;
    ::kill(pid_, SIGKILL);
    try_reap(true);
    return exit_;
  }

  // How it ended (meaningful once stop() or wait_for_exit() saw it go).
  WsServerExit exit_status() const { return exit_; }

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
    const pid_t r = ws_peer_detail::wait_child(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      record_exit(status);
      return true;
    }
    if (r < 0) {  // ECHILD: someone else reaped it (waitpid(-1, ...)); nothing left to wait for
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

  pid_t pid_ = -1;
  int port_ = 0;
  bool tls_ = false;
  bool reaped_ = false;
  WsServerExit exit_;
  std::string command_;
  std::string stderr_path_;
};

// A certificate and its key, PEM files. The certificate is self-signed and is its own trust anchor:
// give `cert` to the client as its CA file (tickpipe: [live] ca_file).
struct TlsCertFiles {
  std::string cert;
  std::string key;
  // "CERT,KEY", the server's --tls argument.
  std::string pem_pair() const { return cert + "," + key; }
};

// Makes `<dir>/<stem>-cert.pem` and `<dir>/<stem>-key.pem` with the openssl CLI: P-256 key, valid
// 30 days from now, CN = names[0], subjectAltName = every name (IP: for an IPv4/IPv6 address, DNS:
// otherwise; OpenSSL's host name check looks only at the SAN when there is one), basicConstraints
// CA:TRUE, keyUsage digitalSignature+keyCertSign, extendedKeyUsage serverAuth. Its own config file
// (`<stem>.cnf`), so the system openssl.cnf does not matter. Throws with openssl's output on failure.
inline TlsCertFiles make_self_signed_cert(const std::string& dir, const std::vector<std::string>& names,
                                          const std::string& stem = "server") {
  if (names.empty()) throw std::invalid_argument("make_self_signed_cert: no names");
  std::string san;
  for (const auto& n : names) {
    unsigned char addr[16];
    const bool ip = ::inet_pton(AF_INET, n.c_str(), addr) == 1 || ::inet_pton(AF_INET6, n.c_str(), addr) == 1;
    if (!san.empty()) san += ",";
    san += (ip ? "IP:" : "DNS:") + n;
  }
  const std::string cnf = dir + "/" + stem + ".cnf";
  {
    std::ofstream f(cnf, std::ios::trunc);
    f << "[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n"
      << "[dn]\nCN = " << names[0] << "\n"
      << "[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature,keyCertSign\n"
      << "extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nsubjectAltName = " << san << "\n";
    if (!f) throw std::runtime_error("make_self_signed_cert: cannot write " + cnf);
  }
  TlsCertFiles out{dir + "/" + stem + "-cert.pem", dir + "/" + stem + "-key.pem"};
  const std::vector<std::string> argv{ws_peer_detail::find_program("openssl"),
                                      "req", "-x509", "-config", cnf, "-newkey", "ec",
                                      "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                      "-keyout", out.key, "-out", out.cert, "-days", "30"};
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("make_self_signed_cert: pipe failed");
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, "OPENSSL_CONF=", 13) != 0) env.emplace_back(*e);
  pid_t pid = -1;
  try {
    pid = ws_peer_detail::spawn(argv, env, pipefd[1], pipefd[1]);
  } catch (...) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    throw;
  }
  ::close(pipefd[1]);
  std::string output;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  if (ws_peer_detail::wait_child(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      !std::filesystem::exists(out.cert) || !std::filesystem::exists(out.key))
    throw std::runtime_error("make_self_signed_cert: " + ws_peer_detail::join_args(argv) + " " +
                             ws_peer_detail::describe_status(status) + ":\n" + output);
  return out;
}

// For 127.0.0.1 and localhost: verifies when the client checks the host (IP SAN and DNS SAN).
inline TlsCertFiles make_localhost_cert(const std::string& dir) {
  return make_self_signed_cert(dir, {"127.0.0.1", "localhost"}, "localhost");
}

// For "wrong.example" only: a client connecting to 127.0.0.1 or localhost must refuse it.
inline TlsCertFiles make_wrong_host_cert(const std::string& dir) {
  return make_self_signed_cert(dir, {"wrong.example"}, "wrong-host");
}

}  // namespace tp::testing
